"""Signals at scale: re-score 100,000 deals with their histories, and a team's weekly review.

    python bench/signals_bench.py [--deals 100000] [--postgres URL] [--skip-postgres]

Fills a fresh SQLite file and a fresh PostgreSQL schema with the same synthetic pipeline
(400 reps in 20 teams; each deal with a call, utterances, two stakeholders, a next step,
methodology evidence, stage and close-date history, some objections), then times on each:
  - the first `rescore_pipeline` over every deal (every score is new: all written, all events),
  - the weekly pipeline review of one team of 20 reps with 5,000 open deals (target <= 500 ms),
  - a forced full re-score right after (as after RevOps changes weights; target <= 10 s on 2 cores),
  - the periodic run (`due_only`) one hour and one day later: only deals whose risk is due.
`--workers N` sets the re-scoring processes (default: one per core). Prints a table and
writes bench/out/signals.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.flows import rescore_pipeline  # noqa: E402
from api.gctuning import tune_for_server  # noqa: E402
from api.inspection import pipeline_review  # noqa: E402
from models.crud.results import speakers_by_side  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.tables import (  # noqa: E402
    Account,
    Call,
    Contact,
    Deal,
    DealCloseDateHistory,
    DealStageHistory,
    MethodologyEvidence,
    NextStep,
    Objection,
    Stakeholder,
    User,
    Utterance,
)

STAGES = ["qualified", "discovery", "proposal", "commit"]
NOW = dt.datetime.now(dt.UTC)
TEAMS, REPS_PER_TEAM = 20, 20


def _table(model: type[SQLModel]) -> sa.Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, sa.Table)
    return table


def _insert(conn: sa.Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(_table(model)), rows[start : start + 5000])


def _people(conn: sa.Connection) -> list[int]:
    managers: list[dict[str, Any]] = [
        {
            "id": t + 1,
            "name": f"Manager {t}",
            "email": f"m{t}@bench.example",
            "role": "manager",
            "manager_id": None,
            "active": True,
            "created_at": NOW,
        }
        for t in range(TEAMS)
    ]
    reps: list[dict[str, Any]] = [
        {
            "id": 1000 + t * REPS_PER_TEAM + r,
            "name": f"Rep {t}.{r}",
            "email": f"r{t}.{r}@bench.example",
            "role": "rep",
            "manager_id": t + 1,
            "active": True,
            "created_at": NOW,
        }
        for t in range(TEAMS)
        for r in range(REPS_PER_TEAM)
    ]
    _insert(conn, User, managers + reps)
    return [r["id"] for r in reps]


def fill(engine: sa.Engine, deals: int, seed: int = 7) -> None:
    """Insert the synthetic pipeline (identical for the same seed and size)."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        reps = _people(conn)
        _insert(
            conn, Account, [{"id": i + 1, "name": f"Account {i}", "created_at": NOW} for i in range(deals)]
        )
        rows: dict[type[SQLModel], list[dict[str, Any]]] = {
            m: []
            for m in (
                Deal,
                DealStageHistory,
                DealCloseDateHistory,
                Call,
                Utterance,
                Contact,
                Stakeholder,
                NextStep,
                Objection,
                MethodologyEvidence,
            )
        }
        for i in range(deals):
            _deal_rows(rows, rng, i + 1, reps[i % len(reps)])
        for model, items in rows.items():
            _insert(conn, model, items)


def _deal_rows(
    rows: dict[type[SQLModel], list[dict[str, Any]]], rng: random.Random, n: int, owner: int
) -> None:
    entered = NOW - dt.timedelta(days=rng.randint(1, 60))
    call_at = NOW - dt.timedelta(days=rng.randint(0, 30))
    close = (NOW + dt.timedelta(days=rng.randint(-10, 120))).date()
    rows[Deal].append(
        {
            "id": n,
            "external_id": f"B-{n}",
            "name": f"Deal {n}",
            "account_id": n,
            "owner_id": owner,
            "stage": rng.choice(STAGES),
            "amount": rng.randint(5, 300) * 1000,
            "currency": "USD",
            "close_date": close,
            "risk_factors": [],
            "stage_entered_at": entered,
            "created_at": entered - dt.timedelta(days=30),
            "updated_at": call_at,
            "version": 1,
            "next_step_confirmed": False,
            "last_buyer_activity": call_at,
        }
    )
    rows[DealStageHistory].append(
        {"deal_id": n, "from_stage": "qualified", "to_stage": "discovery", "at": entered}
    )
    if rng.random() < 0.3:
        rows[DealCloseDateHistory].append(
            {
                "deal_id": n,
                "from_date": close - dt.timedelta(days=14),
                "to_date": close,
                "at": call_at,
                "source": "crm",
            }
        )
    said = (("Rep", "rep"), (f"Buyer {n}", "buyer"))
    rows[Call].append(
        {
            "id": n,
            "deal_id": n,
            "date": call_at.date(),
            "started_at": call_at,
            "source": "api",
            "kind": "transcript",
            "status": "done",
            "progress": 1.0,
            "attempts": 1,
            "created_at": call_at,
            "updated_at": call_at,
            "processed_at": call_at,
            "options": {},
            "model_versions": {},
            "speakers": speakers_by_side(said),
        }
    )
    for index, (speaker, side) in enumerate(said):
        rows[Utterance].append(
            {
                "call_id": n,
                "index": index,
                "speaker": speaker,
                "side": side,
                "start": float(index),
                "end": index + 0.9,
                "text": "...",
            }
        )
    for k in range(2):
        contact = 2 * n + k
        rows[Contact].append({"id": contact, "account_id": n, "name": f"Person {contact}", "created_at": NOW})
        rows[Stakeholder].append(
            {
                "deal_id": n,
                "contact_id": contact,
                "role": "economic_buyer" if k else "champion",
                "decision_maker": bool(k),
                "on_calls": 1 - k,
                "last_seen_at": call_at,
                "confidence": 0.9,
                "confirmed": False,
            }
        )
    rows[NextStep].append(
        {
            "call_id": n,
            "deal_id": n,
            "utterance_index": 1,
            "text": "send the proposal",
            "action": "send the proposal",
            "owner_side": "rep",
            "confirmed": rng.random() < 0.5,
            "due": (call_at + dt.timedelta(days=rng.randint(-5, 20))).date(),
            "confidence": 0.8,
            "status": "suggested",
            "created_at": call_at,
        }
    )
    if rng.random() < 0.5:
        rows[Objection].append(
            {
                "call_id": n,
                "deal_id": n,
                "utterance_index": 1,
                "category": "pricing",
                "text": "too expensive",
                "status": "open",
                "confidence": 0.8,
            }
        )
    for element in ("identify_pain", "metrics"):
        rows[MethodologyEvidence].append(
            {"deal_id": n, "call_id": n, "framework": "MEDDICC", "element": element, "utterance_index": 1}
        )


