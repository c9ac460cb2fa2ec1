"""All table models (one file, as SQLModel recommends for related tables).

Conventions: integer primary keys; timestamps are aware UTC (`UTCDateTime`); enums are
stored by value in VARCHAR columns; free-form structures use the portable `JSON` type and
are replaced, never mutated in place (SQLAlchemy does not track in-place JSON edits).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from extract.types import ObjectionCategory, OwnerSide, StakeholderRole
from models.enums import (
    CallKind,
    CallSource,
    CallStatus,
    CloseDateSource,
    ForecastCategory,
    NextStepStatus,
    ObjectionStatus,
    RiskLevel,
    Role,
)
from models.sqltypes import Money, UTCDateTime, enum_column, utcnow
from transcribe.types import Side

# Stable constraint names: Alembic batch mode (SQLite) and downgrades refer to them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


def _when(*, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index)


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, unique=True)
    created_at: dt.datetime = _created()


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320, unique=True)  # NULLs never collide
    title: str | None = Field(default=None, max_length=255)
    created_at: dt.datetime = _created()


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    email: str = Field(max_length=320, unique=True)
    role: Role = Field(sa_type=enum_column(Role))
    manager_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL", index=True)
    active: bool = True
    created_at: dt.datetime = _created()


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    prefix: str = Field(max_length=8, index=True)
    key_hash: str = Field(max_length=64, unique=True)  # sha256 hex; the key itself is never stored
    created_at: dt.datetime = _created()
    last_used_at: dt.datetime | None = _when()
    revoked_at: dt.datetime | None = _when()


class Deal(SQLModel, table=True):
    __tablename__ = "deals"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True)
    name: str = Field(max_length=255)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    stage: str = Field(max_length=64, index=True)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    close_date: dt.date | None = Field(default=None, index=True)
    # None: the stage's default (signals.forecast); probability likewise
    forecast_category: ForecastCategory | None = Field(default=None, sa_type=enum_column(ForecastCategory))
    probability: int | None = None
    next_step_text: str | None = Field(default=None, sa_type=sa.Text)
    next_step_due: dt.date | None = None
    next_step_owner: str | None = Field(default=None, max_length=255)
    next_step_owner_side: OwnerSide | None = Field(default=None, sa_type=enum_column(OwnerSide))
    next_step_confirmed: bool = False
    last_buyer_activity: dt.datetime | None = _when()
    risk_score: int | None = None
    risk_level: RiskLevel | None = Field(default=None, sa_type=enum_column(RiskLevel), index=True)
    risk_factors: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # Until when the stored risk holds with no new evidence (signals.freshness); None: score it
    # again (never scored, or scored before this was kept). Periodic re-scoring reads only due deals.
    risk_fresh_until: dt.datetime | None = _when(index=True)
    stage_entered_at: dt.datetime = _created()
    created_at: dt.datetime = _created()
    updated_at: dt.datetime = _created()
    version: int = 1  # optimistic locking: bumped by every crud write, served as the ETag


class DealStageHistory(SQLModel, table=True):
    __tablename__ = "deal_stage_history"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE", index=True)
    from_stage: str | None = Field(default=None, max_length=64)
    to_stage: str = Field(max_length=64)
    at: dt.datetime = _created()
    by_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    override_reason: str | None = Field(default=None, sa_type=sa.Text)


class DealCloseDateHistory(SQLModel, table=True):
    __tablename__ = "deal_close_date_history"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE", index=True)
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    at: dt.datetime = _created()
    by_user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    source: CloseDateSource = Field(default=CloseDateSource.CRM, sa_type=enum_column(CloseDateSource))


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (sa.Index("ix_calls_status_created_at", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", ondelete="SET NULL", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    external_id: str | None = Field(default=None, max_length=255, index=True)  # the transcript's own id
    date: dt.date | None = None
    started_at: dt.datetime | None = _when()
    title: str | None = Field(default=None, max_length=500)
    source: CallSource = Field(default=CallSource.UPLOAD, sa_type=enum_column(CallSource))
    kind: CallKind = Field(sa_type=enum_column(CallKind))
    audio_digest: str | None = Field(default=None, max_length=64, index=True)
    audio_path: str | None = Field(default=None, max_length=1024)
    transcript_digest: str | None = Field(default=None, max_length=64, index=True)
    duration_s: float | None = None
    status: CallStatus = Field(default=CallStatus.QUEUED, sa_type=enum_column(CallStatus))
    error: str | None = Field(default=None, sa_type=sa.Text)
    progress: float = 0.0
    attempts: int = 0
    created_at: dt.datetime = _created()
    updated_at: dt.datetime = _created()
    processed_at: dt.datetime | None = _when()
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    transcript: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    insights: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    model_versions: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # Who spoke, by side ({"buyer": [...], "rep": [...]}, names sorted), written with the
    # utterances: reading many deals' calls (re-scoring, reviews) never scans every utterance.
    speakers: dict[str, list[str]] | None = Field(default=None, sa_type=sa.JSON)


class CallParticipant(SQLModel, table=True):
    __tablename__ = "call_participants"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=255)
    side: Side = Field(default=Side.UNKNOWN, sa_type=enum_column(Side))
    email: str | None = Field(default=None, max_length=320)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL", index=True)


class Utterance(SQLModel, table=True):
    __tablename__ = "utterances"
    __table_args__ = (sa.UniqueConstraint("call_id", "index"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    index: int
    speaker: str = Field(max_length=255)
    side: Side = Field(default=Side.UNKNOWN, sa_type=enum_column(Side))
    start: float
    end: float | None = None
    text: str = Field(sa_type=sa.Text)


class NextStep(SQLModel, table=True):
    __tablename__ = "next_steps"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int | None = Field(default=None, foreign_key="calls.id", ondelete="CASCADE", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", ondelete="CASCADE", index=True)
    utterance_index: int | None = None
    text: str = Field(sa_type=sa.Text)
    action: str = Field(sa_type=sa.Text)
    owner: str | None = Field(default=None, max_length=255)
    owner_side: OwnerSide = Field(default=OwnerSide.UNKNOWN, sa_type=enum_column(OwnerSide))
    due: dt.date | None = None
    confirmed: bool = False
    confidence: float = 0.0
    status: NextStepStatus = Field(
        default=NextStepStatus.SUGGESTED, sa_type=enum_column(NextStepStatus), index=True
    )
    edited_text: str | None = Field(default=None, sa_type=sa.Text)
    edited_action: str | None = Field(default=None, sa_type=sa.Text)
    edited_owner: str | None = Field(default=None, max_length=255)
    edited_owner_side: OwnerSide | None = Field(default=None, sa_type=enum_column(OwnerSide))
    edited_due: dt.date | None = None
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reviewed_at: dt.datetime | None = _when()
    created_at: dt.datetime = _created()


class Stakeholder(SQLModel, table=True):
    __tablename__ = "stakeholders"
    __table_args__ = (sa.UniqueConstraint("deal_id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE", index=True)
    role: StakeholderRole | None = Field(default=None, sa_type=enum_column(StakeholderRole))
    decision_maker: bool = False
    confirmed: bool = False  # set by a reviewer; extraction never overrides a confirmed row
    on_calls: int = 0
    first_seen_call_id: int | None = Field(default=None, foreign_key="calls.id", ondelete="SET NULL")
    last_seen_at: dt.datetime | None = _when()
    confidence: float = 0.0


class Objection(SQLModel, table=True):
    __tablename__ = "objections"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", ondelete="CASCADE", index=True)
    utterance_index: int
    category: ObjectionCategory = Field(sa_type=enum_column(ObjectionCategory))
    text: str = Field(sa_type=sa.Text)
    status: ObjectionStatus = Field(default=ObjectionStatus.OPEN, sa_type=enum_column(ObjectionStatus))
    addressed_in_call_id: int | None = Field(default=None, foreign_key="calls.id", ondelete="SET NULL")
    confidence: float = 0.0
    # Set when a person decided the status; re-analysis then keeps it.
    reviewed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reviewed_at: dt.datetime | None = _when()


class MethodologyEvidence(SQLModel, table=True):
    __tablename__ = "methodology_evidence"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int | None = Field(default=None, foreign_key="deals.id", ondelete="CASCADE", index=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    framework: str = Field(max_length=32)
    element: str = Field(max_length=64)
    utterance_index: int | None = None


class ReviewAudit(SQLModel, table=True):
    __tablename__ = "review_audit"
    __table_args__ = (sa.Index("ix_review_audit_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    entity_id: int
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    at: dt.datetime = _created()
    action: str = Field(max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("key", "api_key_id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255)
    api_key_id: int = Field(foreign_key="api_keys.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    method: str = Field(max_length=10)
    path: str = Field(max_length=1024)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: Any = Field(default=None, sa_type=sa.JSON)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ChangeEvent(SQLModel, table=True):
    """One row of the change feed; `id` is the cursor clients resume from."""

    __tablename__ = "change_events"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    entity_id: int
    type: str = Field(max_length=64)
    at: dt.datetime = _created()
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048)
    secret: str = Field(max_length=255)
    # After a rotation the replaced secret also signs deliveries until it expires (a grace period).
    previous_secret: str | None = Field(default=None, max_length=255)
    previous_secret_expires_at: dt.datetime | None = _when()
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: dt.datetime = _created()


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    subscription_id: int | None = Field(
        default=None, foreign_key="webhook_subscriptions.id", ondelete="CASCADE", index=True
    )
    type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    delivered_at: dt.datetime | None = _when()
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = _created()


# Outbound webhooks (issue 6): the dispatcher turns change events into outbox rows and
# advances this cursor in the same transaction, so each change is fanned out exactly once.
class WebhookCursor(SQLModel, table=True):
    """How far a dispatcher has read the change feed (`change_event_id` is the last one done)."""

    __tablename__ = "webhook_cursors"

    name: str = Field(primary_key=True, max_length=64)
    change_event_id: int = 0
    updated_at: dt.datetime = _created()


# Organisation settings RevOps owns (issue 5/6): risk weights, stage criteria, methodology, quotas.
class OrgSetting(SQLModel, table=True):
    """One named JSON document of settings (`risk`, `methodology`, `quotas`)."""

    __tablename__ = "org_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: dt.datetime = _created()
    updated_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
