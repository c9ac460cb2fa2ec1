"""API under load, as users run it: `dealsignal serve` on loopback, wrk as the load generator.

    python bench/api_bench.py [--deals 100000] [--seconds 10] [--connections 8 32] [--repeat 1]
                              [--warmup-seconds 60] [--database-template var/bench-100k.db]
                              [--requests deal_read ...]

Fills a fresh SQLite database with the synthetic pipeline of bench/signals_bench.py (or copies
`--database-template`, filling it first when it does not exist: the fill takes minutes), starts
the server in its own process, and measures with wrk (Debian package `wrk`), at each connection
count in turn and `--repeat` times over:
  - GET /v1/deals/{id} (random ids among 5,000): throughput and p50/p99 (target >= 1,000 req/s,
    p99 <= 50 ms). The server caches deal views per version, so the first pass over the ids is
    colder than the next ones; each pass is reported (`--warmup-seconds`: a pass 0 first).
  - GET /v1/deals?limit=50&cursor=... (random pages over all deals): p50/p95 (target p95 <= 100 ms).
Each run also reports the server's CPU time per request (its processes' user + system time over
the requests served): on a machine shared with other work, a steadier figure than req/s.
Prints a table and writes bench/out/api.json. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from bench.signals_bench import fill  # noqa: E402
from models import crud  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.enums import Role  # noqa: E402

LUA = """
math.randomseed(42)
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Authorization"] = "Bearer %s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%.1f %%.3f %%.3f %%.3f %%d\\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _wait(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    # Each worker loads the models at startup: minutes on a busy machine.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"server did not answer at {url}; its log ends:\n{tail}")


def _wrk(
    folder: Path, name: str, paths: list[str], key: str, port: int, connections: int, seconds: int
) -> dict[str, Any]:
    (folder / f"{name}.paths").write_text("\n".join(paths))
    script = folder / f"{name}.lua"
    script.write_text(LUA % (folder / f"{name}.paths", key))
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", done.stdout)
    assert match, done.stdout + done.stderr
    requests, rps, p50, p95, p99, errors = match.groups()
    return {
        "request": name,
        "connections": connections,
        "requests": int(requests),
        "rps": float(rps),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "errors": int(errors),
    }


def _database(folder: Path, deals: int, template: Path | None) -> Path:
    """Return a filled database file in `folder`, copied from `template` when one is given."""
    database = folder / "dealsignal.db"
    if template is not None and template.exists():
        shutil.copyfile(template, database)
        return database
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    fill(engine, deals)
    with Session(engine) as session:
        crud.create_user(session, name="Bench Leader", email="leader@bench.example", role=Role.LEADER)
    engine.dispose()
    if template is not None:
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(database, template)
    return database


def _bench_key(database: Path) -> str:
    """Issue a fresh API key to the bench's leader (keys are stored hashed, so none can be reused)."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            leader = crud.get_user_by_email(session, email="leader@bench.example")
            assert leader is not None, f"{database} was not filled by this bench"
            return crud.create_api_key(session, user=leader)
    finally:
        engine.dispose()


def _serve(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    # The per-key rate limit is off: this measures what the server can do, not the policy.
    env = os.environ | {
        "DEALSIGNAL_DATA_DIR": str(folder),
        "DEALSIGNAL_RUNNER__RESCORE_INTERVAL_S": "0",
        "DEALSIGNAL_RATE_LIMIT__ENABLED": "false",
    }
    env.pop("DEALSIGNAL_DATABASE_URL", None)
    with (folder / "server.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _cpu_seconds(server_pid: int) -> float:
    """CPU time (user + system) used so far by the server and its worker processes (Linux)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if server_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _measure(
    folder: Path, key: str, server: subprocess.Popen[bytes], port: int, args: argparse.Namespace
) -> list[dict[str, Any]]:
    deal_paths = [f"/v1/deals/{n}" for n in range(1, args.deals + 1, max(1, args.deals // 5000))]
    page_paths = [
        f"/v1/deals?limit=50&cursor={_cursor(n)}"
        for n in range(0, args.deals - 50, max(1, args.deals // 2000))
    ]
    requests = {"deal_read": deal_paths, "deal_list_page": page_paths}
    runs = []
    if args.warmup_seconds:
        # Each server process keeps its own deal views: until both have built every one, reads
        # are misses. Fill them first, reporting the pass, so later passes show the steady state.
        for name in args.requests:
            result = _wrk(folder, name, requests[name], key, port, 8, args.warmup_seconds)
            runs.append({"pass": 0, **result, "server_cpu_ms_per_request": None})
            print(_row(runs[-1]) + "  (warm-up)", flush=True)
    for repeat in range(args.repeat):
        for connections in args.connections:
            for name in args.requests:
                cpu = _cpu_seconds(server.pid)
                result = _wrk(folder, name, requests[name], key, port, connections, args.seconds)
                # Server CPU per request: less at the mercy of other load on the machine than req/s.
                cpu_ms = (_cpu_seconds(server.pid) - cpu) * 1000 / max(1, result["requests"])
                runs.append({"pass": repeat + 1, **result, "server_cpu_ms_per_request": round(cpu_ms, 3)})
                print(_row(runs[-1]), flush=True)
    return runs


HEADER = "pass request          conns    req/s   p50 ms   p95 ms   p99 ms  errors  cpu ms/req"


def _row(r: dict[str, Any]) -> str:
    head = f"{r['pass']:>4} {r['request']:<16} {r['connections']:>5} {r['rps']:>8.0f}"
    latency = f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f}"
    cpu = r["server_cpu_ms_per_request"]
    return f"{head} {latency} {r['errors']:>7} {'' if cpu is None else f'{cpu:.2f}':>11}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--repeat", type=int, default=1, help="passes over every connection count")
    parser.add_argument(
        "--warmup-seconds", type=int, default=0, help="a first pass (pass 0) filling the servers' caches"
    )
    parser.add_argument(
        "--requests",
        nargs="+",
        choices=("deal_read", "deal_list_page"),
        default=["deal_read", "deal_list_page"],
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (the machine has 2 cores)")
    parser.add_argument("--database-template", type=Path, help="filled database to copy (made if missing)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="dealsignal-bench-"))
    key = _bench_key(_database(folder, args.deals, args.database_template))
    port = _free_port()
    server = _serve(folder, port, args.workers)
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", server, folder / "server.log")
        print(HEADER)
        runs = _measure(folder, key, server, port, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    results = {
        "deals": args.deals,
        "server_workers": args.workers,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup_seconds,
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "runs": runs,
    }
    (out / "api.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
