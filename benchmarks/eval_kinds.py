"""Declines on the article's question sets, by half and by asked kind, with the typed veto's share.

`.venv/bin/python benchmarks/eval_kinds.py [DATA_DIR]` asks every question of
tests/eval/article.jsonl, article-oos.jsonl and article-paraphrase.jsonl of a store holding the
bundled article, and prints one JSON line per (set, half, asked kind): of the questions the
article does not answer, the share declined and the share the typed veto declined; of those it
answers, the share declined and the share answered with the expected text. The halves are
fit_reading's (article-oos 1-40 fit, 41-80 held; article-paraphrase 1-25 fit, 26-50 held).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from reading_rows import ARTICLE_SETS, read_jsonl  # noqa: E402

from qa import build_assistant, bundled_article  # noqa: E402
from qa.evaluation import contains  # noqa: E402
from qa.reading.answers import kind_missing  # noqa: E402
from qa.reading.asked import asked_kind  # noqa: E402


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="qa-kinds-")
    assistant = build_assistant(data_dir=folder, bundled=False)
    assistant.index([bundled_article()])
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for name, (file, fits) in ARTICLE_SETS.items():
        for q in read_jsonl(ROOT / file):
            half = "fit" if fits is None or fits(q["id"]) else "held"
            history = [tuple(t) for t in q.get("history", [])]
            answer = assistant.ask(q["question"], history)
            vetoed = kind_missing(assistant.rank(q["question"], history))
            kind = asked_kind(q["question"]).kind
            ok = answer.answered and contains(answer.text, q["must"])
            part = 3 if q["answerable"] else 0  # [n, declined, vetoed] of negatives, answerable
            for key in ((name, half, kind), (name, half, "all")):
                g = groups[key]
                g[part] += 1
                g[part + 1] += not answer.answered
                g[part + 2] += ok if q["answerable"] else vetoed
    for (name, half, kind), (n, declined, vetoed, a, false, held) in sorted(groups.items()):
        figures: dict[str, object] = {"set": name, "half": half, "kind": kind}
        if n:
            figures |= {"negatives": n, "declined": round(declined / n, 3)}
            figures |= {"vetoed": round(vetoed / n, 3)}
        if a:
            figures |= {"answerable": a, "false_declines": round(false / a, 3)}
            figures |= {"answers_hold": round(held / a, 3)}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
