"""Hybrid retrieval: dense search in Chroma and BM25 over the same chunks, fused by rank."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index import Embedder, StoredChunk
from index.library import Library
from qa.lexical import BM25, terms

RRF_K = 60


def fuse(dense: Sequence[str], lexical: Sequence[str], k: int) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of two rankings of ids, best first: the k best (id, score).

    An id's score is the sum of 1 / (RRF_K + rank) over the rankings that hold it, ranks
    counted from 1. Equal scores keep the first-seen order: the dense ids in dense order,
    then the ids only the lexical side found, in its order.
    """
    fused: dict[str, float] = {}
    for ranking in (dense, lexical):
        for rank, cid in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(fused, key=lambda cid: -fused[cid])[:k]
    return [(cid, fused[cid]) for cid in best]


@dataclass(frozen=True)
class Corpus:
    """The live chunks of one index generation, with their BM25 index."""

    generation: str
    chunks: tuple[StoredChunk, ...]
    bm25: BM25
    by_id: dict[str, StoredChunk]


class HybridSearch:
    """Reciprocal-rank fusion of Chroma's nearest chunks and BM25's best chunks.

    The BM25 side is built once per process and index generation, from the chunks in the
    store, and rebuilt only when the manifest changes (another process indexed something).
    LangChain's view of it is ``qa.chain.HybridRetriever``.
    """

    def __init__(self, library: Library, embedder: Embedder, k: int = 6, candidates: int = 20):
        self.library = library
        self.embedder = embedder
        self.k = k
        self.candidates = candidates
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def corpus(self) -> Corpus:
        """The current corpus, rebuilt when the store's manifest has changed."""
        store = self.library.store
        records, generation = store.snapshot()
        with self._lock:
            if self._corpus is None or self._corpus.generation != generation:
                chunks = tuple(store.live_chunks(records))
                by_id = {c.id: c for c in chunks}
                self._corpus = Corpus(generation, chunks, BM25(c.text for c in chunks), by_id)
            return self._corpus

    def search(
        self, query: str, vector: Any = None, corpus: Corpus | None = None, k: int | None = None
    ) -> list[tuple[StoredChunk, float, float]]:
        """(chunk, fused score, dense similarity) for the best k chunks, best first.

        ``k`` defaults to the instance's; a call's own ``k`` also draws at least that many
        candidates from each side, so that up to k chunks can come back."""
        pool = self.candidates if k is None else max(self.candidates, k)
        k = self.k if k is None else k
        corpus = corpus or self.corpus()
        if not corpus.chunks:
            return []
        if vector is None:
            vector = self.embedder.encode([query])[0]
        # Chroma gives ids only: the chunks are in memory; ids the corpus lacks are stale
        store = self.library.store
        nearest = store.nearest(vector, pool * 2 + 8)
        dense = [(cid, sim) for cid, sim in nearest if cid in corpus.by_id][:pool]
        lexical = [corpus.chunks[i].id for i, _ in corpus.bm25.top(terms(query), pool)]
        fused = fuse([cid for cid, _sim in dense], lexical, k)
        best = [cid for cid, _score in fused]
        similarity = dict(dense)
        found = store.vectors([cid for cid in best if cid not in similarity])
        for cid, row in found.items():  # BM25's finds: their stored vectors
            similarity[cid] = float(row @ np.asarray(vector, dtype=np.float32))
        missing = [cid for cid in best if cid not in similarity]
        if missing:
            vectors = self.embedder.encode([corpus.by_id[cid].text for cid in missing])
            for cid, row in zip(missing, vectors, strict=True):
                similarity[cid] = float(np.dot(row, vector))
        return [(corpus.by_id[cid], score, similarity[cid]) for cid, score in fused]
