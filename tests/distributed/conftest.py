"""Distributed-mode fixtures: PostgreSQL (a fresh schema), Redis (a dedicated db) and real workers.

The tests skip with the reason when Redis or PostgreSQL cannot be reached, unless
DEALSIGNAL_REQUIRE_POSTGRES=1 makes that a failure. Redis db 5 is flushed at the start of
each test (override with DEALSIGNAL_TEST_REDIS_URL).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.models.conftest import POSTGRES_URL, _require_postgres

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("DEALSIGNAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
RABBITMQ_URL = os.environ.get("DEALSIGNAL_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_S = 6.0  # short, so a killed worker's call is taken over within seconds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "distributed: real Celery workers on PostgreSQL and Redis (skipped when unreachable)"
    )


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} unreachable: {exc}"
    return None


@pytest.fixture
def redis_url() -> str:
    """Return the test Redis URL, flushed; skip (or fail when required) if Redis is down."""
    import redis

    problem = _redis_problem()
    if problem is not None:
        if os.environ.get("DEALSIGNAL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem} (DEALSIGNAL_REQUIRE_POSTGRES=1)")
        pytest.skip(f"{problem}; set DEALSIGNAL_TEST_REDIS_URL, or DEALSIGNAL_REQUIRE_POSTGRES=1 to fail")
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """Yield a PostgreSQL URL on a brand-new schema, dropped afterwards (survives server restarts)."""
    _require_postgres()
    schema = f"t_dist_{secrets.token_hex(5)}"
    admin = sa.create_engine(POSTGRES_URL, poolclass=NullPool)  # no pooled connection a restart could kill
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture
def rabbitmq_url() -> str:
    """Return the test RabbitMQ URL; skip when RabbitMQ does not answer (it is optional)."""
    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.skip(f"RabbitMQ at {RABBITMQ_URL} unreachable: {exc}; set DEALSIGNAL_TEST_RABBITMQ_URL")
    return RABBITMQ_URL


@dataclass
class Cluster:
    """Environment shared by the API (in the test process) and worker subprocesses."""

    env: dict[str, str]
    logs: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(
        self, name: str, *, threads: int = 1, extra: tuple[str, ...] = ()
    ) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "api.cli", "worker", "--lease-s", str(LEASE_S)]
        command += ["--threads", str(threads), *extra]
        with (self.logs / f"{name}.log").open("ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.workers[name] = process
        return process

    def log_text(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_text(name):
                return
            if self.workers[name].poll() is not None:
                raise AssertionError(f"worker {name} exited:\n{self.log_text(name)[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"worker {name} not ready after {timeout} s:\n{self.log_text(name)[-3000:]}")

    def kill(self, name: str) -> None:
        self.workers[name].send_signal(signal.SIGKILL)
        self.workers[name].wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def cluster(pg_schema_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Yield the environment of a distributed deployment; stop its workers afterwards."""
    data = tmp_path / "shared"  # stands in for the NFS/EFS folder every machine mounts
    data.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEALSIGNAL_")}
    env |= {
        "DEALSIGNAL_DATA_DIR": str(data),
        "DEALSIGNAL_DATABASE_URL": pg_schema_url,
        "DEALSIGNAL_RUNNER__KIND": "celery",
        "DEALSIGNAL_RUNNER__BROKER_URL": redis_url,
        "DEALSIGNAL_RUNNER__QUEUE": f"dealsignal.test.{secrets.token_hex(4)}",
        "PYTHONUNBUFFERED": "1",
    }
    cluster = Cluster(env=env, logs=logs)
    try:
        yield cluster
    finally:
        cluster.stop_all()
