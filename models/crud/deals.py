"""Deals: CRM upserts with stage and close-date history, stage moves, risk, listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.crud.accounts import upsert_account, upsert_contact
from models.crud.changes import record_change
from models.crud.users import get_user_by_email
from models.crud.versions import bump_version
from models.enums import ChangeEntity, CloseDateSource
from models.errors import NotFoundError, VersionConflictError
from models.schemas import CrmDealUpsert
from models.sqltypes import utcnow
from models.tables import Account, Contact, Deal, DealCloseDateHistory, DealStageHistory, Stakeholder, User
from signals.stages import parse_stage

CRM_FIELDS = ("name", "account_id", "owner_id", "stage", "amount", "currency", "close_date")


def get_deal(session: Session, *, deal_id: int) -> Deal | None:
    """Get a deal by id."""
    return session.get(Deal, deal_id)


def get_deal_by_external_id(session: Session, *, external_id: str) -> Deal | None:
    """Get a deal by its CRM id."""
    return session.exec(select(Deal).where(Deal.external_id == external_id)).first()


def _owner(session: Session, email: str, known: dict[str, User] | None = None) -> User:
    owner = known.get(email) if known is not None else get_user_by_email(session, email=email)
    if owner is None:
        raise NotFoundError(
            f"owner_email {email!r} is not a DealSignal user; create it with `dealsignal users create`"
        )
    return owner


def upsert_deal_from_crm(
    session: Session,
    *,
    external_id: str,
    data: CrmDealUpsert,
    by_user: User | None = None,
    expected_version: int | None = None,
) -> tuple[Deal, bool]:
    """Create or update a deal from the CRM; return it and whether it was created."""
    try:
        deal, created = write_deal(session, external_id, data, by_user, expected_version)
    except IntegrityError:
        # A concurrent request created the same deal, account or contact first: retry as an update.
        session.rollback()
        deal, created = write_deal(session, external_id, data, by_user, expected_version)
    session.commit()
    session.refresh(deal)
    return deal, created


@dataclass
class Prefetched:
    """Rows a bulk upsert reads once for all its records instead of once per record.

    `deals` are already locked FOR UPDATE; new rows join the maps as records create them.
    """

    owners: dict[str, User]
    deals: dict[str, Deal]
    accounts: dict[str, Account]
    contacts: dict[str, Contact]  # by email
    stakeholders: dict[tuple[int, int], Stakeholder]  # by (deal id, contact id)

    def forget_unsaved(self) -> None:
        """Drop rows a rolled-back record created (they were never stored)."""
        tables: tuple[dict[Any, Any], ...] = (
            self.deals,
            self.accounts,
            self.contacts,
            self.stakeholders,
        )
        for known in tables:
            for key in [key for key, row in known.items() if not sa.inspect(row).persistent]:
                del known[key]


def write_deal(
    session: Session,
    external_id: str,
    data: CrmDealUpsert,
    by_user: User | None,
    expected_version: int | None = None,
    known: Prefetched | None = None,
) -> tuple[Deal, bool]:
    """Write a deal's CRM fields, history, contacts and change events (building block: no commit)."""
    owner = _owner(session, data.owner_email, known.owners if known else None)
    if known is not None:
        deal = known.deals.get(external_id)
    else:  # locked (and re-read): a concurrent writer waits instead of making our version stale
        locked = select(Deal).where(Deal.external_id == external_id).with_for_update()
        deal = session.exec(locked.execution_options(populate_existing=True)).first()
    if deal is not None and expected_version is not None and deal.version != expected_version:
        raise VersionConflictError(
            f"deal {external_id} is at version {deal.version}, not {expected_version}; re-read it and retry",
            current_version=deal.version,
        )
    account = upsert_account(session, name=data.account, known=known.accounts if known else None)
    created = deal is None
    if deal is None:
        deal = _create_deal(session, external_id=external_id, data=data, owner=owner, account_id=account.id)
        if known is not None:
            known.deals[external_id] = deal
        changes: dict[str, Any] = {f: [None, getattr(deal, f)] for f in CRM_FIELDS if getattr(deal, f)}
    else:
        changes = _apply_crm_fields(session, deal=deal, data=data, owner=owner, account_id=account.id)
    _record_history(session, deal=deal, changes=changes, by_user_id=by_user.id if by_user else None)
    version_read = deal.version
    if _add_contacts(session, deal=deal, account=account, data=data, known=known):
        changes["stakeholders"] = "added"
    if changes and not created:
        # A changed contact already advanced the version, checked then against the one read.
        checked = expected_version if deal.version == version_read else None
        bump_version(session, deal=deal, expected_version=checked)
    if changes:
        record_change(
            session,
            entity=ChangeEntity.DEAL,
            entity_id=_id(deal),
            type="created" if created else "updated",
            data={"external_id": external_id, "changes": changes},
        )
    return deal, created


