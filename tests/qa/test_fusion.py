"""Reciprocal-rank fusion: agreement wins, ties keep dense order, k cuts; then hybrid search on
a real store, where BM25 finds a made-up code and the model finds a paraphrase."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from qa.lexical import terms
from qa.retrieval import RRF_K, fuse


def rrf(*rankings: Sequence[str]) -> dict[str, float]:
    """Reciprocal-rank fusion written out: 1 / (K + rank) from each ranking, ranks from 1."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return scores


def ids(fused: list[tuple[str, float]]) -> list[str]:
    return [cid for cid, _score in fused]


LEXICAL = ["b1", "b2", "b3"]


@pytest.mark.parametrize(
    "dense",
    [
        ["d1", "d2", "d3"],  # the two sides find different ids
        ["b3", "d1", "b1"],  # they overlap in part
        ["b1", "b2", "b3"],  # they agree
        ["b3", "b2", "b1", "d3", "d2", "d1"],  # same ids, opposite order
    ],
)
def test_fused_scores_are_the_sum_of_reciprocal_ranks(dense: list[str]) -> None:
    fused = fuse(dense, LEXICAL, k=20)
    assert dict(fused) == rrf(dense, LEXICAL)  # the same sums, to the last bit
    scores = [score for _cid, score in fused]
    assert scores == sorted(scores, reverse=True)


def test_an_id_both_sides_found_beats_each_side_s_best_alone() -> None:
    # b2 is second on both sides; d1 is first in dense only, b1 first in lexical only
    assert ids(fuse(["d1", "b2", "d2"], LEXICAL, k=3)) == ["b2", "d1", "b1"]
    # agreement even low down: third on both sides beats first on one
    fused = dict(fuse(["d1", "d2", "b3"], LEXICAL, k=20))
    assert fused["b3"] > fused["d1"] == fused["b1"]


def test_equal_fused_scores_keep_the_dense_order_first() -> None:
    # d1 (dense 1st) and b1 (lexical 1st) tie; so do d2 and b2, d3 and b3
    fused = fuse(["d1", "d2", "d3"], LEXICAL, k=20)
    assert ids(fused) == ["d1", "b1", "d2", "b2", "d3", "b3"]
    assert fused[0][1] == fused[1][1]
    # crossed ranks tie too: b1 is dense 2nd and lexical 1st, b2 dense 1st and lexical 2nd
    fused = fuse(["b2", "b1"], LEXICAL, k=20)
    assert ids(fused) == ["b2", "b1", "b3"]
    assert fused[0][1] == fused[1][1]


def test_an_id_only_one_side_found_is_kept() -> None:
    assert fuse(["d2"], ["b3"], k=20) == [("d2", 1 / (RRF_K + 1)), ("b3", 1 / (RRF_K + 1))]
    assert fuse(["d1", "d2"], [], k=20) == [("d1", 1 / (RRF_K + 1)), ("d2", 1 / (RRF_K + 2))]
    assert fuse([], ["b1", "b2"], k=20) == [("b1", 1 / (RRF_K + 1)), ("b2", 1 / (RRF_K + 2))]


@pytest.mark.parametrize("k", [0, 1, 2, 4, 6])
def test_k_keeps_the_k_best(k: int) -> None:
    dense = ["b3", "d1", "b1"]
    full = fuse(dense, LEXICAL, k=20)
    assert ids(full) == ["b3", "b1", "d1", "b2"]
    assert fuse(dense, LEXICAL, k=k) == full[:k]


def test_empty_inputs_fuse_to_nothing() -> None:
    assert fuse([], [], k=6) == []
    assert fuse(["d1"], ["b1"], k=0) == []


# hybrid search through real parts: the bundled model, Chroma and BM25 over a temp folder

CODE = "XQ-7734"
DOCS = {
    # the code, and two look-alikes in otherwise identical chunks
    "valve.txt": f"Spare part {CODE} sits in the back room of the workshop, behind the paint tins.",
    "pump.txt": "Spare part XR-7743 sits in the back room of the workshop, behind the paint tins.",
    "hose.txt": "Spare part QX-3477 sits in the back room of the workshop, behind the paint tins.",
    "fever.txt": "The physician prescribed medication for the child with a fever.",
    "bread.txt": "Knead the dough for ten minutes, then let it rise in a warm kitchen.",
    "tides.txt": "Tides rise and fall twice a day because the moon's gravity pulls on the oceans.",
    "chess.txt": "In chess, castling moves the king two squares toward a rook.",
    "bees.txt": "Honey bees dance in the hive to tell other workers where the flowers are.",
    "train.txt": "The night train to Vienna leaves the station at eleven and arrives at dawn.",
    "garden.txt": "Tomatoes need full sun, steady watering and a stake to climb as they grow.",
    "piano.txt": "She practised scales on the piano every morning before school.",
    "whale.txt": "Blue whales are the largest animals ever known to have lived on Earth.",
}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    """An assistant over DOCS alone, one chunk a file, in its own temp store."""
    from qa import build_assistant

    root = tmp_path_factory.mktemp("fusion")
    folder = root / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    assistant = build_assistant(data_dir=root / "store", bundled=False, embedder=embedder)
    report = assistant.index([folder])
    assert sorted(report.added) == sorted(DOCS) and report.chunks == len(DOCS)
    return assistant


def search(assistant: Any, query: str) -> list[tuple[Any, float, float]]:
    hits: list[tuple[Any, float, float]] = assistant.pipeline.search.search(query)
    k = assistant.pipeline.search.k
    assert len(hits) == k < len(DOCS)  # more chunks than k match a little: k cut the rest
    fused = [score for _chunk, score, _similarity in hits]
    assert fused == sorted(fused, reverse=True)
    # each hit's similarity is its cosine to the query, whichever side found it
    query_vector = assistant.embedder.encode([query])[0]
    for chunk, _score, similarity in hits:
        cosine = float(np.dot(assistant.embedder.encode([chunk.text])[0], query_vector))
        assert similarity == pytest.approx(cosine, abs=1e-4)
    return hits


def test_a_made_up_code_only_bm25_can_read_puts_its_chunk_first(indexed: Any) -> None:
    query = f"Where is {CODE}?"
    code_terms = set(terms(query))
    assert code_terms == {"xq", "7734"}
    assert [name for name, text in DOCS.items() if code_terms & set(terms(text))] == ["valve.txt"]

    hits = search(indexed, query)
    sources = [chunk.source for chunk, _score, _similarity in hits]
    assert sources[0] == "valve.txt"
    assert CODE in hits[0][0].text
    # found by BM25 and by the model: more than any one side's best alone
    assert hits[0][1] > 1 / (RRF_K + 1) >= hits[1][1]
    assert {"pump.txt", "hose.txt"} <= set(sources[1:])  # the look-alikes rank below it


def test_a_paraphrase_sharing_no_word_is_found_by_meaning(indexed: Any) -> None:
    query = "a doctor treated a sick kid who was running a temperature"
    assert not set(terms(query)) & set(terms(DOCS["fever.txt"]))  # BM25 cannot match it

    hits = search(indexed, query)
    chunk, fused, similarity = hits[0]
    assert chunk.source == "fever.txt"
    assert fused == 1 / (RRF_K + 1)  # the model's first, and no BM25 score at all
    assert similarity == max(s for _chunk, _fused, s in hits)
