"""Deal versions: the ETag, and the key the read cache keeps a deal's view under."""

from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update

from models.errors import VersionConflictError
from models.sqltypes import utcnow
from models.tables import Deal, Stakeholder


def bump_version(session: Session, *, deal: Deal, expected_version: int | None = None) -> None:
    """Advance the deal's version atomically, refusing a stale `expected_version` (no commit)."""
    base = deal.version if expected_version is None else expected_version
    now = utcnow()
    # No ORM synchronisation: it scans every object in the session per UPDATE, which made
    # re-scoring a pipeline quadratic; this row is the only one touched, so set it directly.
    result = session.exec(
        update(Deal)
        .where(col(Deal.id) == deal.id, col(Deal.version) == base)
        .values(version=base + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        set_committed_value(deal, "version", base + 1)
        set_committed_value(deal, "updated_at", now)
    else:
        if not session.in_nested_transaction():  # a SAVEPOINT's owner rolls back just its own writes
            session.rollback()
        current = session.exec(select(Deal.version).where(Deal.id == deal.id)).first()
        raise VersionConflictError(
            f"deal {deal.external_id} is at version {current}, not {base}; re-read it and retry",
            current_version=current,
        )


def touch_contact_deals(session: Session, *, contact_id: int) -> None:
    """Advance the version of every deal the contact is a stakeholder of (no commit).

    A contact's name, title or email shows in those deals' views, so their ETags must move.
    """
    of_contact = select(Stakeholder.deal_id).where(Stakeholder.contact_id == contact_id)
    # One read (deals already in the session come back as they are); id order: two writers
    # lock the same rows the same way.
    deals = session.exec(select(Deal).where(col(Deal.id).in_(of_contact)).order_by(col(Deal.id))).all()
    for deal in deals:
        bump_version(session, deal=deal)