def _id(deal: Deal) -> int:
    assert deal.id is not None
    return deal.id


def _create_deal(
    session: Session, *, external_id: str, data: CrmDealUpsert, owner: User, account_id: int | None
) -> Deal:
    assert owner.id is not None and account_id is not None
    deal = Deal(
        external_id=external_id,
        name=data.name,
        account_id=account_id,
        owner_id=owner.id,
        stage=data.stage,
        amount=data.amount,
        currency=data.currency,
        close_date=data.close_date,
        forecast_category=data.forecast_category,
        probability=data.probability,
    )
    session.add(deal)
    session.flush()
    return deal


def _apply_crm_fields(
    session: Session, *, deal: Deal, data: CrmDealUpsert, owner: User, account_id: int | None
) -> dict[str, Any]:
    incoming: dict[str, Any] = data.model_dump(include={"name", "stage", "amount", "currency", "close_date"})
    incoming.update(owner_id=owner.id, account_id=account_id)
    for optional in ("forecast_category", "probability"):  # absent means "leave as is"
        if getattr(data, optional) is not None:
            incoming[optional] = getattr(data, optional)
    changes = {
        field: [getattr(deal, field), value]
        for field, value in incoming.items()
        if getattr(deal, field) != value
    }
    deal.sqlmodel_update({field: new for field, (_old, new) in changes.items()})
    session.flush()
    return changes


def _record_history(session: Session, *, deal: Deal, changes: dict[str, Any], by_user_id: int | None) -> None:
    now = utcnow()
    if "stage" in changes:
        from_stage = changes["stage"][0]
        session.add(
            DealStageHistory(
                deal_id=_id(deal), from_stage=from_stage, to_stage=deal.stage, at=now, by_user_id=by_user_id
            )
        )
        if from_stage is not None:  # a new deal entered its stage when it was created
            deal.stage_entered_at = now
    if "close_date" in changes:
        old, new = changes["close_date"]
        session.add(
            DealCloseDateHistory(
                deal_id=_id(deal),
                from_date=old,
                to_date=new,
                at=now,
                by_user_id=by_user_id,
                source=CloseDateSource.CRM,
            )
        )


def _add_contacts(
    session: Session, *, deal: Deal, account: Account, data: CrmDealUpsert, known: Prefetched | None
) -> bool:
    added = False
    for contact_in in data.contacts:
        contact = upsert_contact(
            session,
            account=account,
            name=contact_in.name,
            email=contact_in.email,
            title=contact_in.title,
            known=known.contacts if known else None,
        )
        stakeholders = known.stakeholders if known else None
        added |= ensure_stakeholder(session, deal=deal, contact_id=contact.id, known=stakeholders) is not None
    return added


def ensure_stakeholder(
    session: Session,
    *,
    deal: Deal,
    contact_id: int | None,
    known: dict[tuple[int, int], Stakeholder] | None = None,
) -> Stakeholder | None:
    """Add the contact to the deal's stakeholders; return the new row, or None if already there.

    `known`: the deals' stakeholders already read (a bulk upsert's); absent there means absent.
    """
    assert contact_id is not None
    key = (_id(deal), contact_id)
    if known is not None:
        existing = known.get(key)
    else:
        existing = session.exec(
            select(Stakeholder).where(Stakeholder.deal_id == deal.id, Stakeholder.contact_id == contact_id)
        ).first()
    if existing is not None:
        return None
    stakeholder = Stakeholder(deal_id=key[0], contact_id=contact_id)
    session.add(stakeholder)
    session.flush()
    if known is not None:
        known[key] = stakeholder
    return stakeholder


def change_deal_stage(
    session: Session,
    *,
    deal: Deal,
    stage: str,
    by_user: User | None,
    override_reason: str | None = None,
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to `stage`, recording who moved it and any override reason."""
    new_stage = parse_stage(stage).value
    if new_stage == deal.stage:
        return deal
    old_stage, now = deal.stage, utcnow()
    deal.stage, deal.stage_entered_at = new_stage, now
    session.add(
        DealStageHistory(
            deal_id=_id(deal),
            from_stage=old_stage,
            to_stage=new_stage,
            at=now,
            by_user_id=by_user.id if by_user else None,
            override_reason=override_reason,
        )
    )
    bump_version(session, deal=deal, expected_version=expected_version)
    record_change(
        session,
        entity=ChangeEntity.DEAL,
        entity_id=_id(deal),
        type="stage_changed",
        data={
            "from": old_stage,
            "to": new_stage,
            "by": by_user.email if by_user else None,
            "override_reason": override_reason,
        },
    )
    session.commit()
    session.refresh(deal)
    return deal
