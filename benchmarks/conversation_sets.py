"""The conversation sets, split once into fit and held halves: tests/eval/conversation-*.jsonl.

- article: the hand-written conversations of benchmarks/data/article_conversations.jsonl
  (2 to 5 turns over the bundled article: standalone questions, topic switches, pronoun
  follow-ups, ellipsis, continuations and follow-ups the article does not answer). A turn's
  history answer is the article's sentence that holds its cited words, with a [1] marker, or
  the decline when the article does not answer it.
- pool: sequences of three questions on one article of ../shared/squad, each turn asked after
  the earlier ones with the assistant's own answers to them (each asked alone) as history.
  The held half is drawn from tests/eval/squad-held.jsonl over tests/data/squad (articles no
  fit read); the fit half from the fit split of benchmarks/reading_sets.py.

Every line says which kind of turn it is ("turn": follow_up, continuation, standalone), and
each standalone turn that has a history comes twice: once with it, once alone ("alone"), so
`qa eval` shows what the history costs.

    python benchmarks/conversation_sets.py [article pool-held pool-fit]

rewrites them (the pool halves ask the assistant: a few minutes).
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import reading_sets  # noqa: E402
from reading_sets import half, question_set  # noqa: E402

# the pool beside the checkout, or beside the main checkout for a worktree
reading_sets.POOL = next(
    (p / "shared" / "squad" for p in ROOT.parents if (p / "shared" / "squad").is_dir()),
    reading_sets.POOL,
)

EVAL = ROOT / "tests" / "eval"
SOURCE = ROOT / "benchmarks" / "data" / "article_conversations.jsonl"
ARTICLE = ROOT / "qa" / "data" / "article.txt"
DECLINE = "The documents don't say: no indexed passage answers this question."
POOL_FIT_DOCS = ("harvard-university", "steam-engine", "yuan-dynasty")
POOL_TURNS = 3  # questions per pool conversation
POOL_CONVERSATIONS = 40  # per half
_SENTENCE_END = re.compile(r"(?<!Dr\.)(?<=[.!?”])\s+(?=[A-Z“])|\n\s*\n")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def cited_answer(article: list[str], cite: str | None) -> str:
    """The sentence holding ``cite``, as an extractive answer quotes it; the decline if None."""
    if cite is None:
        return DECLINE
    sentence = next(s for s in article if cite in s)
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [1]{sentence[-1]}"
    return f"{sentence} [1]"


def turn_lines(
    cid: str, turns: list[dict[str, Any]], answers: list[str]
) -> Iterable[dict[str, Any]]:
    """One line per turn after the first, with the turns before it as history."""
    for i, turn in enumerate(turns[1:], start=1):
        history = [[t["question"], a] for t, a in zip(turns[:i], answers[:i], strict=True)]
        line = {"id": f"{cid}-{i + 1}", "history": history, **turn}
        yield line
        if turn["turn"] == "standalone":
            yield {**line, "id": f"{line['id']}-alone", "history": [], "turn": "alone"}


def article_sets() -> dict[str, list[dict[str, Any]]]:
    article = sentences(ARTICLE.read_text(encoding="utf-8"))
    conversations = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines()]
    random.Random(25).shuffle(conversations)
    halves: dict[str, list[dict[str, Any]]] = {"fit": [], "held": []}
    for at, conversation in enumerate(conversations):
        turns, answers = [], []
        for question, kind, must, cite in conversation["turns"]:
            turns.append(
                {
                    "question": question,
                    "must": must or [],
                    "cite": [cite] if cite else [],
                    "answerable": must is not None,
                    "turn": "standalone" if kind == "first" else kind,
                }
            )
            answers.append(cited_answer(article, cite))
        halves["held" if at % 2 else "fit"] += turn_lines(conversation["id"], turns, answers)
    return halves


def pool_set(rows: list[dict[str, Any]], ask: Any, seed: int) -> list[dict[str, Any]]:
    """Conversations of POOL_TURNS questions on one article, with the assistant's answers."""
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] != "out_of_scope":
            by_doc.setdefault(str(row["doc"]), []).append(row)
    rng = random.Random(seed)
    conversations = []
    for doc, mine in sorted(by_doc.items()):
        rng.shuffle(mine)
        conversations += [
            (doc, mine[i : i + POOL_TURNS])
            for i in range(0, len(mine) - POOL_TURNS + 1, POOL_TURNS)
        ]
    rng.shuffle(conversations)
    out: list[dict[str, Any]] = []
    for n, (doc, rows_) in enumerate(
        sorted(conversations[:POOL_CONVERSATIONS], key=lambda c: c[0])
    ):
        turns = [
            {
                "question": r["question"],
                "must": r["must"],
                "answerable": r["answerable"],
                "kind": r["kind"],
                "doc": doc,
                "turn": "standalone",
            }
            for r in rows_
        ]
        answers = [ask(t["question"]) for t in turns[:-1]] + [""]
        out += turn_lines(f"{doc}-{n:02d}", turns, answers)
    return out


def write(name: str, lines: list[dict[str, Any]]) -> None:
    path = EVAL / f"conversation-{name}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} turns to {path.relative_to(ROOT)}")


def main() -> None:
    from index import Embedder

    wanted = sys.argv[1:] or ["article", "pool-held", "pool-fit"]
    if "article" in wanted:
        for name, lines in article_sets().items():
            write(f"article-{name}", lines)
    embedder = Embedder()
    if "pool-held" in wanted:
        write_pool_held(embedder)
    if "pool-fit" in wanted:
        write_pool_fit(embedder)


def write_pool_held(embedder: Any) -> None:
    from qa import build_assistant

    held = build_assistant(data_dir=tempfile.mkdtemp(), bundled=False, embedder=embedder)
    held.index([ROOT / "tests" / "data" / "squad"])
    rows = [json.loads(line) for line in (EVAL / "squad-held.jsonl").open(encoding="utf-8")]
    write("pool-held", pool_set(rows, lambda q: held.ask(q).text, seed=25))


def write_pool_fit(embedder: Any) -> None:
    from qa import build_assistant

    folder = Path(tempfile.mkdtemp())
    for doc in POOL_FIT_DOCS:
        (folder / f"{doc}.txt").write_text(half(doc).text + "\n", encoding="utf-8")
    fit = build_assistant(data_dir=tempfile.mkdtemp(), bundled=False, embedder=embedder)
    fit.index([folder])
    rows = [r for r in question_set("fit") if r["doc"] in POOL_FIT_DOCS]
    write("pool-fit", pool_set(rows, lambda q: fit.ask(q).text, seed=25))


if __name__ == "__main__":
    main()
