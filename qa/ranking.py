"""Scoring the candidate sentences of a question: the Ranking, best first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from qa.candidates import Candidate
from qa.choosing import _TRIMMABLE, clause_scores
from qa.lexical import BM25
from qa.reading.features import sentence_features, support_features
from qa.reading.question import key_terms
from qa.reading.soft_match import WordEmbedder, WordMatch
from qa.reading.weights import DEFAULT_WEIGHTS, Weights


def score_candidates(
    question: str,
    query: str,
    found: list[Candidate],
    question_vector: NDArray[np.float32],
    sentence_vectors: NDArray[np.float32],
    window_vectors: NDArray[np.float32],
    bm25: BM25,
    embed_words: WordEmbedder,
    previous_answers: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> Ranking:
    """Score every candidate sentence for the question; best first."""
    asked = key_terms(question, bm25)
    matcher = WordMatch(question, [c.context for c in found], embed_words, bm25)
    if not found:
        return Ranking(question, query, (), matcher, bm25)
    dense = sentence_vectors @ question_vector
    dense_window = window_vectors @ question_vector
    w = np.asarray(weights.sentence)
    context_soft: dict[str, float] = {}
    scored = []
    for i, cand in enumerate(found):
        if cand.context not in context_soft:
            context_soft[cand.context] = matcher.coverage(cand.context)[0]
        repeated = any(cand.text.strip() in answer for answer in previous_answers)
        features = sentence_features(
            question, cand, float(dense[i]), float(dense_window[i]), repeated, asked, matcher,
            context_soft[cand.context],
        )  # fmt: skip
        scored.append(replace(cand, features=features, score=float(np.dot(w, features))))
    fresh = [c for c in scored if not c.feature("repeated")] or scored
    return Ranking(question, query, tuple(sorted(fresh, key=lambda c: -c.score)), matcher, bm25)


@dataclass(frozen=True)
class Ranking:
    """The candidate sentences for one question, best first, and what scored them."""

    question: str
    query: str
    ranked: tuple[Candidate, ...]
    matcher: WordMatch
    bm25: BM25

    def __post_init__(self) -> None:
        # the sentences an answer can be cut from (see with_trimmed_runner_up) get their clauses
        asked = self.matcher.asked
        top = [
            c if c.clauses else replace(c, clauses=clause_scores(self.question, c.text, asked))
            for c in self.ranked[:_TRIMMABLE]
        ]
        object.__setattr__(self, "ranked", (*top, *self.ranked[_TRIMMABLE:]))

    def reweighted(self, weights: Weights) -> Ranking:
        w = np.asarray(weights.sentence)
        rescored = [replace(c, score=float(np.dot(w, c.features))) for c in self.ranked]
        return replace(self, ranked=tuple(sorted(rescored, key=lambda c: -c.score)))

    def restricted(self, keep: Callable[[Candidate], bool]) -> Ranking:
        """Only the candidates keep accepts, unless it accepts none."""
        kept = tuple(c for c in self.ranked if keep(c))
        return replace(self, ranked=kept) if kept else self

    def support_features(self) -> tuple[float, ...]:
        return support_features(list(self.ranked), self.question, self.bm25, self.matcher)
