"""Calls processed per minute: the in-process runner vs Celery workers, 1 and 2 workers, one input set.

    python bench/throughput_bench.py [--transcripts 16] [--audio 2] [--postgres URL] [--redis URL]

Every configuration runs in fresh processes on a fresh PostgreSQL schema with the same calls
(labelled transcripts from fixtures/corpus/train plus 32-second recordings from
fixtures/audio). Threads per call are set so the workers share the machine's cores
(cores / workers each). The clock starts when the calls are queued, after the models are
loaded, and stops when the last call is done. Prints a table; writes bench/out/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = sorted((REPO / "fixtures" / "corpus" / "train").glob("*.json"))
AUDIO = [
    REPO / "fixtures" / "audio" / name for name in ("call_mono.flac", "call_mono.mp3", "call_8k_mulaw.wav")
]
OUT = REPO / "bench" / "out"
CONFIGS = (("inprocess", 1), ("inprocess", 2), ("celery", 1), ("celery", 2))


def _schema_url(base: str) -> tuple[str, str]:
    import sqlalchemy as sa

    schema = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    return schema, sa.make_url(base).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    ).render_as_string(hide_password=False)


def _drop_schema(base: str, schema: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _seed(url: str, transcripts: int, audio: int) -> list[int]:
    """Migrate, create a user and four deals, and queue the calls; return their ids."""
    from sqlmodel import Session

    from models import crud
    from models.db import make_engine, migrate
    from models.enums import CallKind, Role
    from models.schemas import CallCreate, CrmDealUpsert
    from transcribe.json_format import transcript_from_json, transcript_to_json

    engine = make_engine(url)
    migrate(engine)
    ids = []
    with Session(engine) as session:
        crud.create_user(session, name="Dana", email="dana@seller.example", role=Role.REP)
        deals = []
        for n in range(4):
            body = CrmDealUpsert(
                name=f"Deal {n}", account=f"Account {n}", owner_email="dana@seller.example", stage="Discovery"
            )
            deals.append(crud.upsert_deal_from_crm(session, external_id=f"B-{n}", data=body)[0].id)
        for n in range(audio):
            call_in = CallCreate(
                kind=CallKind.AUDIO, audio_path=str(AUDIO[n % len(AUDIO)]), deal_id=deals[n % 4]
            )
            ids.append(crud.create_call(session, call_in=call_in).id)
        for n in range(transcripts):
            document = json.loads(CORPUS[n % len(CORPUS)].read_text())
            document.pop("gold", None)
            transcript = transcript_from_json(document)
            call_in = CallCreate(
                kind=CallKind.TRANSCRIPT,
                transcript=transcript_to_json(transcript),
                date=transcript.date,
                deal_id=deals[(n + audio) % 4],
            )
            ids.append(crud.create_call(session, call_in=call_in).id)
    engine.dispose()
    return ids


def _wait_done(url: str, ids: list[int], timeout: float = 1800) -> dict[str, int]:
    from collections import Counter

    import sqlalchemy as sa
    from sqlmodel import Session, col, select

    from models.db import make_engine
    from models.tables import Call

    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                with Session(engine) as session:
                    statuses = session.exec(select(Call.status).where(col(Call.id).in_(ids))).all()
            except sa.exc.OperationalError:  # a shared server may restart under us: keep polling
                time.sleep(1)
                continue
            counts = Counter(str(s) for s in statuses)
            if counts["done"] + counts["failed"] == len(ids):
                return dict(counts)
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise TimeoutError(f"calls not finished after {timeout} s")


def run_inprocess(url: str, workers: int, threads: int) -> dict[str, Any]:
    """In this (fresh) process: load the models, start the embedded runner, time the batch."""
    import torch

    from api.config import Settings
    from api.engines import Engines
    from api.runner import InProcessRunner
    from models.db import make_engine

    torch.set_num_threads(threads)
    settings = Settings(database_url=url, transcribe={"cpu_threads": threads})
    engines = Engines(settings)
    started = time.perf_counter()
    engines.analyzer()
    engines.transcriber()
    load_s = time.perf_counter() - started
    engine = make_engine(url)
    runner = InProcessRunner(engine=engine, engines=engines, workers=workers, poll_interval_s=0.1)
    started = time.perf_counter()
    runner.start()
    try:
        return {"load_s": load_s, **_timed(url, started)}
    finally:
        runner.stop()
        engine.dispose()


def _timed(url: str, started: float) -> dict[str, Any]:
    ids = [int(i) for i in os.environ["BENCH_IDS"].split(",")]
    statuses = _wait_done(url, ids)
    return {"seconds": time.perf_counter() - started, "statuses": statuses}


def run_celery(
    url: str, redis: str, workers: int, threads: int, transcripts: int, audio: int
) -> dict[str, Any]:
    """Start `dealsignal worker` processes, queue the batch through the broker, time it."""
    from api.config import Settings
    from api.runner_celery import configure, publish

    queue = f"dealsignal.bench.{secrets.token_hex(3)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")}
    env |= {
        "DEALSIGNAL_DATABASE_URL": url,
        "DEALSIGNAL_RUNNER__KIND": "celery",
        "DEALSIGNAL_RUNNER__BROKER_URL": redis,
        "DEALSIGNAL_RUNNER__QUEUE": queue,
        "OMP_NUM_THREADS": str(threads),
    }
    logs = [OUT / f"worker-{workers}-{n}.log" for n in range(workers)]
    command = [sys.executable, "-m", "api.cli", "worker", "--threads", str(threads)]
    processes = []
    started = time.perf_counter()
    for log in logs:
        with log.open("wb") as handle:
            processes.append(
                subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
            )
    try:
        while not all(" ready." in log.read_text(errors="replace") for log in logs):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a worker exited; see {logs}")
            time.sleep(0.2)
        load_s = time.perf_counter() - started
        ids = _seed(url, transcripts, audio)
        app = configure(
            Settings(database_url=url, runner={"kind": "celery", "broker_url": redis, "queue": queue})
        )
        os.environ["BENCH_IDS"] = ",".join(map(str, ids))
        started = time.perf_counter()
        for call_id in ids:
            publish(app, call_id)
        return {"load_s": load_s, **_timed(url, started)}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)


def _child(args: argparse.Namespace) -> None:
    ids = _seed(args.url, args.transcripts, args.audio)
    os.environ["BENCH_IDS"] = ",".join(map(str, ids))
    result = run_inprocess(args.url, args.workers, args.threads)
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


def _inprocess_config(url: str, args: argparse.Namespace, workers: int, threads: int) -> dict[str, Any]:
    env = os.environ | {"OMP_NUM_THREADS": str(threads)}
    command = [
        sys.executable,
        __file__,
        "--child",
        "--url",
        url,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    command += ["--transcripts", str(args.transcripts), "--audio", str(args.audio)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"in-process run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transcripts", type=int, default=16)
    parser.add_argument("--audio", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument(
        "--single-thread-baseline",
        action="store_true",
        help="also run 1 Celery worker with 1 thread, to show what a second worker adds",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    configs = [(runner, workers, max(1, cores // workers)) for runner, workers in CONFIGS]
    if args.single_thread_baseline:
        configs.append(("celery", 1, 1))  # one worker's share of the machine: what a worker adds
    rows = [_run_config(args, runner, workers, threads) for runner, workers, threads in configs]
    _report(rows, cores, args.transcripts + args.audio, args)


def _run_config(args: argparse.Namespace, runner: str, workers: int, threads: int) -> dict[str, Any]:
    calls = args.transcripts + args.audio
    schema, url = _schema_url(args.postgres)
    try:
        if runner == "inprocess":
            result = _inprocess_config(url, args, workers, threads)
        else:
            result = run_celery(url, args.redis, workers, threads, args.transcripts, args.audio)
    finally:
        _drop_schema(args.postgres, schema)
    result["load_average"] = round(os.getloadavg()[0], 1)
    per_min = calls / result["seconds"] * 60
    sys.stdout.write(f"{runner:9} workers={workers} threads={threads}: {per_min:6.1f} calls/min\n")
    sys.stdout.flush()
    return {"runner": runner, "workers": workers, "threads_per_worker": threads, "calls": calls,
            "calls_per_min": round(per_min, 2), **result}  # fmt: skip


def _report(rows: list[dict[str, Any]], cores: int, calls: int, args: argparse.Namespace) -> None:
    base = {
        r["runner"]: r["calls_per_min"]
        for r in rows
        if r["workers"] == 1 and r["threads_per_worker"] == cores
    }
    for row in rows:
        row["speedup_vs_1_worker"] = round(row["calls_per_min"] / base[row["runner"]], 2)
    lines = [
        f"{calls} calls ({args.transcripts} transcripts, {args.audio} x 32 s recordings), {cores} cores",
        f"{'runner':10} {'workers':>7} {'threads':>7} {'load s':>7} {'batch s':>8} "
        f"{'calls/min':>10} {'speed-up':>8} {'load avg':>8}",
    ]
    for r in rows:
        lines.append(
            f"{r['runner']:10} {r['workers']:>7} {r['threads_per_worker']:>7} {r['load_s']:>7.1f} "
            f"{r['seconds']:>8.1f} {r['calls_per_min']:>10.1f} {r['speedup_vs_1_worker']:>7.2f}x"
            f" {r['load_average']:>8.1f}"
        )
    single = [r for r in rows if r["runner"] == "celery" and r["threads_per_worker"] == 1]
    scaling = None
    if len(single) == 2:  # 2 workers x 1 thread vs 1 worker x 1 thread
        scaling = round(single[0]["calls_per_min"] / single[1]["calls_per_min"], 2)
        lines.append(f"celery: 2 workers x 1 thread vs 1 worker x 1 thread: {scaling:.2f}x")
    sys.stdout.write("\n".join(lines) + "\n")
    report = {
        "scaling_2x1_vs_1x1": scaling,
        "load_average_note": "1-minute load average after each configuration (other jobs share the machine)",
        "cores": cores,
        "calls": calls,
        "transcripts": args.transcripts,
        "audio": args.audio,
        "rows": rows,
    }
    (OUT / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout.write(f"wrote {OUT / 'throughput.json'}\n")


if __name__ == "__main__":
    main()
