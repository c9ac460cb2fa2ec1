"""Two real worker processes on PostgreSQL and Redis: crashes and outages lose and duplicate nothing."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.config import Settings
from api.main import create_app
from models import crud
from models.db import make_engine, migrate
from tests.distributed.conftest import LEASE_S, Cluster
from tests.distributed.helpers import (
    AUDIO,
    CORPUS,
    assert_exactly_once,
    create_deals,
    seed_revops,
    upload_audio,
    upload_transcript,
    wait_all_finished,
)

pytestmark = [pytest.mark.distributed, pytest.mark.postgres, pytest.mark.slow]

BATCH_TIMEOUT_S = 150


@contextmanager
def api(cluster: Cluster) -> Iterator[tuple[TestClient, Engine, dict[str, str]]]:
    """Run the API (Celery runner) in this process against the cluster's database and broker."""
    settings = Settings(
        data_dir=cluster.env["DEALSIGNAL_DATA_DIR"],
        database_url=cluster.env["DEALSIGNAL_DATABASE_URL"],
        runner={
            "kind": "celery",
            "broker_url": cluster.env["DEALSIGNAL_RUNNER__BROKER_URL"],
            "queue": cluster.env["DEALSIGNAL_RUNNER__QUEUE"],
        },
    )
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    auth = seed_revops(engine)
    try:
        with TestClient(create_app(settings)) as client:
            yield client, engine, auth
    finally:
        engine.dispose()


def _claimed_by(cluster: Cluster, call_id: int) -> str | None:
    pattern = re.compile(rf"call {call_id}: claimed with lease")
    for name in cluster.workers:
        if pattern.search(cluster.log_text(name)):
            return name
    return None


def _wait_transcribing(engine: Engine, cluster: Cluster, audio_ids: list[int], timeout: float = 90) -> str:
    """Wait until a worker is transcribing one of the recordings; return that worker's name."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call_id in audio_ids:
            status, _ = _state(engine, call_id)
            holder = _claimed_by(cluster, call_id) if status == "transcribing" else None
            if holder is not None:
                return holder
        time.sleep(0.1)
    raise AssertionError(f"no recording was being transcribed within {timeout} s")


def test_sigkill_during_transcription_loses_and_duplicates_nothing(cluster: Cluster) -> None:
    cluster.start_worker("a")
    cluster.start_worker("b")
    with api(cluster) as (client, engine, auth):
        deals = create_deals(client, auth)
        cluster.wait_ready("a")
        cluster.wait_ready("b")
        audio_ids = [upload_audio(client, auth, path, deals[n]) for n, path in enumerate(AUDIO)]
        ids = audio_ids + [
            upload_transcript(client, auth, path, deals[n % len(deals)]) for n, path in enumerate(CORPUS[:18])
        ]
        victim = _wait_transcribing(engine, cluster, audio_ids)
        cluster.kill(victim)  # SIGKILL mid-transcription: no ack, no cleanup, the lease goes stale
        cluster.start_worker(victim)
        statuses = wait_all_finished(engine, ids, timeout=BATCH_TIMEOUT_S)
        assert set(statuses.values()) == {"done"}, statuses
        assert_exactly_once(engine, ids)
        retried = [i for i in audio_ids if _attempts(engine, i) == 2]
        assert retried, "the killed worker's recording was not taken over"
        assert client.get("/healthz").json()["broker"] == "ok"


def _attempts(engine: Engine, call_id: int) -> int:
    return _state(engine, call_id)[1]


def _state(engine: Engine, call_id: int) -> tuple[str, int]:
    with Session(engine) as session:
        call = crud.get_call(session, call_id=call_id)
        assert call is not None
        return str(call.status), call.attempts


REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _pg_ctl(action: str) -> None:
    version = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True, check=True)
    cluster_version = version.stdout.split()[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version, "main", action],
        check=True,
        capture_output=True,
    )


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


def _ensure_services() -> None:
    if not _redis_up():
        subprocess.run(REDIS_START, check=False)
    status = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    if "online" not in status:
        _pg_ctl("start")


def test_batch_survives_redis_and_postgres_restarts(cluster: Cluster) -> None:
    if not _redis_up() or subprocess.run(["which", "pg_ctlcluster"], capture_output=True).returncode:
        pytest.skip("needs the local Redis and PostgreSQL servers (redis-cli, pg_ctlcluster)")
    cluster.start_worker("a")
    cluster.start_worker("b")
    with api(cluster) as (client, engine, auth):
        deals = create_deals(client, auth)
        cluster.wait_ready("a")
        cluster.wait_ready("b")
        ids = [
            upload_transcript(client, auth, path, deals[n % len(deals)]) for n, path in enumerate(CORPUS[:20])
        ]
        wait_some_done(engine, ids, at_least=3)
        try:
            # Redis runs without persistence: the restart drops every queued message.
            subprocess.run(["redis-cli", "shutdown", "nosave"], check=False, capture_output=True)
            time.sleep(1)
            subprocess.run(REDIS_START, check=True)
            _pg_ctl("restart")
        finally:
            _ensure_services()
        statuses = wait_all_finished(engine, ids, timeout=BATCH_TIMEOUT_S)
        assert set(statuses.values()) == {"done"}, statuses
        assert_exactly_once(engine, ids)
        assert client.get("/healthz").status_code == 200


def wait_some_done(engine: Engine, ids: list[int], *, at_least: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = sum(_state(engine, i)[0] == "done" for i in ids)
        if done >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} calls done after {timeout} s")


assert LEASE_S < BATCH_TIMEOUT_S


def test_prefork_worker_on_rabbitmq_by_configuration_alone(cluster: Cluster, rabbitmq_url: str) -> None:
    cluster.env["DEALSIGNAL_RUNNER__BROKER_URL"] = rabbitmq_url
    cluster.start_worker("prefork", extra=("--concurrency", "2"))
    with api(cluster) as (client, engine, auth):
        deals = create_deals(client, auth)
        cluster.wait_ready("prefork")
        ids = [upload_transcript(client, auth, path, deals[n % 4]) for n, path in enumerate(CORPUS[:6])]
        statuses = wait_all_finished(engine, ids, timeout=BATCH_TIMEOUT_S)
        assert set(statuses.values()) == {"done"}, statuses
        assert_exactly_once(engine, ids)
        health = client.get("/healthz").json()
        assert (health["broker"], health["queue_length"]) == ("ok", 0)
    pids = set(re.findall(r"claimed with lease \d+ by pid (\d+)", cluster.log_text("prefork")))
    assert len(pids) == 2, pids  # two child processes, each with its own models
