"""API under load, as users run it: `dealsignal serve` on loopback, wrk as the load generator.

    python bench/api_bench.py [--deals 100000] [--seconds 10] [--connections 32]

Fills a fresh SQLite database with the synthetic pipeline of bench/signals_bench.py, starts
the server in its own process, and measures with wrk (Debian package `wrk`):
  - GET /v1/deals/{id} (random ids): throughput and p50/p99 (target >= 1,000 req/s, p99 <= 50 ms),
  - GET /v1/deals?limit=50&cursor=... (random pages over all deals): p50/p95 (target p95 <= 100 ms).
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


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def _wrk(
    folder: Path, name: str, paths: list[str], key: str, port: int, args: argparse.Namespace
) -> dict[str, Any]:
    (folder / f"{name}.paths").write_text("\n".join(paths))
    script = folder / f"{name}.lua"
    script.write_text(LUA % (folder / f"{name}.paths", key))
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
        check=True,
    )
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", done.stdout)
    assert match, done.stdout + done.stderr
    requests, rps, p50, p95, p99, errors = match.groups()
    return {
        "requests": int(requests),
        "rps": float(rps),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "errors": int(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server processes (the machine has 2 cores)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="dealsignal-bench-"))
    engine = make_engine(f"sqlite:///{folder}/dealsignal.db")
    migrate(engine)
    fill(engine, args.deals)
    with Session(engine) as session:
        _, key = crud.create_user(
            session, name="Bench Leader", email="leader@bench.example", role=Role.LEADER
        )
    engine.dispose()
    port = _free_port()
    # The per-key rate limit is off: this measures what the server can do, not the policy.
    env = os.environ | {
        "DEALSIGNAL_DATA_DIR": str(folder),
        "DEALSIGNAL_RUNNER__RESCORE_INTERVAL_S": "0",
        "DEALSIGNAL_RATE_LIMIT__ENABLED": "false",
    }
    env.pop("DEALSIGNAL_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz")
        deal_paths = [f"/v1/deals/{n}" for n in range(1, args.deals + 1, max(1, args.deals // 5000))]
        page_paths = [
            f"/v1/deals?limit=50&cursor={_cursor(n)}"
            for n in range(0, args.deals - 50, max(1, args.deals // 2000))
        ]
        results = {
            "deals": args.deals,
            "server_workers": args.workers,
            "deal_read": _wrk(folder, "read", deal_paths, key, port, args),
            "deal_list_page": _wrk(folder, "list", page_paths, key, port, args),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'request':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in ("deal_read", "deal_list_page"):
        r = results[name]
        latency = f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f}"
        print(f"{name:<18} {r['rps']:>8.0f} {latency} {r['errors']:>7}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "api.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
