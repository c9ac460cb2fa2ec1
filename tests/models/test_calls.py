from __future__ import annotations

import threading

from sqlmodel import Session, select

from models import crud
from models.enums import CallKind, CallStatus
from models.schemas import CallCreate
from models.tables import Call
from tests.models.factories import make_deal


def _call(session, kind=CallKind.AUDIO, **kw) -> Call:
    return crud.create_call(session, call_in=CallCreate(kind=kind, **kw))


def test_create_get_and_find_by_digest(session):
    deal = make_deal(session)
    call = _call(session, deal_id=deal.id, audio_digest="a" * 64, options={"rep_channel": "left"})
    assert (
        call.status == CallStatus.QUEUED and call.progress == 0.0 and call.options == {"rep_channel": "left"}
    )
    assert crud.get_call(session, call_id=call.id).id == call.id
    assert crud.get_call_by_digest(session, digest="a" * 64).id == call.id
    text = _call(
        session, kind=CallKind.TRANSCRIPT, transcript_digest="b" * 64, transcript={"date": "2026-03-02"}
    )
    assert crud.get_call_by_digest(session, digest="b" * 64).id == text.id
    crud.fail_call(session, call=text, error="bad file")
    assert crud.get_call_by_digest(session, digest="b" * 64) is None
    assert crud.get_call_by_digest(session, digest="b" * 64, include_failed=True).id == text.id
    public = crud.call_to_public(session, call)
    assert public.deal_external_id == "CRM-1" and public.status == "queued"
    assert [c.id for c in crud.list_deal_calls(session, deal_id=deal.id)] == [call.id]


def test_claim_takes_the_oldest_and_sets_the_first_stage(session):
    audio = _call(session)
    text = _call(session, kind=CallKind.TRANSCRIPT)
    first = crud.claim_next_call(session)
    assert first.id == audio.id and first.status == CallStatus.TRANSCRIBING and first.attempts == 1
    second = crud.claim_next_call(session)
    assert second.id == text.id and second.status == CallStatus.ANALYZING
    assert crud.claim_next_call(session) is None


def test_progress_failure_and_requeue(session):
    call = _call(session)
    crud.claim_next_call(session)
    call = crud.set_call_progress(session, call=call, progress=0.5, status=CallStatus.ANALYZING)
    assert (call.status, call.progress) == (CallStatus.ANALYZING, 0.5)
    assert crud.set_call_progress(session, call=call, progress=7).progress == 1.0
    call = crud.fail_call(session, call=call, error="cannot decode call.mp3")
    assert call.status == CallStatus.FAILED and call.error == "cannot decode call.mp3"
    call = crud.requeue_call(session, call=call)
    assert call.status == CallStatus.QUEUED and call.error is None


def test_reset_unfinished_calls(session):
    crashed = _call(session)
    done = _call(session)
    queued = _call(session)
    crud.claim_next_call(session)
    crud.claim_next_call(session)
    crud.set_call_progress(session, call=done, progress=1.0, status=CallStatus.DONE)
    assert crud.reset_unfinished_calls(session) == 1
    session.expire_all()
    assert crud.get_call(session, call_id=crashed.id).status == CallStatus.QUEUED
    assert crud.get_call(session, call_id=done.id).status == CallStatus.DONE
    assert crud.get_call(session, call_id=queued.id).status == CallStatus.QUEUED


def test_reset_gives_up_after_max_attempts(session):
    call = _call(session)
    for _ in range(2):
        crud.claim_next_call(session)
        crud.reset_unfinished_calls(session, max_attempts=2)
    session.expire_all()
    call = crud.get_call(session, call_id=call.id)
    assert call.status == CallStatus.FAILED and "2 attempts" in call.error


def test_concurrent_claimers_never_share_a_call(engine):
    with Session(engine) as session:
        for _ in range(20):
            _call(session)
    claimed: list[list[int]] = [[], [], [], []]
    errors: list[BaseException] = []
    start = threading.Barrier(len(claimed))

    def worker(mine: list[int]) -> None:
        try:
            with Session(engine) as session:
                start.wait()
                while (call := crud.claim_next_call(session)) is not None:
                    mine.append(call.id)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    everything = [call_id for mine in claimed for call_id in mine]
    assert len(everything) == 20 and len(set(everything)) == 20
    with Session(engine) as session:
        calls = session.exec(select(Call)).all()
        assert all(c.status == CallStatus.TRANSCRIBING and c.attempts == 1 for c in calls)


def test_postgres_claim_skips_a_locked_call_instead_of_waiting(engine):
    if engine.dialect.name != "postgresql":
        return  # SQLite has no row locks; the conditional UPDATE above covers it
    with Session(engine) as session:
        first, second = _call(session).id, _call(session).id
    with Session(engine) as holder, Session(engine) as claimer:
        locked = holder.exec(select(Call).where(Call.id == first).with_for_update()).one()
        assert locked.id == first
        claimer.connection().exec_driver_sql("SET lock_timeout = '2s'")  # fail rather than hang
        assert crud.claim_next_call(claimer).id == second
        holder.rollback()
        assert crud.claim_next_call(claimer).id == first
