"""Calls and the processing queue: create, claim, progress, fail, recover."""

from __future__ import annotations

from sqlmodel import Session, col, or_, select, update
from sqlmodel.sql.expression import SelectOfScalar

from models.enums import CallKind, CallStatus
from models.schemas import CallCreate
from models.sqltypes import utcnow
from models.tables import Call, User

IN_FLIGHT = (CallStatus.TRANSCRIBING, CallStatus.ANALYZING)
CLAIM_TRIES = 5


def create_call(session: Session, *, call_in: CallCreate, created_by: User | None = None) -> Call:
    """Queue a new call for processing."""
    call = Call.model_validate(call_in, update={"created_by_id": created_by.id if created_by else None})
    session.add(call)
    session.commit()
    session.refresh(call)
    return call


def get_call(session: Session, *, call_id: int) -> Call | None:
    """Get a call by id."""
    return session.get(Call, call_id)


def get_call_by_digest(session: Session, *, digest: str, include_failed: bool = False) -> Call | None:
    """Get the latest call whose audio or transcript has sha256 `digest` (failed ones only if asked)."""
    statement = select(Call).where(or_(Call.audio_digest == digest, Call.transcript_digest == digest))
    if not include_failed:
        statement = statement.where(Call.status != CallStatus.FAILED)
    return session.exec(statement.order_by(col(Call.id).desc())).first()


def list_deal_calls(session: Session, *, deal_id: int) -> list[Call]:
    """List a deal's calls, oldest first."""
    statement = select(Call).where(Call.deal_id == deal_id).order_by(col(Call.created_at), col(Call.id))
    return list(session.exec(statement).all())


def _first_status(call: Call) -> CallStatus:
    return CallStatus.TRANSCRIBING if call.kind == CallKind.AUDIO else CallStatus.ANALYZING


def claim_next_call(session: Session) -> Call | None:
    """Take the oldest queued call for this worker, or None; no call is ever handed out twice."""
    if session.get_bind().dialect.name == "postgresql":
        return _claim_skip_locked(session)
    for _ in range(CLAIM_TRIES):
        candidate = session.exec(_oldest_queued()).first()
        if candidate is None:
            return None
        # Only the claimer whose UPDATE still sees 'queued' wins; a loser tries the next call.
        result = session.exec(
            update(Call)
            .where(col(Call.id) == candidate.id, col(Call.status) == CallStatus.QUEUED)
            .values(status=_first_status(candidate), attempts=Call.attempts + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if result.rowcount == 1:
            session.refresh(candidate)
            return candidate
    return None


def _oldest_queued() -> SelectOfScalar[Call]:
    return (
        select(Call)
        .where(Call.status == CallStatus.QUEUED)
        .order_by(col(Call.created_at), col(Call.id))
        .limit(1)
    )


def _claim_skip_locked(session: Session) -> Call | None:
    # Rows another worker has locked are skipped rather than waited for.
    call = session.exec(_oldest_queued().with_for_update(skip_locked=True)).first()
    if call is None:
        session.rollback()
        return None
    call.status, call.attempts, call.updated_at = _first_status(call), call.attempts + 1, utcnow()
    session.commit()
    session.refresh(call)
    return call


def set_call_progress(
    session: Session, *, call: Call, progress: float, status: CallStatus | None = None
) -> Call:
    """Record how far processing has got (0..1) and, optionally, the new stage."""
    call.progress = min(1.0, max(0.0, progress))
    if status is not None:
        call.status = status
    call.updated_at = utcnow()
    session.commit()
    session.refresh(call)
    return call


def fail_call(session: Session, *, call: Call, error: str) -> Call:
    """Mark a call failed with an error message for the user."""
    session.rollback()  # whatever the failed attempt left half-written must not be committed
    call.status, call.error, call.updated_at = CallStatus.FAILED, error, utcnow()
    session.commit()
    session.refresh(call)
    return call


def requeue_call(session: Session, *, call: Call) -> Call:
    """Put a failed or finished call back in the queue to be processed again."""
    call.status, call.error, call.progress, call.updated_at = CallStatus.QUEUED, None, 0.0, utcnow()
    session.commit()
    session.refresh(call)
    return call


def reset_unfinished_calls(session: Session, *, max_attempts: int = 3) -> int:
    """Requeue calls a crashed worker left in flight (failing those out of attempts); return the count."""
    now = utcnow()
    in_flight = col(Call.status).in_(IN_FLIGHT)
    gave_up = session.exec(
        update(Call)
        .where(in_flight, col(Call.attempts) >= max_attempts)
        .values(status=CallStatus.FAILED, error=f"gave up after {max_attempts} attempts", updated_at=now)
    )
    requeued = session.exec(
        update(Call).where(in_flight).values(status=CallStatus.QUEUED, progress=0.0, updated_at=now)
    )
    session.commit()
    return int(gave_up.rowcount) + int(requeued.rowcount)
