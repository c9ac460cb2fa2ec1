"""Schemathesis against the served OpenAPI document: no 5xx and no response outside the schema."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dealsignal(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.slow
def test_no_server_errors_or_schema_violations(tmp_path: Path) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed")
    env = os.environ | {
        "DEALSIGNAL_DATA_DIR": str(tmp_path),
        "DEALSIGNAL_RATE_LIMIT__ENABLED": "false",
        "DEALSIGNAL_RUNNER__RESCORE_INTERVAL_S": "0",
    }
    env.pop("DEALSIGNAL_DATABASE_URL", None)
    key = (
        _dealsignal(
            "users", "create", "--name", "Riley", "--email", "riley@x.example", "--role", "revops", env=env
        )
        .strip()
        .splitlines()[-1]
    )
    _dealsignal("users", "create", "--name", "Dana", "--email", "dana@x.example", "--role", "rep", env=env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.3)
        done = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "-H",
                f"Authorization: Bearer {key}",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--max-examples",
                "10",
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert done.returncode == 0, done.stdout[-4000:]
