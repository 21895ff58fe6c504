"""Score a conversation set of tests/eval by kind of turn, over the corpus it was written for.

    python benchmarks/conversation_eval.py article-held [article-fit pool-held pool-fit]

Each set is asked of a fresh store in a temp folder: the article sets of the bundled article,
pool-held of tests/data/squad, pool-fit of the fit articles' halves (see conversation_sets.py).
Prints one JSON line per set: answers, false declines and declines per kind of turn, with the
standalone turns asked after earlier turns beside the same questions asked alone, and the mean
time of a standalone turn. Uses only what `qa eval` uses, so it also measures an older qa
(PYTHONPATH=/work/main for the code before a change).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def assistant_for(name: str, embedder: Any) -> Any:
    from qa import build_assistant

    if name.startswith("article"):
        assistant = build_assistant(data_dir=tempfile.mkdtemp(), embedder=embedder)
        assistant.sources()
        return assistant
    assistant = build_assistant(data_dir=tempfile.mkdtemp(), bundled=False, embedder=embedder)
    if name == "pool-held":
        assistant.index([ROOT / "tests" / "data" / "squad"])
    else:
        from conversation_sets import POOL_FIT_DOCS
        from reading_sets import half

        folder = Path(tempfile.mkdtemp())
        for doc in POOL_FIT_DOCS:
            (folder / f"{doc}.txt").write_text(half(doc).text + "\n", encoding="utf-8")
        assistant.index([folder])
    return assistant


def figures(name: str, embedder: Any) -> dict[str, Any]:
    from qa.evaluation import evaluate, read_questions

    path = ROOT / "tests" / "eval" / f"conversation-{name}.jsonl"
    turns = {
        str(item["id"]): str(item["turn"])
        for item in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    }
    assistant = assistant_for(name, embedder)
    assistant.ask("warm up")
    report = evaluate(assistant, read_questions(path))
    out: dict[str, Any] = {"set": name}
    for turn in ("alone", "standalone", "follow_up", "continuation"):
        mine = [o for o in report.outcomes if turns[o.question.id] == turn]
        if not mine:
            continue
        asked = [o for o in mine if o.question.answerable]
        unanswerable = [o for o in mine if not o.question.answerable]
        out[turn] = {
            "turns": len(mine),
            "answered_correctly": _share([o.correct for o in asked]),
            "false_declines": _share([not o.answer.answered for o in asked]),
            "declined_unanswerable": _share([o.correct for o in unanswerable]),
            "unanswerable": len(unanswerable),
            "mean_ms": round(sum(o.latency_ms for o in mine) / len(mine), 1),
        }
    misses = [f"{o.question.id} {o.question.question} -> {o.answer.text[:90]}"
              for o in report.outcomes if not o.correct]  # fmt: skip
    out["misses"] = misses
    return out


def _share(flags: list[bool]) -> float | None:
    return round(100 * sum(flags) / len(flags), 1) if flags else None


def main(names: list[str]) -> None:
    from index import Embedder

    embedder = Embedder()
    for name in names or ["article-held"]:
        print(json.dumps(figures(name, embedder), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
