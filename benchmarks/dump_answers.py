"""Every answer on tests/eval as JSON lines, to diff before and after a change that must keep
answers byte-identical: `python benchmarks/dump_answers.py before.jsonl`, change, run again, cmp.

The article sets are asked over the bundled article, wiki.jsonl and the claims over
tests/data/wiki, squad-held.jsonl over tests/data/squad; each store is built in a temp folder.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from index import Embedder
from qa import Assistant, build_assistant

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "article-dev": "article",
    "article-oos": "article",
    "article-paraphrase": "article",
    "article": "article",
    "wiki": "wiki",
    "squad-held": "squad",
    "claims": "wiki",
}


def store(documents: str | None, embedder: Embedder) -> Assistant:
    folder = Path(tempfile.mkdtemp())
    assistant = build_assistant(data_dir=folder, bundled=documents is None, embedder=embedder)
    if documents:
        assistant.index([ROOT / "tests" / "data" / documents])
    return assistant


def main(out_path: str) -> None:
    embedder = Embedder()  # one model for every store
    stores: dict[str, Assistant] = {}
    with open(out_path, "w", encoding="utf-8") as out:
        for name, corpus in SETS.items():
            if corpus not in stores:
                stores[corpus] = store(None if corpus == "article" else corpus, embedder)
            assistant = stores[corpus]
            for line in (ROOT / "tests" / "eval" / f"{name}.jsonl").open(encoding="utf-8"):
                item = json.loads(line)
                if "claim" in item:
                    record = {"supported": assistant.supported(item["question"], item["claim"])}
                else:
                    history = [tuple(turn) for turn in item.get("history") or ()]
                    record = assistant.ask(item["question"], history).to_dict()
                record["id"] = item["id"]
                out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
