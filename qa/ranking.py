"""Scoring the candidate sentences of a question: the Ranking, best first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from qa.candidates import FEATURES, Candidate, window
from qa.choosing import _TRIMMABLE, clause_scores
from qa.lexical import Lexicon
from qa.reading.cross import PairReader, question_text
from qa.reading.features import sentence_features, support_features
from qa.reading.model import Reader, load_reader
from qa.reading.question import key_terms
from qa.reading.soft_match import WordEmbedder, WordMatch
from qa.reading.veto import kind_missing

JUDGED = 4  # candidates the cross-encoder reads per question


def score_candidates(
    question: str,
    query: str,
    found: list[Candidate],
    question_vector: NDArray[np.float32],
    sentence_vectors: NDArray[np.float32],
    window_vectors: NDArray[np.float32],
    bm25: Lexicon,
    embed_words: WordEmbedder,
    previous_answers: Sequence[str] = (),
    reader: Reader | None = None,
    drop_repeated: bool = True,
) -> Ranking:
    """Score every candidate sentence for the question; best first. Sentences of
    ``previous_answers`` score lower, and are dropped when ``drop_repeated`` and others remain."""
    asked = key_terms(question, bm25)
    matcher = WordMatch(question, [c.context for c in found], embed_words, bm25)
    if not found:
        return Ranking(question, query, (), matcher, bm25)
    dense = sentence_vectors @ question_vector
    dense_window = window_vectors @ question_vector
    w = ranker_vector((reader or load_reader()).ranker)
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
    fresh = [c for c in scored if not (drop_repeated and c.feature("repeated"))] or scored
    return Ranking(question, query, tuple(sorted(fresh, key=lambda c: -c.score)), matcher, bm25)


def ranker_vector(ranker: Sequence[tuple[str, float]]) -> NDArray[np.float64]:
    """The sentence-score weights in the order of a candidate's FEATURES, looked up by name."""
    weights = dict(ranker)
    return np.array([weights[name] for name in FEATURES])


@dataclass(frozen=True)
class Ranking:
    """The candidate sentences for one question, best first, and what scored them."""

    question: str
    query: str
    ranked: tuple[Candidate, ...]
    matcher: WordMatch
    bm25: Lexicon

    def __post_init__(self) -> None:
        # the sentences an answer can be cut from (see with_trimmed_runner_up) get their clauses
        asked = self.matcher.asked
        top = [
            c if c.clauses else replace(c, clauses=clause_scores(self.question, c.text, asked))
            for c in self.ranked[:_TRIMMABLE]
        ]
        object.__setattr__(self, "ranked", (*top, *self.ranked[_TRIMMABLE:]))

    def reweighted(self, ranker: Sequence[tuple[str, float]]) -> Ranking:
        w = ranker_vector(ranker)
        rescored = [replace(c, score=float(np.dot(w, c.features))) for c in self.ranked]
        return replace(self, ranked=tuple(sorted(rescored, key=lambda c: -c.score)))

    def restricted(self, keep: Callable[[Candidate], bool]) -> Ranking:
        """Only the candidates keep accepts, unless it accepts none."""
        kept = tuple(c for c in self.ranked if keep(c))
        return replace(self, ranked=kept) if kept else self

    def judged(self, read: PairReader, count: int = JUDGED) -> Ranking:
        """The ranking with its best ``count`` candidates read by the cross-encoder; none are
        read when no passage holds the kind of answer asked for (the answer is a decline)."""
        todo = [c for c in self.ranked[:count] if c.cross is None]
        if not todo or self.kind_missing():
            return self
        scores = read([(question_text(self.question), window(c)) for c in todo])
        done = {id(c): float(s) for c, s in zip(todo, scores, strict=True)}
        ranked = tuple(replace(c, cross=done[id(c)]) if id(c) in done else c for c in self.ranked)
        return replace(self, ranked=ranked)

    def kind_missing(self) -> bool:
        """No passage read holds the kind of answer asked, of a kind that decides alone."""
        passages = list(dict.fromkeys(c.context for c in self.ranked))
        return kind_missing(self.question, passages, self.matcher)

    def support_features(self) -> tuple[float, ...]:
        return support_features(list(self.ranked), self.question, self.bm25, self.matcher)
