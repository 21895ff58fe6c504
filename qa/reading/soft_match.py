"""Soft matching of question words to text words through their word embeddings."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from qa.lexical import STOPWORDS, Lexicon, stem, words
from qa.reading.question import focus_terms, key_terms


class WordMatch:
    """Soft matching of question words to text words through their embeddings.

    A question word found in the text (same stem) counts 1; otherwise it counts its cosine
    with the nearest text word, so "Paris" partly matches "France" and "GDP" matches nothing.
    """

    def __init__(
        self, question: str, texts: Sequence[str], embed_words: WordEmbedder, bm25: Lexicon
    ):
        self.asked = key_terms(question, bm25)
        self._matched: dict[str, NDArray[np.float32]] = {}  # text -> matches(text)
        pairs = [(stem(w), w) for w in words(question) if w not in STOPWORDS]
        surface: dict[str, str] = {}
        for term, word in pairs:
            surface.setdefault(term, word)
        self.terms = list(self.asked)
        self._weights = np.array([self.asked[t] for t in self.terms])
        vocabulary = sorted({w for text in texts for w in words(text) if w not in STOPWORDS})
        self.column = {w: i for i, w in enumerate(vocabulary)}
        if self.terms and vocabulary:
            q = embed_words([surface.get(t, t) for t in self.terms])
            v = embed_words(vocabulary)
            self.similarity = np.clip(q @ v.T, 0.0, 1.0)
        else:
            self.similarity = np.zeros((len(self.terms), len(vocabulary)), dtype=np.float32)

    def matches(self, text: str) -> NDArray[np.float32]:
        """Per question term: 1 if its stem is in text, else its best cosine with a text word."""
        if text not in self._matched:
            self._matched[text] = self._match(text)
        return self._matched[text]

    def _match(self, text: str) -> NDArray[np.float32]:
        present = [w for w in words(text) if w in self.column]
        stems = {stem(w) for w in present}
        if not self.terms:
            return np.zeros(0, dtype=np.float32)
        if present:
            best = self.similarity[:, [self.column[w] for w in present]].max(axis=1)
        else:
            best = np.zeros(len(self.terms), dtype=np.float32)
        exact = np.array([t in stems for t in self.terms], dtype=np.float32)
        return np.asarray(np.maximum(best, exact), dtype=np.float32)

    def aliased(self, term: str, close: float = 0.6) -> bool:
        """A retrieved word names what term names, spelt alike: "French" for "France",
        "Ukrainian" for "Ukraine" (same first two letters, and close vectors)."""
        if term not in self.terms or term[:1].isdigit():
            return False
        row = self.similarity[self.terms.index(term)]
        return any(w[:2] == term[:2] and row[i] >= close for w, i in self.column.items())

    def focus(self, question: str, text: str) -> float:
        """The weakest match, in text, of the terms naming what the question asks about."""
        wanted = [self.terms.index(t) for t in focus_terms(question) if t in self.terms]
        if not wanted:
            return 1.0
        return float(self.matches(text)[wanted].min())

    def coverage(self, text: str) -> tuple[float, float]:
        """(idf-weighted soft coverage, weakest single match) of the question by text."""
        if not self.terms:
            return 0.0, 0.0
        match = self.matches(text)
        return float(match @ self._weights / self._weights.sum()), float(match.min())


WordEmbedder = Callable[[list[str]], "NDArray[np.float32]"]
