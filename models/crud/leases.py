"""Call leases for workers on several machines: claim, renew, fence, sweep, count.

A lease needs no new columns. The claim is one conditional UPDATE that moves a call out of
`queued` (or takes over an in-flight call whose lease expired) and bumps `attempts`; the new
`attempts` is the worker's token. The holder renews the lease by touching `updated_at`, and
every write it makes is fenced on its token, so a worker that lost its lease (paused, cut
off, or presumed dead) can never overwrite the call a newer holder is working on.

Clocks: lease ages compare `updated_at` (written with each host's clock) with this host's
clock, so hosts need NTP; a lease of a minute tolerates seconds of skew.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select, update

from models.enums import CallKind, CallStatus
from models.sqltypes import utcnow
from models.tables import Call

IN_FLIGHT = (CallStatus.TRANSCRIBING, CallStatus.ANALYZING)
FINISHED = (CallStatus.DONE, CallStatus.FAILED)


class LeaseLostError(Exception):
    """Another worker holds the call now; this worker must drop it without writing."""


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"  # this worker holds the lease; `token` fences its writes
    FINISHED = "finished"  # done or failed already: nothing to do
    BUSY = "busy"  # another worker's lease is live for `wait_s` more seconds
    GAVE_UP = "gave_up"  # out of attempts: the call is now failed
    MISSING = "missing"  # no such call


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    token: int = 0
    wait_s: float = 0.0


def _first_status(kind: CallKind) -> CallStatus:
    return CallStatus.TRANSCRIBING if kind == CallKind.AUDIO else CallStatus.ANALYZING


def _expired(lease_s: float, now: dt.datetime) -> sa.ColumnElement[bool]:
    cutoff = now - dt.timedelta(seconds=lease_s)
    return sa.and_(col(Call.status).in_(IN_FLIGHT), col(Call.updated_at) < cutoff)


def claim_call(
    session: Session, *, call_id: int, lease_s: float, max_attempts: int = 3, resume_token: int | None = None
) -> Claim:
    """Take a call's lease: from queued, or from a holder whose lease expired; never from a live one.

    A retry after a transient fault passes the token it held (`resume_token`) and gets the call
    back without using up an attempt, as long as nobody took it over meanwhile.
    """
    now = utcnow()
    claimable = sa.or_(col(Call.status) == CallStatus.QUEUED, _expired(lease_s, now))
    found = session.exec(select(Call.kind).where(col(Call.id) == call_id)).first()
    if found is None:
        return Claim(ClaimOutcome.MISSING)
    kind = CallKind(found)
    if resume_token is not None and _resume(session, call_id, kind, resume_token):
        return Claim(ClaimOutcome.CLAIMED, token=resume_token)
    gave_up = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, claimable, col(Call.attempts) >= max_attempts)
        .values(status=CallStatus.FAILED, error=f"gave up after {max_attempts} attempts", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if gave_up.rowcount:
        session.commit()
        return Claim(ClaimOutcome.GAVE_UP)
    claimed = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, claimable)
        .values(status=_first_status(kind), progress=0.0, attempts=Call.attempts + 1, updated_at=now)
        .returning(col(Call.attempts))
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if claimed is not None:
        return Claim(ClaimOutcome.CLAIMED, token=int(claimed[0]))
    return _why_not(session, call_id=call_id, lease_s=lease_s)


def _resume(session: Session, call_id: int, kind: CallKind, token: int) -> bool:
    result = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, col(Call.attempts) == token, col(Call.status).in_(IN_FLIGHT))
        .values(status=_first_status(kind), progress=0.0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)


def _why_not(session: Session, *, call_id: int, lease_s: float) -> Claim:
    row = session.exec(select(Call.status, Call.updated_at).where(col(Call.id) == call_id)).first()
    session.rollback()
    if row is None:
        return Claim(ClaimOutcome.MISSING)
    status, updated_at = row
    if status in FINISHED:
        return Claim(ClaimOutcome.FINISHED)
    age = (utcnow() - updated_at).total_seconds()
    return Claim(ClaimOutcome.BUSY, wait_s=max(0.0, lease_s - age))


def renew_lease(session: Session, *, call_id: int, token: int) -> bool:
    """Extend this worker's lease on a call; False when another worker took the call over."""
    result = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, col(Call.attempts) == token, col(Call.status).in_(IN_FLIGHT))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount:
        return True
    # Not renewed: either this worker just finished the call (its token still stands) or it lost it.
    attempts = session.exec(select(Call.attempts).where(col(Call.id) == call_id)).first()
    session.rollback()
    return attempts == token


