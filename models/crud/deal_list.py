"""Deal lists for the API: filters and keyset (cursor) pagination in one query per page.

Keyset pagination (`id > cursor ORDER BY id`) costs the same on page 1,000 as on page 1,
where OFFSET would scan every skipped row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.crud.users import list_team
from models.enums import NextStepStatus, RiskLevel
from models.schemas import DealSummary, NextStepSummary, RiskSummary
from models.tables import Account, Deal, NextStep, User
from signals.config import RiskConfig
from signals.stages import parse_stage

_DEFAULTS = RiskConfig()


def team_member_ids(session: Session, *, manager_id: int) -> list[int]:
    """List the ids of a manager and everyone reporting to them, directly or not."""
    manager = session.get(User, manager_id)
    team = list_team(session, manager=manager) if manager is not None else []
    return [manager_id, *[u.id for u in team if u.id is not None]]


def list_deal_summaries(
    session: Session,
    *,
    owner_ids: Collection[int] | None = None,
    stage: str | None = None,
    risk_level: RiskLevel | None = None,
    close_from: dt.date | None = None,
    close_before: dt.date | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[DealSummary]:
    """List deal summaries matching the filters, by id, starting after `after_id`."""
    conditions: list[sa.ColumnElement[bool]] = []
    if owner_ids is not None:
        conditions.append(col(Deal.owner_id).in_(list(owner_ids)))
    if stage is not None:
        conditions.append(col(Deal.stage) == stage)
    if risk_level is not None:
        conditions.append(col(Deal.risk_level) == risk_level)
    if close_from is not None:
        conditions.append(col(Deal.close_date) >= close_from)
    if close_before is not None:
        conditions.append(col(Deal.close_date) < close_before)
    if after_id is not None:
        conditions.append(col(Deal.id) > after_id)
    rows = session.exec(
        select(Deal, Account.name, User.email)
        .join(Account, col(Account.id) == Deal.account_id)
        .join(User, col(User.id) == Deal.owner_id)
        .where(*conditions)
        .order_by(col(Deal.id))
        .limit(limit)
    ).all()
    return [_summary(deal, account, owner) for deal, account, owner in rows]


def _summary(deal: Deal, account: str, owner_email: str) -> DealSummary:
    next_step = None
    if deal.next_step_text is not None:
        next_step = NextStepSummary(
            text=deal.next_step_text,
            due=deal.next_step_due,
            owner=deal.next_step_owner,
            owner_side=deal.next_step_owner_side,
            confirmed=deal.next_step_confirmed,
        )
    risk = None
    if deal.risk_score is not None and deal.risk_level is not None:
        risk = RiskSummary(score=deal.risk_score, level=deal.risk_level)
    assert deal.id is not None
    stage = parse_stage(deal.stage)
    return DealSummary(
        id=deal.id,
        external_id=deal.external_id,
        name=deal.name,
        account=account,
        owner_email=owner_email,
        stage=deal.stage,
        amount=deal.amount,
        currency=deal.currency,
        close_date=deal.close_date,
        forecast_category=deal.forecast_category or _DEFAULTS.stage_forecast_categories.get(stage),
        probability=deal.probability
        if deal.probability is not None
        else _DEFAULTS.stage_probabilities.get(stage),
        next_step=next_step,
        last_buyer_activity=deal.last_buyer_activity,
        risk=risk,
        version=deal.version,
    )


def list_review_queue(
    session: Session,
    *,
    owner_ids: Collection[int] | None,
    statuses: Collection[NextStepStatus],
    sort: str = "confidence",
    limit: int = 100,
) -> list[NextStep]:
    """List next steps on the owners' deals with the given statuses, most confident or soonest due first."""
    order = (
        [col(NextStep.confidence).desc(), col(NextStep.id)]
        if sort == "confidence"
        else [
            sa.func.coalesce(col(NextStep.edited_due), col(NextStep.due)).is_(None),
            sa.func.coalesce(col(NextStep.edited_due), col(NextStep.due)),
            col(NextStep.id),
        ]
    )
    statement = (
        select(NextStep)
        .join(Deal, col(Deal.id) == NextStep.deal_id)
        .where(col(NextStep.status).in_(list(statuses)))
        .order_by(*order)
        .limit(limit)
    )
    if owner_ids is not None:
        statement = statement.where(col(Deal.owner_id).in_(list(owner_ids)))
    return list(session.exec(statement).all())
