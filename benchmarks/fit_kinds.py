"""Check answer typing on the SQuAD pool, and choose the asked kinds that decide alone.

Run by hand: `.venv/bin/python benchmarks/fit_kinds.py [--typing | --cached] [--write]`
(before fit_reading.py, whose judge takes the typed veto as chosen here). SQuAD answers are
typed spans of their paragraphs, so for every answerable question of the pool it asks, by
article split (benchmarks/reading_sets.py):

- the question's asked kind (qa/reading/asked.py);
- whether the answer itself holds a span of that kind (the span typer's recall on answers);
- whether the answer's paragraph holds one, bound to the counted noun: if not, the typed veto
  would fire on a question the documents answer (a wrong veto).

Then it asks every question of the fit and held splits (all of them, not the held sample of
tests/eval/squad-held.jsonl) and of the article's sets, of fit_reading's stores, for the
passages a question reads (the hybrid search's chunks; cached in the temp folder,
`--cached`) and counts how often "no passage read holds the asked
kind" fires on questions the documents answer (wrong) and on those they don't (right), by
asked kind and split.

An asked kind decides alone when its veto wrongly fires on at most WRONG_VETOES of the fit
split's answerable questions (over at least MIN_QUESTIONS of them), and of the fit articles'
answerable questions asked of their own paragraphs. A count is bound to its noun (a word of
the same stem, or one at least `bind` close by word vectors) at the highest closeness that
keeps the count veto within WRONG_VETOES on the fit split; none if none does. The kinds, the
closeness and the figures, fit and held, go into qa/data/reading.json.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from reading_sets import POOL, SPLITS, pool_questions  # noqa: E402

from qa.reading.asked import Asked, asked_kind  # noqa: E402
from qa.reading.question import _asked_kind  # noqa: E402
from qa.reading.spans import held_anywhere, holds  # noqa: E402

OUT = ROOT / "qa" / "data" / "reading.json"
WRONG_VETOES = 0.01  # the share of answerable questions the veto may wrongly decline
MIN_QUESTIONS = 20
BINDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


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


def retrieved_rows(cached: bool) -> list[dict[str, Any]]:
    """Every question of fit_reading's sets with the passages the hybrid search gives it."""
    from reading_rows import ARTICLE_SETS, TEMP, assistant_over, fit_paths, read_jsonl
    from reading_sets import HELD_DOCS, question_set

    from qa import bundled_article

    cache = TEMP / "kinds-rows.json"
    if cached and cache.exists():
        rows: list[dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))
        return rows
    TEMP.mkdir(parents=True, exist_ok=True)
    article = assistant_over("article", [bundled_article()])
    sets = [
        ("squad", "fit", assistant_over("fit", fit_paths()), question_set("fit")),
        ("squad", "held", assistant_over("held", [HELD_DOCS]), question_set("held")),
    ]
    for name, (file, fits) in ARTICLE_SETS.items():
        for q in read_jsonl(ROOT / file):
            split = "fit" if fits is None or fits(q["id"]) else "held"
            sets.append((name, split, article, [q]))
    rows = []
    for name, split, assistant, questions in sets:
        retriever = assistant.as_retriever()
        for q in questions:
            found = retriever.invoke(q["question"])
            kind = str(q.get("kind") or ("answerable" if q["answerable"] else "out_of_scope"))
            rows.append(
                {
                    "set": name,
                    "split": split,
                    "kind": kind,
                    "question": q["question"],
                    "passages": [d.page_content for d in found],
                }
            )
    cache.write_text(json.dumps(rows), encoding="utf-8")
    return rows


class Closeness:
    """How close a word is to an asked noun, by the bundled model's word vectors."""

    def __init__(self) -> None:
        import tempfile

        from qa import build_assistant

        folder = tempfile.mkdtemp(prefix="qa-kinds-")
        self.embed = build_assistant(data_dir=folder, bundled=False).embedder.words.vectors
        self.known: dict[str, Any] = {}

    def __call__(self, noun: str) -> Any:
        def related(word: str) -> float:
            todo = [w for w in (noun, word) if w not in self.known]
            if todo:
                self.known.update(zip(todo, self.embed(todo), strict=True))
            return float(self.known[noun] @ self.known[word])

        return related


