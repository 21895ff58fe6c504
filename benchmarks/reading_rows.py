"""The rankings the reading model is fitted on: every question of a set, asked of a real store.

Stores are built in a temp folder (``qa-reading-*``) and the rankings cached there, so the
fitting script can be rerun without asking again (``--cached``).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from reading_sets import HELD_DOCS, HELD_QUESTIONS, ROOT, SPLITS, half, question_set

from index import Store, open_store
from qa import Assistant, build_assistant, bundled_article
from qa.reading.cross import data_file

TEMP = Path(tempfile.gettempdir()) / "qa-reading"
ARTICLE_SETS = {  # file, the ids fitting may read (None: all); the rest is held out
    "article": ("tests/eval/article.jsonl", None),
    "article-oos": ("tests/eval/article-oos.jsonl", lambda i: int(i.split("-")[1]) <= 40),
    "article-para": ("tests/eval/article-paraphrase.jsonl", lambda i: int(i.split("-")[1]) <= 25),
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def kind_of(row: dict[str, Any]) -> str:
    return str(row.get("kind") or ("answerable" if row["answerable"] else "out_of_scope"))


def assistant_over(name: str, paths: list[Path]) -> Assistant:
    assistant = build_assistant(data_dir=TEMP / f"store-{name}", bundled=False)
    assistant.index(paths)
    return assistant


def fit_paths() -> list[Path]:
    folder = TEMP / "docs-fit"
    folder.mkdir(parents=True, exist_ok=True)
    for doc in SPLITS["fit"]["indexed"]:
        (folder / f"{doc}.txt").write_text(half(doc).text + "\n", encoding="utf-8")
    return [folder]


def collect(sets: list[tuple[str, str, Assistant, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    rows = []
    for name, split, assistant, questions in sets:
        for q in questions:
            ranking = assistant.rank(q["question"], [tuple(t) for t in q.get("history", [])])
            rows.append(
                {"set": name, "split": split, "kind": kind_of(q), "q": q, "ranking": ranking}
            )
        print(f"  {name} ({split}): {len(questions)} questions")
    return rows


def all_rows(cached: bool) -> list[dict[str, Any]]:
    cache = TEMP / "rows.pickle"
    if cached and cache.exists():
        rows: list[dict[str, Any]] = pickle.loads(cache.read_bytes())
        return rows
    TEMP.mkdir(parents=True, exist_ok=True)
    fit = assistant_over("fit", fit_paths())
    held = assistant_over("held", [HELD_DOCS])
    article = assistant_over("article", [bundled_article()])
    sets = [
        ("squad", "fit", fit, question_set("fit")),
        ("squad", "held", held, read_jsonl(HELD_QUESTIONS)),
    ]
    for name, (file, fits) in ARTICLE_SETS.items():
        path = ROOT / file
        if not path.exists():
            continue
        questions = read_jsonl(path)
        sets.append((name, "fit", article, [q for q in questions if fits is None or fits(q["id"])]))
        held_part = [q for q in questions if fits is not None and not fits(q["id"])]
        if held_part:
            sets.append((name, "held", article, held_part))
    rows = collect(sets)
    with cache.open("wb") as out:
        _RowPickler(out).dump(rows)
    return rows


_LOCKS = {type(make()): make for make in (threading.Lock, threading.RLock)}


class _RowPickler(pickle.Pickler):
    """Pickles rankings, whose lexicons read their store on demand: a store is pickled as
    what opens it again (the stores stay in TEMP), a lock as a new one."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Store):
            return (open_store, (obj.folder, obj.url or None, obj.name))
        make = _LOCKS.get(type(obj))
        return NotImplemented if make is None else (make, ())


class CachedReader:
    """The cross-encoder's scores, kept in the temp folder across runs (the model's digest in
    the file name)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.path = TEMP / f"cross-{hash_file(data_file())}.pickle"
        self.known: dict[tuple[str, str], float] = (
            pickle.loads(self.path.read_bytes()) if self.path.exists() else {}
        )

    def scores(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        todo = [p for p in dict.fromkeys(pairs) if p not in self.known]
        for i in range(0, len(todo), 64):
            got = self.reader.scores(todo[i : i + 64])
            self.known.update(zip(todo[i : i + 64], map(float, got), strict=True))
        return np.array([self.known[p] for p in pairs], dtype=np.float32)

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self.known))


def hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
