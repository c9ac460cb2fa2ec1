"""Re-scoring many deals: chunks of ids read and scored in worker processes, written by the caller.

Building a deal's state and scoring it is pure Python (about 0.5 ms a deal): a pipeline of
100,000 deals uses every core when worker processes each read and score a range of ids with
their own connection. They send back only the writes (`RiskWrites`: new scores, moved
freshness, change events), which the calling process applies and commits chunk by chunk in id
order, so the change feed keeps its single writer, its lock and its order.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from models.crud.bulk_state import rescore_ids, stored_risks_with_states
from models.crud.risks import RiskWrites, fresh_until_column, plan_risk_writes
from models.db import make_engine
from signals.config import RiskConfig
from signals.freshness import risk_fresh_until
from signals.risk import score_deal
from signals.types import DealState, RiskScore

MIN_DEALS_PER_WORKER = 4000  # below this, starting processes costs more than it saves


def score_with_freshness(
    state: DealState, *, now: dt.datetime, config: RiskConfig
) -> tuple[RiskScore, dt.datetime]:
    """Score a deal, with the stored `risk_fresh_until` value: when time alone may change the score."""
    risk = score_deal(state, now=now, config=config)
    return risk, fresh_until_column(risk_fresh_until(state, now=now, config=config))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A range of deal ids (after_id, until_id] to re-score at `now`."""

    after_id: int
    until_id: int
    now: dt.datetime
    due_at: dt.datetime | None


def score_chunk(session: Session, chunk: Chunk, config: RiskConfig) -> tuple[int, RiskWrites]:
    """Read and score one chunk; return how many deals it held and the writes they need."""
    rows = stored_risks_with_states(
        session, after_id=chunk.after_id, until_id=chunk.until_id, due_at=chunk.due_at
    )
    scored = [(stored, *score_with_freshness(state, now=chunk.now, config=config)) for stored, state in rows]
    return len(rows), plan_risk_writes(scored)


def chunks(ids: list[int], *, batch: int, now: dt.datetime, due_at: dt.datetime | None) -> list[Chunk]:
    """Cut sorted deal ids into chunks of at most `batch` deals."""
    starts = range(0, len(ids), batch)
    return [Chunk(ids[i - 1] if i else 0, ids[min(i + batch, len(ids)) - 1], now, due_at) for i in starts]


def plan_chunks(
    session: Session, *, batch: int, now: dt.datetime, due_only: bool
) -> tuple[list[int], list[Chunk]]:
    """List the deals to re-score and cut them into chunks."""
    due_at = now if due_only else None
    ids = rescore_ids(session, due_at=due_at)
    return ids, chunks(ids, batch=batch, now=now, due_at=due_at)


def worker_count(session: Session, chunks: int, deals: int, workers: int | None) -> int:
    """How many processes to score in (1: this process); by default, as many as pay for `deals`."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return 1  # an in-memory database is not shared with other processes
    if workers is None:
        workers = min(os.cpu_count() or 1, deals // MIN_DEALS_PER_WORKER)
    return max(1, min(workers, chunks))


# fork where there is one: a spawned worker re-imports the models, and with them spaCy and torch
# (10+ s), which would cost more than the scoring. A forked worker only reads its chunks through
# a new engine of its own and scores them (pure Python): none of the parent's threads, locks or
# connections are touched in the child.
_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

# Per worker process: its own engine and the config it was started with.
_WORKER: dict[str, Any] = {}


def _start_worker(inherited: sa.Engine | None, url: str, config: dict[str, Any]) -> None:
    if inherited is not None:
        # A forked child shares the parent's pooled connections: forget them without closing
        # them (closing would end the parent's sessions), as SQLAlchemy advises after fork.
        inherited.dispose(close=False)
    _WORKER["engine"] = make_engine(url)
    _WORKER["config"] = RiskConfig.from_dict(config)


def _score_in_worker(chunk: Chunk) -> tuple[int, RiskWrites]:
    with Session(_WORKER["engine"]) as session:
        return score_chunk(session, chunk, _WORKER["config"])


def score_in_processes(
    session: Session, planned: list[Chunk], *, config: RiskConfig, workers: int
) -> Iterator[tuple[int, RiskWrites]]:
    """Score the chunks in `workers` processes, yielding each chunk's result in order."""
    engine = session.get_bind().engine
    url = engine.url.render_as_string(hide_password=False)
    inherited = engine if _START_METHOD == "fork" else None  # fork passes it as is, spawn would pickle
    context = multiprocessing.get_context(_START_METHOD)
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(inherited, url, config.to_dict())
    ) as pool:
        yield from pool.map(_score_in_worker, planned)
