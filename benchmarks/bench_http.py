"""Latency of `POST /api/ask` (p50/p95) under 1 and 8 concurrent clients, over a real server.

Usage: python benchmarks/bench_http.py [--url http://127.0.0.1:7860] [--requests 80] [--json]
Without --url it starts `qa serve` on a free loopback port over a temporary store.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = (
    "Which leaders did Putin call?",
    "What did Putin accuse the U.S. of?",
    "How many troops has Russia amassed along the border?",
    "What is the capital of Peru?",
)
CONCURRENCY = (1, 8)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(url: str, clients: int, requests: int) -> dict[str, float]:
    """Send ``requests`` questions from ``clients`` threads; latency figures in milliseconds."""
    local = threading.local()

    def one(i: int) -> float:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=120)
        started = time.perf_counter()
        response = local.client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": requests,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "throughput_rps": round(requests / wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running `qa serve` (default: start one)")
    parser.add_argument("--requests", type=int, default=80, help="requests per run (default 80)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per run")
    args = parser.parse_args()

    proc = None
    url = args.url
    if url is None:
        from tests.ui.conftest import start_qa_serve

        proc, url = start_qa_serve(Path(tempfile.mkdtemp(prefix="qa-bench-")))
    try:
        run(url, 2, 8)  # warm-up: model, lexical index and connection pools
        results = [run(url, clients, args.requests) for clients in CONCURRENCY]
    finally:
        if proc is not None:
            from tests.ui.conftest import stop

            stop(proc)
    if args.json:
        for result in results:
            print(json.dumps(result))
        return 0
    print(f"POST /api/ask at {url}, {args.requests} requests per run")
    print("clients  p50 ms  p95 ms  mean ms  req/s")
    for r in results:
        print(
            f"{r['clients']:>7}  {r['p50_ms']:>6}  {r['p95_ms']:>6}  {r['mean_ms']:>7}"
            f"  {r['throughput_rps']:>5}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
