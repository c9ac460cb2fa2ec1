"""Call leases (SQLite and PostgreSQL) and the health and metrics endpoints of the Celery mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, update

from api.config import Settings
from api.main import create_app
from api.runner_celery import celery_config
from models import crud
from models.crud import leases
from models.crud.leases import ClaimOutcome
from models.enums import CallKind, CallStatus
from models.schemas import CallCreate
from models.tables import Call
from tests.models.conftest import db_url, engine, postgres_schema_url  # noqa: F401  (fixtures)

LEASE = 30.0


def _call(engine: Engine, kind: CallKind = CallKind.TRANSCRIPT) -> int:  # noqa: F811
    with Session(engine) as session:
        call = crud.create_call(session, call_in=CallCreate(kind=kind, transcript={"utterances": []}))
        assert call.id is not None
        return call.id


def _age(engine: Engine, call_id: int, seconds: float) -> None:  # noqa: F811
    """Pretend the call's holder last renewed its lease `seconds` ago."""
    with Session(engine) as session:
        when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
        session.exec(update(Call).where(col(Call.id) == call_id).values(updated_at=when))
        session.commit()


def _claim(engine: Engine, call_id: int, **kwargs: object) -> leases.Claim:  # noqa: F811
    with Session(engine) as session:
        return leases.claim_call(session, call_id=call_id, lease_s=LEASE, **kwargs)  # type: ignore[arg-type]


def test_a_live_lease_is_never_shared(engine: Engine) -> None:  # noqa: F811
    call_id = _call(engine)
    first = _claim(engine, call_id)
    assert (first.outcome, first.token) == (ClaimOutcome.CLAIMED, 1)
    second = _claim(engine, call_id)
    assert second.outcome is ClaimOutcome.BUSY
    assert 0 < second.wait_s <= LEASE
    assert _claim(engine, 10_000).outcome is ClaimOutcome.MISSING


def test_an_expired_lease_is_taken_over_and_fences_the_old_holder(engine: Engine) -> None:  # noqa: F811
    call_id = _call(engine, CallKind.AUDIO)
    old = _claim(engine, call_id)
    _age(engine, call_id, LEASE + 1)
    new = _claim(engine, call_id)
    assert (new.outcome, new.token) == (ClaimOutcome.CLAIMED, 2)
    with Session(engine) as session:
        assert session.get(Call, call_id).status == CallStatus.TRANSCRIBING  # type: ignore[union-attr]
        assert not leases.renew_lease(session, call_id=call_id, token=old.token)
        assert leases.renew_lease(session, call_id=call_id, token=new.token)
        with pytest.raises(leases.LeaseLostError):
            leases.lock_leased_call(session, call_id=call_id, token=old.token)
        assert leases.lock_leased_call(session, call_id=call_id, token=new.token).attempts == 2
        session.rollback()


def test_a_retry_resumes_its_own_lease_without_using_an_attempt(engine: Engine) -> None:  # noqa: F811
    call_id = _call(engine)
    token = _claim(engine, call_id).token
    again = _claim(engine, call_id, resume_token=token)
    assert (again.outcome, again.token) == (ClaimOutcome.CLAIMED, token)
    assert _claim(engine, call_id, resume_token=token + 5).outcome is ClaimOutcome.BUSY


def test_finished_calls_and_poison_calls(engine: Engine) -> None:  # noqa: F811
    done, poison = _call(engine), _call(engine)
    token = _claim(engine, done).token
    with Session(engine) as session:
        call = leases.lock_leased_call(session, call_id=done, token=token)
        crud.set_call_progress(session, call=call, progress=1.0, status=CallStatus.DONE)
    assert _claim(engine, done).outcome is ClaimOutcome.FINISHED
    for _ in range(3):  # killed three times
        assert _claim(engine, poison).outcome is ClaimOutcome.CLAIMED
        _age(engine, poison, LEASE + 1)
    assert _claim(engine, poison).outcome is ClaimOutcome.GAVE_UP
    with Session(engine) as session:
        assert session.get(Call, poison).error == "gave up after 3 attempts"  # type: ignore[union-attr]


def test_sweeps_requeue_expired_leases_and_find_lost_messages(engine: Engine) -> None:  # noqa: F811
    stuck, running, waiting = _call(engine), _call(engine), _call(engine)
    _claim(engine, stuck)
    _claim(engine, running)
    _age(engine, stuck, LEASE + 1)
    _age(engine, waiting, LEASE + 1)
    with Session(engine) as session:
        assert leases.requeue_expired_calls(session, lease_s=LEASE) == [stuck]
        assert session.get(Call, stuck).status == CallStatus.QUEUED  # type: ignore[union-attr]
        assert leases.take_stale_queued_calls(session, older_than_s=LEASE) == [waiting]
        assert leases.take_stale_queued_calls(session, older_than_s=LEASE) == []  # touched: not twice
        counts = leases.count_calls_by_status(session)
    assert counts == {"queued": 2, "transcribing": 0, "analyzing": 1, "done": 0, "failed": 0}


def test_celery_settings_are_crash_safe() -> None:
    config = celery_config(Settings(transcribe={"max_duration_s": 3600}))
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["broker_transport_options"]["visibility_timeout"] > 3600
    rabbit = celery_config(Settings(runner={"broker_url": "amqp://guest:guest@127.0.0.1:5672//"}))
    assert rabbit["broker_url"].startswith("amqp://")


def test_health_names_the_broker_when_it_is_down(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        runner={"kind": "celery", "broker_url": "redis://127.0.0.1:1/0", "queue": "dealsignal.nowhere"},
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["down"] == ["broker"]
        assert response.json()["database"] == "ok"
        metrics = client.get("/metrics").text
    assert "dealsignal_broker_up 0.0" in metrics
    assert 'dealsignal_calls{status="queued"} 0.0' in metrics


def test_metrics_in_the_embedded_mode(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "dealsignal_queue_depth 0.0" in response.text
    assert 'dealsignal_call_processing_seconds_bucket{le="+Inf"} 0' in response.text
    assert "dealsignal_broker" not in response.text


def test_a_worker_that_lost_its_lease_writes_nothing(engine: Engine) -> None:  # noqa: F811
    from api.processing import process_call

    call_id = _call(engine)
    old = _claim(engine, call_id)
    _age(engine, call_id, LEASE + 1)
    new = _claim(engine, call_id)
    process_call(call_id, engine=engine, engines=None, token=old.token)  # type: ignore[arg-type]
    with Session(engine) as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert (call.status, call.attempts, call.error) == (CallStatus.ANALYZING, new.token, None)
