"""Check answer typing on the SQuAD pool, and choose the asked kinds that decide alone.

Run by hand: `.venv/bin/python benchmarks/fit_kinds.py [--typing | --cached] [--write]` (before
fit_reading.py, whose judge reads the kinds chosen here). SQuAD answers are typed spans of
their paragraphs, so for every answerable question of the pool it asks, by article split
(benchmarks/reading_sets.py):

- the question's asked kind (qa/reading/asked.py);
- whether the answer itself holds a span of that kind (the span typer's recall on answers);
- whether the answer's paragraph holds one, bound to the counted noun: if not, the typed veto
  would fire on a question the documents answer (a wrong veto).

Then, on the rankings fit_reading.py asks of real stores (benchmarks/reading_rows.py, all
the passages a question reads), how often "no passage holds the asked kind" fires on the
questions the documents answer (wrong) and on those they don't (right), by asked kind.

An asked kind decides alone (its veto is decisive) when its wrong vetoes stay at or under
WRONG_VETOES on the fit articles' answerable questions, their paragraphs and their rankings
alike, over at least MIN_QUESTIONS of them. The closeness that binds a count to its noun
(BINDS) is the one that best tells the fit rankings' answered count questions from the rest.
The kinds and their figures, fit and held, go into qa/data/reading.json under "kinds".
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from reading_sets import POOL, SPLITS, pool_questions  # noqa: E402

from qa.reading.asked import Asked, asked_kind  # noqa: E402
from qa.reading.spans import held_anywhere, holds  # noqa: E402

OUT = ROOT / "qa" / "data" / "reading.json"
WRONG_VETOES = 0.01  # the share of answerable questions whose paragraph lacks the asked kind
MIN_QUESTIONS = 30


def split_of(doc: str) -> str:
    return next(s for s, parts in SPLITS.items() if any(doc in p for p in parts.values()))


def typing_figures() -> dict[str, dict[str, dict[str, float]]]:
    """Per split and asked kind: answerable questions, the answer typed as the asked kind,
    and the answer's paragraph lacking the kind (a wrong veto)."""
    texts: dict[str, str] = {}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for q in pool_questions():
        if not q["answerable"]:
            continue
        doc = str(q["doc_id"])
        if doc not in texts:
            texts[doc] = (POOL / "docs" / f"{doc}.txt").read_text(encoding="utf-8")
        paragraph = texts[doc][int(q["para_start"]) : int(q["para_end"])]  # type: ignore[call-overload]
        asked = asked_kind(str(q["question"]))
        answers = [str(a) for a in q["answers"]]  # type: ignore[attr-defined]
        row = counts[(split_of(doc), asked.kind)]
        row[0] += 1
        row[1] += any(holds(Asked(asked.kind), a) for a in answers)
        row[2] += not holds(asked, paragraph)
        row[3] += not holds(Asked(asked.kind), paragraph)
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (split, kind), (n, typed, wrong, unbound) in sorted(counts.items()):
        out[split][kind] = {
            "n": n,
            "answer_typed": round(typed / n, 3),
            "wrong_veto": round(wrong / n, 4),
            "wrong_veto_any_noun": round(unbound / n, 4),
        }
    return dict(out)


def decisive(
    typing: dict[str, dict[str, dict[str, float]]], vetoes: dict[str, dict[str, float]]
) -> list[str]:
    """The kinds whose veto wrongly fires on at most WRONG_VETOES of the fit answerable
    questions, on their paragraphs and on their rankings."""
    out = []
    for kind, f in typing["fit"].items():
        ranked = vetoes.get(f"squad/fit/{kind}", {})
        if kind == "open" or f["n"] < MIN_QUESTIONS or ranked.get("answerable", 0) < MIN_QUESTIONS:
            continue
        if f["wrong_veto_any_noun"] <= WRONG_VETOES and ranked["wrong"] <= WRONG_VETOES:
            out.append(kind)
    return sorted(out)


def passages(ranking: Any) -> list[str]:
    return list(dict.fromkeys(c.context for c in ranking.ranked))


def veto_figures(rows: list[dict[str, Any]], kinds: frozenset[str] | None = None) -> dict[str, Any]:
    """By set, split and asked kind: answerable questions and the share the typed veto
    fires on (wrong), negatives and the share it fires on (right). With kinds None, every
    typed kind is tried as if it decided."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        asked = asked_kind(r["q"]["question"])
        if asked.kind == "open" or (kinds is not None and asked.kind not in kinds):
            continue
        fires = not held_anywhere(Asked(asked.kind), passages(r["ranking"]))
        answerable = r["kind"] == "answerable"
        for key in (f"{r['set']}/{r['split']}/{asked.kind}", f"{r['set']}/{r['split']}/all"):
            g = groups[key]
            g[0 if answerable else 2] += 1
            g[1 if answerable else 3] += fires
    return {
        key: {
            "answerable": a,
            "wrong": round(wrong / a, 4) if a else 0.0,
            "negatives": n,
            "right": round(right / n, 4) if n else 0.0,
            "precision": round(right / (right + wrong), 3) if right + wrong else 1.0,
        }
        for key, (a, wrong, n, right) in sorted(groups.items())
    }


def fit_bind(rows: list[dict[str, Any]]) -> float:
    """The closeness of a word to a count's noun that best separates, on the fit rankings,
    count questions the documents answer from those they don't (the largest gap between
    the shares flagged unbound)."""
    from qa.reading.answers import kind_unbound
    from qa.reading.model import load_reader

    counts = [r for r in rows if r["split"] == "fit" and asked_kind(r["q"]["question"]).noun]
    best, chosen = -1.0, 1.0
    for bind in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.0):
        reader = dataclasses.replace(load_reader(), bind=bind)
        flags = [(r["kind"] == "answerable", kind_unbound(r["ranking"], reader)) for r in counts]
        pos = [f for a, f in flags if a] or [False]
        neg = [f for a, f in flags if not a] or [False]
        gap = sum(neg) / len(neg) - sum(pos) / len(pos)
        print(
            f"  bind {bind}: unbound on answerable {sum(pos) / len(pos):.3f}, "
            f"on the rest {sum(neg) / len(neg):.3f}"
        )
        if gap > best:
            best, chosen = gap, bind
    return chosen


def main() -> None:
    from reading_rows import all_rows

    typing = typing_figures()
    for split, kinds in typing.items():
        for kind, f in kinds.items():
            print(f"  {split:5} {kind:9} {json.dumps(f)}")
    if "--typing" in sys.argv:
        return
    rows = all_rows(cached="--cached" in sys.argv)
    tried = veto_figures(rows)
    for key, f in tried.items():
        print(f"  {key:28} {json.dumps(f)}")
    chosen = decisive(typing, tried)
    bind = fit_bind(rows)
    print(f"decisive kinds: {chosen}; a count binds to words {bind} close to its noun")
    if "--write" in sys.argv:
        model: dict[str, Any] = json.loads(OUT.read_text(encoding="utf-8"))
        model["kinds"] = {
            "decisive": chosen,
            "bind": bind,
            "figures": {"typing": typing, "veto_tried": tried},
        }
        if "kind_missing" not in model["answers"]["vetoes"]:
            model["answers"]["vetoes"].append("kind_missing")
        OUT.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
