"""CRM bulk upsert, as a connector runs it: `POST /v1/crm/deals/bulk` against `dealsignal serve`.

    python bench/crm_bench.py [--db postgres|sqlite|both] [--records 200] [--rounds 3]

For each database: a fresh one (a new PostgreSQL schema, or a temp SQLite file), RevOps and four
reps as owners, one server process on loopback (rate limit off, no periodic re-scoring). Each
round sends `--records` deals three times: all new (created), all changed (updated: stage,
amount and close date move), then unchanged (no-op), plus one batch where every tenth record is
invalid. Prints seconds per request (median and each round) and writes bench/out/crm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from models import crud  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.enums import Role  # noqa: E402

POSTGRES_URL = os.environ.get(
    "DEALSIGNAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
OWNERS = [f"rep{n}@bench.example" for n in range(4)]
KINDS = ("created", "updated", "unchanged", "one_in_ten_bad")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def _record(round_no: int, n: int, kind: str) -> dict[str, Any]:
    changed = kind != "created"
    record: dict[str, Any] = {
        "external_id": f"BENCH-{round_no}-{n:04d}",
        "name": f"Deal {n}",
        "account": f"Account {n % 50}",
        "owner_email": OWNERS[n % len(OWNERS)],
        "stage": "Proposal" if changed else "Discovery",
        "amount": str(10_000 + n * (7 if changed else 5)),
        "currency": "USD",
        "close_date": "2027-03-31" if changed else "2026-12-31",
        "contacts": [{"name": f"Buyer {n}", "email": f"buyer{n}@acct{n % 50}.example", "title": "CFO"}],
    }
    if kind == "one_in_ten_bad" and n % 10 == 0:
        record["stage"] = "No such stage"
    return record


def _post(port: int, key: str, records: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"http://127.0.0.1:{port}/v1/crm/deals/bulk",
        data=json.dumps({"records": records}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        body = json.loads(response.read())
    return time.perf_counter() - started, body


def _seed(url: str) -> str:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        _, key = crud.create_user(
            session, name="Bench RevOps", email="revops@bench.example", role=Role.REVOPS
        )
        for email in OWNERS:
            crud.create_user(session, name=email.split("@")[0], email=email, role=Role.REP)
    engine.dispose()
    return key


def _run_rounds(port: int, key: str, records: int, rounds: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_no in range(rounds):
        for kind in KINDS:
            batch_round = round_no + 1000 if kind == "one_in_ten_bad" else round_no
            batch = [_record(batch_round, n, kind) for n in range(records)]
            elapsed, body = _post(port, key, batch)
            expected_failed = records // 10 + (records % 10 > 0) if kind == "one_in_ten_bad" else 0
            assert body["failed"] == expected_failed, body["failed"]
            if kind == "created":
                assert body["created"] == records, body
            seconds[kind].append(round(elapsed, 3))
    return seconds


def bench(db: str, records: int, rounds: int) -> dict[str, Any]:
    """Measure one database: seconds per bulk request of each kind, every round."""
    folder = Path(tempfile.mkdtemp(prefix="dealsignal-crm-bench-"))
    schema = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL) if db == "postgres" else None
    if admin is not None:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        database_url = url.render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{folder}/dealsignal.db"
    key = _seed(database_url)
    port = _free_port()
    env = os.environ | {
        "DEALSIGNAL_DATA_DIR": str(folder),
        "DEALSIGNAL_DATABASE_URL": database_url,
        "DEALSIGNAL_RUNNER__RESCORE_INTERVAL_S": "0",
        "DEALSIGNAL_RATE_LIMIT__ENABLED": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        seconds = _run_rounds(port, key, records, rounds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if admin is not None:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    median = {kind: statistics.median(values) for kind, values in seconds.items()}
    return {"db": db, "records": records, "rounds": rounds, "seconds": seconds, "median_s": median}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    results = [bench(db, args.records, args.rounds) for db in dbs]
    print(f"{'db':<9} {'batch':<15} {'median s':>9}  rounds (s)")
    for result in results:
        for kind in KINDS:
            rounds = " ".join(f"{s:.2f}" for s in result["seconds"][kind])
            print(f"{result['db']:<9} {kind:<15} {result['median_s'][kind]:>9.2f}  {rounds}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "crm.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