def measure(engine: sa.Engine, deals: int, workers: int | None) -> dict[str, Any]:
    """Time the re-scoring runs and the weekly review of team 0 (best of 5 for the review)."""
    tune_for_server()  # as `dealsignal serve` and its re-scoring job run
    with Session(engine) as session:
        first = rescore_pipeline(session, workers=workers)
        manager = session.exec(select(User).where(User.email == "m0@bench.example")).one()
        timings = []
        for _ in range(5):
            now = dt.datetime.now(dt.UTC)
            year, week, _ = now.date().isocalendar()
            start = time.perf_counter()
            review = pipeline_review(session, manager=manager, week=f"{year}-W{week:02d}", now=now)
            timings.append(time.perf_counter() - start)
        forced = rescore_pipeline(session, workers=workers)
        later = dt.datetime.now(dt.UTC)
        hour = rescore_pipeline(session, workers=workers, due_only=True, now=later + dt.timedelta(hours=1))
        day = rescore_pipeline(session, workers=workers, due_only=True, now=later + dt.timedelta(days=1))
    return {
        "deals": deals,
        "workers": workers,
        "rescore_first_s": first.seconds,
        "rescore_first_changed": first.changed,
        "rescore_s": forced.seconds,
        "rescore_changed": forced.changed,
        "due_1h_s": hour.seconds,
        "due_1h_deals": hour.deals,
        "due_1d_s": day.seconds,
        "due_1d_deals": day.deals,
        "review_ms_best": round(min(timings) * 1000, 1),
        "review_ms_median": round(statistics.median(timings) * 1000, 1),
        "review_at_risk": len(review["at_risk"]),
        "load_avg_1m": round(os.getloadavg()[0], 1),
    }


def run_sqlite(deals: int, workers: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        start = time.perf_counter()
        fill(engine, deals)
        filled = time.perf_counter() - start
        result = measure(engine, deals, workers) | {"database": "sqlite", "fill_s": round(filled, 1)}
        engine.dispose()
    return result


def run_postgres(url: str, deals: int, workers: int | None) -> dict[str, Any]:
    schema = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = make_engine(scoped.render_as_string(hide_password=False))
        migrate(engine)
        start = time.perf_counter()
        fill(engine, deals)
        filled = time.perf_counter() - start
        with engine.begin() as conn:  # fresh statistics, as autovacuum would have after a bulk load
            conn.exec_driver_sql("ANALYZE")
        result = measure(engine, deals, workers) | {"database": "postgresql", "fill_s": round(filled, 1)}
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--workers", type=int, default=None, help="re-scoring processes (default: cores)")
    args = parser.parse_args()
    results = [run_sqlite(args.deals, args.workers)]
    if not args.skip_postgres:
        results.append(run_postgres(args.postgres, args.deals, args.workers))
    print(
        f"{'database':<11} {'deals':>7} {'fill s':>7} {'first s':>8} {'forced s':>9} "
        f"{'due+1h s (deals)':>17} {'due+1d s (deals)':>17} {'review ms (best/median)':>24}"
    )
    for r in results:
        print(
            f"{r['database']:<11} {r['deals']:>7} {r['fill_s']:>7} {r['rescore_first_s']:>8} "
            f"{r['rescore_s']:>9} {r['due_1h_s']:>8} ({r['due_1h_deals']:>6}) "
            f"{r['due_1d_s']:>8} ({r['due_1d_deals']:>6}) "
            f"{r['review_ms_best']:>12} / {r['review_ms_median']:<8}"
        )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "signals.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
