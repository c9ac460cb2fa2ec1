"""Keyword-only data functions; each public write commits once (building blocks say they don't)."""

from models.crud.accounts import find_contact, upsert_account, upsert_contact
from models.crud.calls import (
    claim_next_call,
    create_call,
    fail_call,
    get_call,
    get_call_by_digest,
    list_deal_calls,
    requeue_call,
    reset_unfinished_calls,
    set_call_progress,
)
from models.crud.changes import list_changes, record_change
from models.crud.deals import (
    change_deal_stage,
    ensure_stakeholder,
    get_deal,
    get_deal_by_external_id,
    upsert_deal_from_crm,
)
from models.crud.idempotency import get_idempotency_record, purge_idempotency_records, save_idempotency_record
from models.crud.next_steps import get_next_step, list_next_steps, refresh_deal_next_step, review_next_step
from models.crud.public import call_to_public, changes_to_public, deal_to_public, next_step_to_public
from models.crud.results import call_time, save_call_results
from models.crud.risks import apply_deal_risk, save_deal_risks, set_deal_risk
from models.crud.state import deal_state
from models.crud.users import (
    create_api_key,
    create_user,
    get_api_key,
    get_user_by_api_key,
    get_user_by_email,
    hash_api_key,
    list_team,
    revoke_api_key,
)
from models.crud.versions import bump_version

__all__ = [
    "apply_deal_risk",
    "bump_version",
    "call_time",
    "call_to_public",
    "change_deal_stage",
    "changes_to_public",
    "claim_next_call",
    "create_api_key",
    "create_call",
    "create_user",
    "deal_state",
    "deal_to_public",
    "ensure_stakeholder",
    "fail_call",
    "find_contact",
    "get_api_key",
    "get_call",
    "get_call_by_digest",
    "get_deal",
    "get_deal_by_external_id",
    "get_idempotency_record",
    "get_next_step",
    "get_user_by_api_key",
    "get_user_by_email",
    "hash_api_key",
    "list_changes",
    "list_deal_calls",
    "list_next_steps",
    "list_team",
    "next_step_to_public",
    "purge_idempotency_records",
    "record_change",
    "refresh_deal_next_step",
    "requeue_call",
    "reset_unfinished_calls",
    "review_next_step",
    "revoke_api_key",
    "save_call_results",
    "save_deal_risks",
    "save_idempotency_record",
    "set_call_progress",
    "set_deal_risk",
    "upsert_account",
    "upsert_contact",
    "upsert_deal_from_crm",
]
