"""The question sets the reading model is fitted and measured on, drawn from ../shared/squad.

The pool's 24 articles are split four ways, by article, never by question:

- fit, indexed: their even-numbered paragraphs are indexed; questions on those paragraphs are
  answerable (or SQuAD 2.0's adversarial near-misses), questions on the odd ones whose answer
  is nowhere in the indexed text ask for a missing fact on the same topic;
- fit, outside: their questions are asked of the fit store: out of scope;
- held, indexed / held, outside: the same construction, never read by fitting.

`python benchmarks/reading_sets.py` writes the held split into the repo (tests/data/squad/ and
tests/eval/squad-held.jsonl), for the tests' floors; the fitting script builds the fit split
itself, in a temp folder.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# beside the main checkout; from a worktree elsewhere, QA_SQUAD_POOL names it
POOL = Path(os.environ.get("QA_SQUAD_POOL") or ROOT.parent / "shared" / "squad")
HELD_DOCS = ROOT / "tests" / "data" / "squad"
HELD_QUESTIONS = ROOT / "tests" / "eval" / "squad-held.jsonl"

SPLITS = {
    "fit": {
        "indexed": (
            "1973-oil-crisis", "harvard-university", "islamism", "steam-engine", "yuan-dynasty",
            "apollo-program", "chloroplast", "genghis-khan", "martin-luther", "nikola-tesla",
            "victoria-and-albert-museum",
        ),
        "outside": (
            "american-broadcasting-company", "doctor-who", "newcastle-upon-tyne",
            "super-bowl-50", "united-methodist-church",
        ),
    },
    "held": {
        "indexed": ("normans", "rhine", "immune-system", "force"),
        "outside": ("warsaw", "huguenot", "kenya", "teacher"),
    },
}  # fmt: skip
# questions per kind in the held file written into the repo (all of them are used in fitting)
HELD_SAMPLE = {"answerable": 160, "adversarial": 120, "missing": 80, "out_of_scope": 160}
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Half:
    """An article with only its even-numbered paragraphs, and which paragraphs those were."""

    doc_id: str
    text: str
    kept: frozenset[int]  # para_start offsets (in the whole article) of the kept paragraphs


def paragraphs(text: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((at, match.start()))
        at = match.end()
    spans.append((at, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def half(doc_id: str) -> Half:
    text = (POOL / "docs" / f"{doc_id}.txt").read_text(encoding="utf-8")
    kept = paragraphs(text)[::2]
    return Half(doc_id, "\n\n".join(text[a:b] for a, b in kept), frozenset(a for a, _ in kept))


def pool_questions() -> Iterator[dict[str, object]]:
    with (POOL / "questions.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def question_set(split: str) -> list[dict[str, object]]:
    """Every question of a split, in qa's question-set format plus its kind and article."""
    indexed = {doc: half(doc) for doc in SPLITS[split]["indexed"]}
    outside = set(SPLITS[split]["outside"])
    out = []
    for q in pool_questions():
        doc = str(q["doc_id"])
        answers = [str(a) for a in q["answers"]]  # type: ignore[attr-defined]
        if doc in outside:
            kind = "out_of_scope"
        elif doc not in indexed:
            continue
        elif q["para_start"] in indexed[doc].kept:
            kind = "answerable" if q["answerable"] else "adversarial"
        elif q["answerable"] and not any(a.lower() in indexed[doc].text.lower() for a in answers):
            kind = "missing"
        else:
            continue  # a near-miss on a paragraph that is not indexed, or an answer found elsewhere
        answerable = kind == "answerable"
        out.append(
            {
                "id": q["id"],
                "question": q["question"],
                "history": [],
                "must": [answers] if answerable else [],
                "answerable": answerable,
                "kind": kind,
                "doc": doc,
            }
        )
    return out


def write_held() -> None:
    """The held split's indexed halves and a sample of its questions, into the repo."""
    HELD_DOCS.mkdir(parents=True, exist_ok=True)
    for doc in SPLITS["held"]["indexed"]:
        (HELD_DOCS / f"{doc}.txt").write_text(half(doc).text + "\n", encoding="utf-8")
    rows = question_set("held")
    rng = random.Random(14)
    sample = []
    for kind, count in HELD_SAMPLE.items():
        mine = [r for r in rows if r["kind"] == kind]
        sample += rng.sample(mine, min(count, len(mine)))
    with HELD_QUESTIONS.open("w", encoding="utf-8") as out:
        for row in sample:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(sample)} questions to {HELD_QUESTIONS.relative_to(ROOT)}")


if __name__ == "__main__":
    write_held()
