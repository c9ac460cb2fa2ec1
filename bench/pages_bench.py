"""Benchmark the web pages: server time per page with 5,000 deals in a SQLite database.

    python bench/pages_bench.py [--deals 5000] [--calls-per-deal 2] [--repeat 30] [--data-dir DIR]

Fills a fresh SQLite database (5 managers x 10 reps; every deal with processed calls, an
utterance-level transcript, a suggested next step, an objection and methodology evidence),
then requests each page through the ASGI app and times the server's handling of it (an ASGI
wrapper measures from the request arriving to the last body byte). Prints p50/p95 in ms and
writes bench/out/pages_bench.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from api.config import Settings  # noqa: E402
from api.engines import Engines  # noqa: E402
from api.flows import rescore_pipeline  # noqa: E402
from api.gctuning import tune_for_server  # noqa: E402
from api.main import create_app  # noqa: E402
from api.ui.cache import PerDealCache, VersionedCache  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.tables import Call, Deal  # noqa: E402
from tests.ui.seed import add_deals, make_org, score_all  # noqa: E402

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Timed:
    """ASGI wrapper recording the server time (wall and process CPU) of every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_ms = 0.0
        self.last_cpu_ms = 0.0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.last_ms = (time.perf_counter() - start) * 1000
            self.last_cpu_ms = (time.process_time() - cpu) * 1000


def fill(settings: Settings, deals: int, calls_per_deal: int) -> dict[str, Any]:
    """Create the organisation and its deals; return keys and sample ids."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        org = make_org(session, managers=5, reps_per_manager=10)
        add_deals(session, owners=org.reps, count=deals, calls_per_deal=calls_per_deal)
        score_all(session)
        rescore_pipeline(session)  # as the periodic job leaves it: every stored risk fresh
        rep = org.reps[0]
        deal_id = session.exec(select(Deal.id).where(Deal.owner_id == rep.id).order_by(col(Deal.id))).first()
        call_id = session.exec(select(Call.id).where(Call.deal_id == deal_id)).first()
        counts = {
            "deals": len(session.exec(select(Deal.id)).all()),
            "calls": len(session.exec(select(Call.id)).all()),
        }
    engine.dispose()
    return {
        "rep": org.key(org.reps[0].email),
        "manager": org.key(org.managers[0].email),
        "leader": org.key(org.leader.email if org.leader else ""),
        "deal_id": deal_id,
        "call_id": call_id,
        "fill_s": round(time.perf_counter() - started, 1),
        **counts,
    }


def _pcts(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return round(statistics.median(values), 1), round(p95, 1)


MODES = {
    "warm": "",
    "changed": " (after a change: summary recomputed, unchanged deals' reads cached)",
    "cold": " (cold: both caches emptied)",
}


def measure(
    client: TestClient, timer: Timed, path: str, repeat: int, *, mode: str = "warm"
) -> dict[str, float]:
    """Request a page `repeat` times (after one warm-up); return p50/p95 server wall and CPU ms.

    `changed` empties the summary cache before each request (as any data change does); `cold`
    also empties the per-deal state cache (as after a restart).
    """
    client.get(path)
    wall, cpu = [], []
    state = timer.app.state  # type: ignore[attr-defined]
    for _ in range(repeat):
        if mode in ("changed", "cold"):
            state.ui_cache = VersionedCache()
        if mode == "cold":
            state.ui_deals = PerDealCache()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        wall.append(timer.last_ms)
        cpu.append(timer.last_cpu_ms)
    (p50, p95), (cpu50, cpu95) = _pcts(wall), _pcts(cpu)
    return {"p50_ms": p50, "p95_ms": p95, "cpu_p50_ms": cpu50, "cpu_p95_ms": cpu95}


def run_pages(settings: Settings, seeded: dict[str, Any], *, repeat: int, gc_freeze: bool) -> dict[str, Any]:
    """Sign in as each role and measure its pages; team and forecast warm (cached) and cold."""
    app = create_app(settings, engines=Engines(settings))
    timer = Timed(app)
    pages = {
        "rep": ["/", f"/deals/{seeded['deal_id']}", f"/calls/{seeded['call_id']}"],
        "manager": ["/", "/team", "/forecast"],
        "leader": ["/team", "/forecast"],
    }
    cached = {"/team", "/forecast"}
    results: dict[str, Any] = {}
    with TestClient(timer) as client:
        if gc_freeze:
            tune_for_server()  # as `dealsignal serve` does once started
        for who, paths in pages.items():
            client.cookies.clear()
            client.post("/signin", data={"api_key": seeded[who]}, follow_redirects=False)
            for path in paths:
                for mode in MODES if path in cached else ("warm",):
                    name = f"{who} {path}{MODES[mode]}"
                    results[name] = f = measure(client, timer, path, repeat, mode=mode)
                    print(
                        f"{name:<84} wall p50 {f['p50_ms']:>6.1f} p95 {f['p95_ms']:>6.1f} ms"
                        f"   cpu p50 {f['cpu_p50_ms']:>6.1f} p95 {f['cpu_p95_ms']:>6.1f} ms"
                    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=5000)
    parser.add_argument("--calls-per-deal", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--no-gc-tuning",
        dest="gc_freeze",
        action="store_false",
        help="skip the server's garbage-collector tuning (api.gctuning), which `dealsignal serve` applies",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="pages-bench-"))
    settings = Settings(data_dir=data_dir, database_url=None)
    seeded = fill(settings, args.deals, args.calls_per_deal)
    print(f"load while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"filled {seeded['deals']} deals, {seeded['calls']} calls in {seeded['fill_s']} s ({data_dir})")
    results = run_pages(settings, seeded, repeat=args.repeat, gc_freeze=args.gc_freeze)
    out = REPO / "bench" / "out" / ("pages_bench.json" if args.gc_freeze else "pages_bench_no_gc_tuning.json")
    out.parent.mkdir(exist_ok=True)
    report = {
        "gc_freeze": args.gc_freeze,
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "deals": seeded["deals"],
        "calls": seeded["calls"],
        "repeat": args.repeat,
        "pages": results,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
