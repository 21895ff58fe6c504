"""Words, stems and BM25: the lexical half of hybrid retrieval."""

from __future__ import annotations

import functools
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from index.words import STOPWORDS, words

__all__ = ["BM25", "STOPWORDS", "stem", "terms", "words"]


@functools.lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals, tenses and possessives."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("isation", "ize"),
        ("ising", "ize"),
        ("izing", "ize"),
        ("ised", "ize"),
        ("ized", "ize"),
        ("ies", "y"),
        ("ied", "y"),
        ("ness", ""),
        ("ments", "ment"),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                return word[:-1]
            return word[: len(word) - len(suffix)] + keep
    return word


def terms(text: str) -> list[str]:
    """Stemmed content words of text, in order, stopwords removed."""
    return list(_terms(text))


# the same candidate sentences come back question after question
@functools.lru_cache(maxsize=1 << 15)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w not in STOPWORDS)


class BM25:
    """Okapi BM25 over a fixed list of texts, with the corpus statistics kept for reuse."""

    def __init__(self, texts: Iterable[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs: list[Counter[str]] = [Counter(terms(text)) for text in texts]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.docs else 1.0
        self.postings: dict[str, list[int]] = {}
        for i, doc in enumerate(self.docs):
            for term in doc:
                self.postings.setdefault(term, []).append(i)
        n = len(self.docs)
        self.idf_of = {
            term: math.log(1 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
            for term, ids in self.postings.items()
        }
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def idf(self, term: str) -> float:
        return self.idf_of.get(term, self.unseen_idf)

    def knows(self, term: str) -> bool:
        return term in self.postings

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The k best (doc index, score) pairs for the query terms, best first."""
        scores: dict[int, float] = {}
        for term in set(query_terms):
            idf = self.idf_of.get(term)
            if idf is None:
                continue
            for i in self.postings[term]:
                tf = self.docs[i][term]
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg_length)
                scores[i] = scores.get(i, 0.0) + idf * tf * (self.k1 + 1) / norm
        return heapq.nlargest(k, scores.items(), key=lambda item: item[1])  # stable, as sorted
