"""Hybrid retrieval: dense search in Chroma and BM25 over the same chunks, fused by rank."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index import Embedder, StoredChunk
from index.library import Library
from qa.lexical import LexicalIndex, terms

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
class View:
    """What one index generation is searched in: its lexical index over the live sources."""

    generation: str
    lexicon: LexicalIndex


class HybridSearch:
    """Reciprocal-rank fusion of Chroma's nearest chunks and BM25's best chunks.

    Neither side holds the corpus: Chroma finds the nearest live chunks, the lexical index
    reads the postings of the query's terms from disk, and the fused best are fetched by id.
    A view is kept per index generation, and made anew when the manifest changes (another
    process indexed something). LangChain's view of it is ``qa.chain.HybridRetriever``.
    """

    def __init__(self, library: Library, embedder: Embedder, k: int = 6, candidates: int = 20):
        self.library = library
        self.embedder = embedder
        self.k = k
        self.candidates = candidates
        self._view: View | None = None
        self._key: tuple[str, tuple[int, ...]] | None = None
        self._lock = threading.Lock()

    def view(self) -> View:
        """The current generation's view, made anew when the store's manifest has changed."""
        store = self.library.store
        records, generation = store.snapshot()
        with self._lock:
            # the lengths too: an older store gets them when opened, in the same generation
            key = (generation, tuple(r.terms for r in records))
            if self._view is None or key != self._key:
                self._view, self._key = View(generation, LexicalIndex(store, records)), key
            return self._view

    def search(
        self, query: str, vector: Any = None, view: View | None = None, k: int | None = None
    ) -> list[tuple[StoredChunk, float, float]]:
        """(chunk, fused score, dense similarity) for the best k chunks, best first.

        ``k`` defaults to the instance's; a call's own ``k`` also draws at least that many
        candidates from each side, so that up to k chunks can come back."""
        pool = self.candidates if k is None else max(self.candidates, k)
        k = self.k if k is None else k
        view = view or self.view()
        if not view.lexicon.n:
            return []
        if vector is None:
            vector = self.embedder.encode([query])[0]
        store = self.library.store
        dense = store.query(vector, pool, view.lexicon.live)
        lexical = view.lexicon.top(terms(query), pool)
        fused = fuse([chunk.id for chunk, _sim in dense], [cid for cid, _ in lexical], k)
        chunks = {chunk.id: chunk for chunk, _sim in dense}
        similarity = {chunk.id: sim for chunk, sim in dense}
        wanted = [cid for cid, _score in fused if cid not in chunks]
        for cid, (chunk, row) in store.fetch(wanted).items():  # BM25's finds, by id
            chunks[cid] = chunk
            similarity[cid] = float(row @ np.asarray(vector, dtype=np.float32))
        # a chunk gone since the view was made (its source replaced meanwhile) is left out
        return [(chunks[cid], score, similarity[cid]) for cid, score in fused if cid in chunks]
