"""Declines on the article's question sets, by half and by asked kind, with the typed veto's share.

`.venv/bin/python benchmarks/eval_kinds.py [--squad] [--write]` asks every question of
tests/eval/article.jsonl, article-oos.jsonl and article-paraphrase.jsonl of a store holding the
bundled article, and prints one JSON line per (set, half, asked kind): of the questions the
article does not answer, the share declined and the share the typed veto declined; of those it
answers, the share declined and the share answered with the expected text. The halves are
fit_reading's (article-oos 1-40 fit, 41-80 held; article-paraphrase 1-25 fit, 26-50 held).
With --squad, tests/eval/squad-held.jsonl too, of the held articles' indexed halves, by kind;
--write records the figures (all kinds, and the kinds that decide) in qa/data/reading.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "qa" / "data" / "reading.json"
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from reading_rows import ARTICLE_SETS, read_jsonl  # noqa: E402
from reading_sets import HELD_DOCS, HELD_QUESTIONS  # noqa: E402

from qa import build_assistant, bundled_article  # noqa: E402
from qa.evaluation import contains  # noqa: E402
from qa.reading.asked import asked_kind  # noqa: E402
from qa.reading.model import load_reader  # noqa: E402


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="qa-kinds-"))
    assistant = build_assistant(data_dir=folder / "article", bundled=False)
    assistant.index([bundled_article()])
    asked = [
        (name, fits, assistant, read_jsonl(ROOT / file))
        for name, (file, fits) in ARTICLE_SETS.items()
    ]
    if "--squad" in sys.argv:
        squad = build_assistant(data_dir=folder / "squad", bundled=False)
        squad.index([HELD_DOCS])
        asked.append(("squad", lambda _id: False, squad, read_jsonl(HELD_QUESTIONS)))
    decisive = load_reader().decisive_kinds
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for name, fits, assistant, questions in asked:
        for q in questions:
            half = "fit" if fits is None or fits(q["id"]) else "held"
            history = [tuple(t) for t in q.get("history", [])]
            answer = assistant.ask(q["question"], history)
            kind = asked_kind(q["question"]).kind
            vetoed = kind in decisive and assistant.rank(q["question"], history).kind_missing()
            ok = answer.answered and contains(answer.text, q["must"])
            part = 3 if q["answerable"] else 0  # [n, declined, vetoed] of negatives, answerable
            label = f"squad-{q['kind']}" if name == "squad" else name
            for key in ((label, half, kind), (label, half, "all")):
                g = groups[key]
                g[part] += 1
                g[part + 1] += not answer.answered
                g[part + 2] += ok if q["answerable"] else vetoed
    rows = []
    for (name, half, kind), (n, declined, vetoed, a, false, held) in sorted(groups.items()):
        figures: dict[str, object] = {"set": name, "half": half, "kind": kind}
        if n:
            figures |= {"negatives": n, "declined": round(declined / n, 3)}
            figures |= {"vetoed": round(vetoed / n, 3)}
        if a:
            figures |= {"answerable": a, "false_declines": round(false / a, 3)}
            figures |= {"answers_hold": round(held / a, 3)}
        print(json.dumps(figures))
        rows.append(figures)
    if "--write" in sys.argv:  # beside fit_kinds' figures: declines as the assistant answers
        model = json.loads(MODEL.read_text(encoding="utf-8"))
        kept = [f for f in rows if f["kind"] == "all" or f["kind"] in decisive]
        model["kinds"]["figures"]["declines"] = kept
        MODEL.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
