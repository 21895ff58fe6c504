"""What a standalone turn costs: the median time of answering each standalone turn of
tests/eval/conversation-pool-held.jsonl with its history, over tests/data/squad.

    python benchmarks/conversation_cost.py [passes]

Prints one JSON line. Uses only `Assistant.ask`, so PYTHONPATH=/work/main measures the code
before a change on the same machine; run before and after in turn, as the machine's load moves.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(passes: int) -> None:
    from index import Embedder
    from qa import build_assistant

    path = ROOT / "tests" / "eval" / "conversation-pool-held.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    turns = [
        (i["question"], [tuple(t) for t in i["history"]])
        for i in items
        if i["turn"] == "standalone"
    ]
    assistant = build_assistant(data_dir=tempfile.mkdtemp(), bundled=False, embedder=Embedder())
    assistant.index([ROOT / "tests" / "data" / "squad"])
    assistant.ask("warm up")
    times: dict[int, list[float]] = {n: [] for n in range(len(turns))}
    for _ in range(passes):
        for n, (question, history) in enumerate(turns):
            started = time.perf_counter()
            assistant.ask(question, history)
            times[n].append((time.perf_counter() - started) * 1000)
    best = [min(t) for t in times.values()]  # each turn's fastest pass: the least load noise
    print(
        json.dumps(
            {
                "turns": len(turns),
                "passes": passes,
                "mean_of_best_ms": round(statistics.mean(best), 1),
                "median_ms": round(statistics.median(best), 1),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
