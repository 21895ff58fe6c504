"""Words, stems and BM25: the lexical half of hybrid retrieval, over the postings on disk."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from index.postings import FIELDS
from index.records import span_id
from index.terms import stem, terms, text_terms
from index.words import STOPWORDS, words

if TYPE_CHECKING:
    from index import SourceRecord, Store
    from index.postings import Row

__all__ = ["BM25", "STOPWORDS", "LexicalIndex", "Lexicon", "stem", "terms", "words"]
K1, B = 1.2, 0.75


class Lexicon(Protocol):
    """What the readers ask of the corpus's words: how rare each is, and whether it is used."""

    @property
    def unseen_idf(self) -> float: ...
    def idf(self, term: str) -> float: ...
    def knows(self, term: str) -> bool: ...


class BM25:
    """Okapi BM25 over a fixed list of texts held in memory, with the corpus statistics kept
    for reuse: what LexicalIndex computes from the postings on disk, for a list of texts.

    The postings are kept in one compact layout: the texts holding the term of row r are
    ``doc_ids[offsets[r]:offsets[r + 1]]`` (ascending), and ``weights`` holds, for the same
    slice, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avg_length))``; scoring a
    query is then one vector addition per query term.
    """

    def __init__(self, texts: Iterable[str], k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b
        tokens: list[str] = []  # every text's terms, one text after another
        lengths: list[int] = []
        for text in texts:
            doc = text_terms(text)
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


class LexicalIndex:
    """Okapi BM25 over a store's postings on disk, for one index generation.

    It reads only the rows of the terms asked, yet gives the scores of BM25 over every live
    chunk, bit for bit, in its order: the corpus statistics come from the manifest (chunk
    counts and lengths in terms), the document frequencies from the rows, cached for the
    generation; equal scores go by (source, start), the order BM25's texts are listed in.
    """

    def __init__(
        self, store: Store, records: Sequence[SourceRecord], k1: float = K1, b: float = B
    ) -> None:
        self.store, self.k1, self.b = store, k1, b
        self.live = {(r.source, r.digest) for r in records}
        self.n = sum(r.chunks for r in records)
        self.avg_length = sum(r.terms for r in records) / self.n if self.n else 1.0
        self.unseen_idf = math.log(1 + (self.n + 0.5) / 0.5)
        self._order = {source: i for i, source in enumerate(sorted(s for s, _d in self.live))}
        self._digest = dict(self.live)
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()

    def learn(self, asked: Iterable[str]) -> None:
        """Read the document frequencies of these terms, in one call, for later idf/knows."""
        with self._lock:
            new = [t for t in dict.fromkeys(asked) if t not in self._df]
        if new:
            self._count(new, self.store.postings_of(new, self.live, data=False))

    def idf(self, term: str) -> float:
        count = self._frequency(term)
        return math.log(1 + (self.n - count + 0.5) / (count + 0.5)) if count else self.unseen_idf

    def knows(self, term: str) -> bool:
        return self._frequency(term) > 0

    def _frequency(self, term: str) -> int:
        """A term's document frequency: cached, else read (the readers ask often)."""
        count = self._df.get(term)
        if count is None:
            self.learn([term])
            count = self._df[term]
        return count

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The k best (chunk id, score) pairs for the query terms, best first (see BM25.top)."""
        asked = list(dict.fromkeys(query_terms))  # distinct, in a fixed order
        if not asked or k <= 0:
            return []
        rows = self.store.postings_of(asked, self.live)
        self._count(asked, rows)
        keys, ends, parts = [], [], []
        k1, b = self.k1, self.b
        by_term: dict[str, list[Row]] = {}
        for row in rows:
            by_term.setdefault(row.term, []).append(row)
        for term in asked:  # the terms' contributions in BM25.top's order, so sums are equal
            held = by_term.get(term)
            if not held:
                continue
            entries = np.frombuffer(b"".join(row.data for row in held), dtype=np.int32)
            entries = entries.reshape(-1, FIELDS)
            ranks = np.array([self._order[row.source] for row in held], dtype=np.int64)
            ranks = np.repeat(ranks, [row.chunks for row in held])
            tf = entries[:, 3].astype(np.int64)
            length = entries[:, 2].astype(np.float64)
            norm = tf + k1 * (1 - b + b * length / self.avg_length)
            parts.append(self.idf(term) * (tf * (k1 + 1) / norm))
            keys.append(ranks * (1 << 32) + entries[:, 0].astype(np.int64))
            ends.append(entries[:, 1])
        if not parts:
            return []
        every = np.concatenate(keys)
        found, first, where = np.unique(every, return_index=True, return_inverse=True)
        # summed in input order (term by term, as BM25.top), so the sums are equal bit for bit
        scores = np.bincount(where, weights=np.concatenate(parts), minlength=len(found))
        keep = np.flatnonzero(scores > 0)
        order = keep[np.lexsort((found[keep], -scores[keep]))][:k]
        sources = sorted(self._order)
        every_end = np.concatenate(ends)
        out = []
        for i in order.tolist():
            source = sources[int(found[i]) >> 32]
            start, end = int(found[i]) & 0xFFFFFFFF, int(every_end[first[i]])
            out.append((span_id(source, self._digest[source], start, end), float(scores[i])))
        return out

    def _count(self, asked: Sequence[str], rows: Sequence[Row]) -> None:
        counts = dict.fromkeys(asked, 0)
        for row in rows:
            counts[row.term] += row.chunks
        with self._lock:
            self._df.update(counts)
