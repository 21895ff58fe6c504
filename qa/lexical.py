"""Words, stems and BM25: the lexical half of hybrid retrieval."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

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
    """Okapi BM25 over a fixed list of texts, with the corpus statistics kept for reuse.

    The postings are kept in one compact layout: the texts holding the term of row r are
    ``doc_ids[offsets[r]:offsets[r + 1]]`` (ascending), and ``weights`` holds, for the same
    slice, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_length))``; scoring a
    query is then one vector addition per query term.
    """

    def __init__(self, texts: Iterable[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        tokens: list[str] = []  # every text's terms, one text after another
        lengths: list[int] = []
        for text in texts:
            doc = _terms(text)
            tokens.extend(doc)
            lengths.append(len(doc))
        n = len(lengths)
        self.n = n
        self.avg_length = (sum(lengths) / n) if n else 1.0
        # term rows in order of first use; sorting the tokens' (row, text) keys and counting
        # equal keys yields every posting with its tf, grouped by term, texts ascending
        rows = {term: row for row, term in enumerate(dict.fromkeys(tokens))}
        stride = max(n, 1)
        keys = np.fromiter(map(rows.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        del tokens
        keys *= stride
        keys += np.repeat(np.arange(n, dtype=np.int32), lengths)
        keys, tf = np.unique(keys, return_counts=True)
        term_rows, doc_ids = np.divmod(keys, stride)
        del keys
        length = np.asarray(lengths, dtype=np.float64)[doc_ids]
        norm = tf + k1 * (1 - b + b * length / self.avg_length)
        df = np.bincount(term_rows, minlength=len(rows))
        self.offsets: npt.NDArray[np.int64] = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self.doc_ids: npt.NDArray[np.int32] = doc_ids.astype(np.int32)
        self.weights: npt.NDArray[np.float64] = tf * (k1 + 1) / norm
        self._rows = rows
        self.idf_of = {
            term: math.log(1 + (n - count + 0.5) / (count + 0.5))
            for term, count in zip(rows, df.tolist(), strict=True)
        }
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def idf(self, term: str) -> float:
        return self.idf_of.get(term, self.unseen_idf)

    def knows(self, term: str) -> bool:
        return term in self._rows

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The k best (doc index, score) pairs for the query terms, best first.

        Only texts holding at least one query term count; equal scores go by doc index.
        """
        scores = np.zeros(self.n)
        hit = False
        for term in dict.fromkeys(query_terms):  # distinct, in a fixed order
            row = self._rows.get(term)
            if row is None:
                continue
            start, end = self.offsets[row], self.offsets[row + 1]
            # doc ids are distinct within one term, so the fancy-indexed += adds each once
            scores[self.doc_ids[start:end]] += self.idf_of[term] * self.weights[start:end]
            hit = True
        if not hit or k <= 0:
            return []
        found = np.flatnonzero(scores > 0)  # ascending doc index
        found_scores = scores[found]
        if len(found) > k:
            cut = np.partition(found_scores, len(found) - k)[len(found) - k]  # k-th best
            keep = found_scores > cut
            ties = np.flatnonzero(found_scores == cut)[: k - int(keep.sum())]
            keep[ties] = True  # the tied texts with the lowest indices
            found, found_scores = found[keep], found_scores[keep]
        order = np.lexsort((found, -found_scores))
        return list(zip(found[order].tolist(), found_scores[order].tolist(), strict=True))
