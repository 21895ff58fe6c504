"""Reciprocal-rank fusion in HybridSearch: agreement wins, ties keep dense order, k cuts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from index import StoredChunk
from qa.lexical import BM25, terms
from qa.retrieval import RRF_K, HybridSearch

DIM = 4


def chunk(cid: str, text: str) -> StoredChunk:
    return StoredChunk(cid, "doc.txt", text, 0, len(text), ((0, len(text)),))


def unit(*values: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    vector = np.array(values + (0.0,) * (DIM - len(values)), dtype=np.float32)
    return vector / np.linalg.norm(vector)


class FakeStore:
    """A store whose dense side answers a fixed ranking; it is its own Library too."""

    def __init__(
        self,
        chunks: Sequence[StoredChunk],
        dense: Sequence[str],
        stored: dict[str, Any] | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.dense = list(dense)
        self.stored = stored if stored is not None else {}
        self.asked_for: list[list[str]] = []
        self.store = self  # HybridSearch reaches the store through its Library

    def snapshot(self) -> tuple[list[Any], str]:
        return [], "generation-1"

    def live_chunks(self, records: Any = None) -> list[StoredChunk]:
        return list(self.chunks)

    def nearest(self, vector: Any, n: int) -> list[tuple[str, float]]:
        # similarities fall with rank, so the dense ranking is the order given
        return [(cid, 0.9 - 0.01 * rank) for rank, cid in enumerate(self.dense)][:n]

    def vectors(self, ids: Sequence[str]) -> dict[str, Any]:
        self.asked_for.append(list(ids))
        return {cid: self.stored[cid] for cid in ids if cid in self.stored}


class FakeEmbedder:
    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        self.encoded.extend(texts)
        return np.stack([unit(0.0, 1.0) for _ in texts])


# BM25 ranks these for the query "owl": most "owl" in the shortest text first, no "owl" never
TEXTS = {
    "b1": "owl owl owl",
    "b2": "owl owl nest tundra",
    "b3": "owl lemming hunt arctic winter night",
    "d1": "the fox runs",
    "d2": "a river bends",
    "d3": "the hill is green",
}
CHUNKS = [chunk(cid, text) for cid, text in TEXTS.items()]


def lexical_order(query: str) -> list[str]:
    bm25 = BM25(c.text for c in CHUNKS)
    return [CHUNKS[i].id for i, _score in bm25.top(terms(query), 20)]


def search(
    dense: Sequence[str], query: str = "owl", k: int = 6, candidates: int = 20, **store: Any
) -> tuple[list[tuple[StoredChunk, float, float]], FakeStore, FakeEmbedder]:
    fake, embedder = FakeStore(CHUNKS, dense, **store), FakeEmbedder()
    hybrid = HybridSearch(fake, embedder, k=k, candidates=candidates)  # type: ignore[arg-type]
    return hybrid.search(query, vector=unit(1.0)), fake, embedder


def rrf(*rankings: Sequence[str]) -> dict[str, float]:
    """Reciprocal-rank fusion written out: 1 / (K + rank) from each ranking, ranks from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return scores


def test_the_bm25_side_ranks_as_the_fixture_says() -> None:
    assert lexical_order("owl") == ["b1", "b2", "b3"]


@pytest.mark.parametrize(
    "dense",
    [
        ["d1", "d2", "d3"],  # the two sides find different chunks
        ["b3", "d1", "b1"],  # they overlap in part
        ["b1", "b2", "b3"],  # they agree
        ["b3", "b2", "b1", "d3", "d2", "d1"],  # same chunks, opposite order
    ],
)
def test_fused_scores_are_the_sum_of_reciprocal_ranks(dense: list[str]) -> None:
    hits, _, _ = search(dense)
    expected = rrf(dense, lexical_order("owl"))
    assert {c.id: fused for c, fused, _ in hits} == pytest.approx(expected)
    scores = [fused for _, fused, _ in hits]
    assert scores == sorted(scores, reverse=True)


def test_a_chunk_both_sides_find_beats_each_side_s_best_alone() -> None:
    # b2 is second on both sides; d1 is first in dense only, b1 first in BM25 only
    hits, _, _ = search(["d1", "b2", "d2"])
    assert [c.id for c, _, _ in hits][:3] == ["b2", "d1", "b1"]


def test_equal_fused_scores_keep_the_dense_order_first() -> None:
    # d1 (dense 1st) and b1 (BM25 1st) tie; so do d2 and b2, d3 and b3
    hits, _, _ = search(["d1", "d2", "d3"])
    assert [c.id for c, _, _ in hits] == ["d1", "b1", "d2", "b2", "d3", "b3"]
    # crossed ranks tie too: b1 is dense 2nd and BM25 1st, b2 dense 1st and BM25 2nd
    hits, _, _ = search(["b2", "b1"])
    assert [c.id for c, _, _ in hits][:2] == ["b2", "b1"]
    assert hits[0][1] == pytest.approx(hits[1][1])


def test_a_chunk_only_bm25_finds_gets_its_stored_vector_or_an_embedding() -> None:
    stored = {"b1": unit(1.0)}  # b2 and b3 have no stored vector: they are embedded
    hits, fake, embedder = search(["d1"], stored=stored)
    by_id = {c.id: (fused, similarity) for c, fused, similarity in hits}
    assert set(by_id) == {"d1", "b1", "b2", "b3"}
    assert by_id["b1"] == pytest.approx((1 / (RRF_K + 1), 1.0))
    assert by_id["b2"] == pytest.approx((1 / (RRF_K + 2), 0.0), abs=1e-6)
    assert by_id["d1"] == pytest.approx((1 / (RRF_K + 1), 0.9))  # dense keeps its similarity
    assert fake.asked_for == [["b1", "b2", "b3"]]  # dense hits are not looked up again
    assert sorted(embedder.encoded) == sorted([TEXTS["b2"], TEXTS["b3"]])


def test_a_chunk_only_dense_search_finds_is_kept() -> None:
    hits, _, _ = search(["d2"], query="lemming")  # BM25 finds b3 alone
    assert [c.id for c, _, _ in hits] == ["d2", "b3"]
    assert [fused for _, fused, _ in hits] == pytest.approx([1 / (RRF_K + 1)] * 2)


def test_stale_dense_ids_are_skipped_and_do_not_take_a_rank() -> None:
    hits, _, _ = search(["gone", "d1"], query="nothing matches this")
    assert [c.id for c, _, _ in hits] == ["d1"]
    assert hits[0][1] == pytest.approx(1 / (RRF_K + 1))  # d1 is first among the live ids


@pytest.mark.parametrize("k", [1, 2, 4])
def test_k_keeps_the_k_best(k: int) -> None:
    dense = ["b3", "d1", "b1"]
    full, _, _ = search(dense, k=20)
    hits, _, _ = search(dense, k=k)
    assert len(hits) == k
    assert [c.id for c, _, _ in hits] == [c.id for c, _, _ in full][:k]


def test_candidates_limit_each_side_before_fusion() -> None:
    hits, _, _ = search(["d1", "d2", "d3"], candidates=1)
    assert [c.id for c, _, _ in hits] == ["d1", "b1"]


def test_an_empty_corpus_finds_nothing() -> None:
    fake, embedder = FakeStore([], ["d1"]), FakeEmbedder()
    hybrid = HybridSearch(fake, embedder)  # type: ignore[arg-type]
    assert hybrid.search("owl", vector=unit(1.0)) == []