def fires(row: dict[str, Any], bind: float | None, close: Closeness) -> bool:
    asked = asked_kind(row["question"])
    if bind is None or not asked.noun:
        return not held_anywhere(Asked(asked.kind), row["passages"])
    return not held_anywhere(asked, row["passages"], close(asked.noun), bind)


def veto_figures(
    rows: list[dict[str, Any]], kinds: frozenset[str] | None, bind: float | None, close: Closeness
) -> dict[str, Any]:
    """By set, split and asked kind ("every": all questions, whatever they ask): answerable
    questions and the share the typed veto fires on (wrong), the others and the share it
    fires on (right); beside them the one-feature baseline's (the earlier evidence patterns:
    no digit, "no", "all", year... in any passage read). With kinds None, every typed kind is
    tried as if it decided."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for r in rows:
        kind = asked_kind(r["question"]).kind
        tried = kind != "open" and (kinds is None or kind in kinds)
        fired = tried and fires(r, bind, close)
        evidence = _asked_kind(r["question"])
        base = evidence is not None and not any(evidence.search(p) for p in r["passages"])
        answerable = r["kind"] == "answerable"
        keys = [f"{r['set']}/{r['split']}/every"]
        if tried:
            keys += [f"{r['set']}/{r['split']}/{kind}"]
        for key in keys:
            g = groups[key]
            g[0 if answerable else 3] += 1
            g[1 if answerable else 4] += fired
            g[2 if answerable else 5] += base
    return {
        key: {
            "answerable": a,
            "wrong": round(wrong / a, 4) if a else 0.0,
            "baseline_wrong": round(base_wrong / a, 4) if a else 0.0,
            "negatives": n,
            "right": round(right / n, 4) if n else 0.0,
            "baseline_right": round(base_right / n, 4) if n else 0.0,
        }
        for key, (a, wrong, base_wrong, n, right, base_right) in sorted(groups.items())
    }


def decisive(tried: dict[str, Any], typing: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """The kinds whose veto wrongly fires on at most WRONG_VETOES of the fit split's
    answerable questions, asked of the fit store and of their own paragraphs alike."""
    out = []
    for key, f in tried.items():
        name, split, kind = key.split("/")
        if (name, split) != ("squad", "fit") or kind in ("every", "open"):
            continue
        alone = typing["fit"][kind]["wrong_veto_any_noun"]
        if f["answerable"] >= MIN_QUESTIONS and max(f["wrong"], alone) <= WRONG_VETOES:
            out.append(kind)
    return sorted(out)


def fit_bind(rows: list[dict[str, Any]], close: Closeness) -> float | None:
    """The highest closeness binding a count to its noun that keeps the count veto's wrong
    declines within WRONG_VETOES on the fit split, or None."""
    fit = [r for r in rows if (r["set"], r["split"]) == ("squad", "fit")]
    counts = [r for r in fit if asked_kind(r["question"]).noun and r["kind"] == "answerable"]
    for bind in reversed(BINDS):
        wrong = sum(fires(r, bind, close) for r in counts) / max(1, len(counts))
        print(f"  bind {bind}: count veto wrong on {wrong:.4f} of {len(counts)} fit answerable")
        if wrong <= WRONG_VETOES:
            return bind
    return None


def main() -> None:
    typing = typing_figures()
    for split, kinds in typing.items():
        for kind, f in kinds.items():
            print(f"  {split:5} {kind:9} {json.dumps(f)}")
    if "--typing" in sys.argv:
        return
    rows = retrieved_rows(cached="--cached" in sys.argv)
    close = Closeness()
    tried = veto_figures(rows, None, None, close)
    chosen = decisive(tried, typing)
    bind = fit_bind(rows, close) if "count" in chosen else None
    veto = veto_figures(rows, frozenset(chosen), bind, close)
    for key, f in veto.items():
        print(f"  {key:28} {json.dumps(f)}")
    print(f"decisive kinds: {chosen}; a count binds to words {bind} close to its noun")
    if "--write" in sys.argv:
        model: dict[str, Any] = json.loads(OUT.read_text(encoding="utf-8"))
        model["kinds"] = {
            "decisive": chosen,
            "bind": bind,
            "figures": {"typing": typing, "veto_tried": tried, "veto": veto},
        }
        if "kind_missing" not in model["answers"]["vetoes"]:
            model["answers"]["vetoes"].append("kind_missing")
        OUT.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