def lock_leased_call(session: Session, *, call_id: int, token: int) -> Call:
    """Lock and return the call while this worker holds its lease, else raise LeaseLostError.

    The row lock (PostgreSQL) lasts until the caller commits, so a takeover waits for the
    write that follows and then sees it.
    """
    call = session.exec(select(Call).where(col(Call.id) == call_id).with_for_update()).first()
    if call is None or call.attempts != token or call.status not in IN_FLIGHT:
        session.rollback()
        raise LeaseLostError(f"call {call_id}: lease {token} lost")
    return call


def requeue_expired_calls(session: Session, *, lease_s: float, max_attempts: int = 3) -> list[int]:
    """Requeue in-flight calls whose holder stopped renewing (failing those out of attempts); return ids."""
    now = utcnow()
    session.exec(
        update(Call)
        .where(_expired(lease_s, now), col(Call.attempts) >= max_attempts)
        .values(status=CallStatus.FAILED, error=f"gave up after {max_attempts} attempts", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    rows = session.exec(
        update(Call)
        .where(_expired(lease_s, now))
        .values(status=CallStatus.QUEUED, progress=0.0, updated_at=now)
        .returning(col(Call.id))
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(int(row[0]) for row in rows)


def take_stale_queued_calls(session: Session, *, older_than_s: float, limit: int = 500) -> list[int]:
    """Touch and return calls queued longer than `older_than_s` (their message may be lost), oldest first."""
    now = utcnow()
    stale = (
        select(Call.id)
        .where(
            col(Call.status) == CallStatus.QUEUED,
            col(Call.updated_at) < now - dt.timedelta(seconds=older_than_s),
        )
        .order_by(col(Call.updated_at), col(Call.id))
        .limit(limit)
    )
    ids = [int(i) for i in session.exec(stale).all() if i is not None]
    if ids:
        # Touching them keeps the next sweep from publishing them again before they had a chance.
        session.exec(
            update(Call)
            .where(col(Call.id).in_(ids), col(Call.status) == CallStatus.QUEUED)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


def count_calls_by_status(session: Session) -> dict[str, int]:
    """Count calls in each status (every status present, zero when none)."""
    rows = session.exec(select(Call.status, func.count()).group_by(Call.status)).all()
    counts = {status.value: 0 for status in CallStatus}
    counts.update({CallStatus(status).value: int(n) for status, n in rows})
    session.rollback()
    return counts


def processing_seconds_buckets(
    session: Session, *, bounds: tuple[float, ...]
) -> tuple[list[int], float, int]:
    """Return cumulative counts of done calls by upload-to-done seconds, their sum and count."""
    seconds: sa.ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", col(Call.processed_at) - col(Call.created_at))
    else:
        seconds = (func.julianday(col(Call.processed_at)) - func.julianday(col(Call.created_at))) * 86400.0
    columns: list[sa.ColumnElement[Any]] = [
        func.coalesce(func.sum(sa.case((seconds <= b, 1), else_=0)), 0) for b in bounds
    ]
    columns += [func.coalesce(func.sum(seconds), 0.0), func.count()]
    done = sa.and_(col(Call.status) == CallStatus.DONE, col(Call.processed_at).is_not(None))
    row = session.execute(sa.select(*columns).where(done)).one()
    session.rollback()
    return [int(v) for v in row[: len(bounds)]], float(row[-2]), int(row[-1])
