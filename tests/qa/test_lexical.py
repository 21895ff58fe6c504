"""BM25 ranks like a plain textbook computation: rare terms first, ties by index, only matches."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from qa.lexical import BM25, terms

WIKI = Path(__file__).resolve().parents[1] / "data" / "wiki"


def reference_top(texts: list[str], query: list[str], k: int) -> list[tuple[int, float]]:
    """Okapi BM25 written out term by term, ties by index."""
    k1, b = 1.2, 0.75
    docs = [Counter(terms(text)) for text in texts]
    avg = sum(sum(d.values()) for d in docs) / len(docs)
    scores: dict[int, float] = {}
    for term in set(query):
        holding = [i for i, d in enumerate(docs) if term in d]
        idf = math.log(1 + (len(docs) - len(holding) + 0.5) / (len(holding) + 0.5))
        for i in holding:
            tf, length = docs[i][term], sum(docs[i].values())
            norm = tf + k1 * (1 - b + b * length / avg)
            scores[i] = scores.get(i, 0.0) + idf * tf * (k1 + 1) / norm
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


def paragraphs() -> list[str]:
    return [
        part.strip()
        for path in sorted(WIKI.glob("*.txt"))
        for part in path.read_text(encoding="utf-8").split("\n\n")
        if part.strip()
    ]


@pytest.mark.parametrize(
    "question",
    [
        "Where did the Normans and Byzantines sign the peace treaty?",
        "Who was the duke in the battle of Hastings?",
        "How long is the Rhine?",
        "What did the steam engine do for the industrial revolution?",
        "When did the oil crisis begin, and which countries were embargoed?",
    ],
)
def test_top_matches_a_plain_computation_on_wikipedia_paragraphs(question: str) -> None:
    texts = paragraphs()
    texts += texts[:40]  # exact duplicates: equal scores, which must go by index
    query = terms(question)
    got = BM25(texts).top(query, 25)
    want = reference_top(texts, query, 25)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-12)


def test_texts_with_the_rare_term_come_first() -> None:
    texts = ["river bank", "river bend", "dam wall", "river mouth", "green fields"]
    top = BM25(texts).top(terms("river dam"), 10)
    assert [i for i, _ in top] == [2, 0, 1, 3]  # "dam" is in one text, "river" in three
    assert top[0][1] > top[1][1] == top[2][1] == top[3][1] > 0


def test_equal_scores_go_by_index_and_k_keeps_the_lowest() -> None:
    texts = ["a lone word"] + ["the dam on the river"] * 6 + ["the dam"]
    bm25 = BM25(texts)
    assert [i for i, _ in bm25.top(terms("river"), 3)] == [1, 2, 3]
    assert [i for i, _ in bm25.top(terms("river dam"), 10)][:6] == [1, 2, 3, 4, 5, 6]
    assert [i for i, _ in bm25.top(terms("river dam"), 10)][6] == 7  # shorter, but no river


def test_k_is_respected() -> None:
    texts = [f"harbour number {n} with boats" for n in range(30)]
    bm25 = BM25(texts)
    assert len(bm25.top(terms("harbour boats"), 7)) == 7
    assert len(bm25.top(terms("harbour boats"), 100)) == 30
    assert bm25.top(terms("harbour boats"), 0) == []


def test_unknown_and_repeated_terms_count_nothing_and_unmatched_texts_never_come_back() -> None:
    texts = ["castles on the hill", "boats in the harbour", "castles and boats", "only grass"]
    bm25 = BM25(texts)
    assert bm25.top(terms("castles zeppelin"), 10) == bm25.top(terms("castles"), 10)
    assert bm25.top(terms("castles castles boats"), 10) == bm25.top(terms("castles boats"), 10)
    assert [i for i, _ in bm25.top(terms("castles"), 10)] == [0, 2]
    assert bm25.top(terms("zeppelin quasar"), 10) == []
    assert bm25.top([], 10) == []
    assert not bm25.knows("zeppelin") and bm25.knows(terms("castles")[0])
    assert bm25.idf("zeppelin") == bm25.unseen_idf > bm25.idf(terms("castles")[0])


def test_an_empty_corpus_finds_nothing() -> None:
    bm25 = BM25([])
    assert bm25.top(terms("anything at all"), 5) == []
    assert not bm25.knows("anything")
