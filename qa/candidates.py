"""The candidate sentences of the retrieved chunks, with their neighbours and vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from index import StoredChunk
from index.chunking import searchable
from index.vectors import windows

# The sentence features, in the order of Candidate.features (see qa.reading.features).
FEATURES = (
    "dense",  # cosine of question and sentence
    "lexical",  # share of the question's weighted terms found in the sentence
    "context",  # share of the question's weighted terms found in the sentence's chunk
    "rank",  # 1 / (1 + rank of the chunk in hybrid retrieval)
    "type_ok",  # the sentence holds what the question asks for (a date, a number, a name)
    "repeated",  # the sentence was already given in an earlier answer
    "novel",  # the sentence says something the question does not
    "short",  # the sentence is under 40 characters
    "soft",  # like lexical, but a question word also counts by its nearest sentence word
    "soft_context",  # soft coverage of the question by the whole chunk
    "dense_window",  # cosine of question and the sentence read with the one before it
    "named_focus",  # what the question asks about stands next to a name: "President Joe Biden"
    "type_near",  # the sentence or a neighbour holds what the question asks for
    "list_missing",  # the question asks for several names ("which territories") and it has none
    "no_new_name",  # the question asks for a name or thing and the sentence names nothing new
)


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, with its features and score."""

    source: str
    start: int
    end: int
    text: str
    context: str
    rank: int
    previous: str = ""
    following: str = ""
    features: tuple[float, ...] = ()
    score: float = 0.0
    vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    window_vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    # the sentence's clauses: (start, end) offsets in text and how much of the question each
    # holds, so a long sentence can be cut to its part that answers (see trimmed)
    clauses: tuple[tuple[int, int, float], ...] = field(default=(), compare=False, repr=False)
    # the cross-encoder's logit that the sentence (read with the one before it) answers the
    # question: only the best few candidates are read (see Ranking.judged)
    cross: float | None = field(default=None, compare=False)

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]


def candidates(hits: Sequence[tuple[StoredChunk, float, float]]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once, tagged with its chunk's rank, with its
    vector and its window's (see window) when the chunk was stored with its sentence vectors."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, (chunk, _fused, _sim) in enumerate(hits):
        spans = [(s, e, chunk.text[s - chunk.start : e - chunk.start]) for s, e in chunk.sentences]
        stored = chunk.sentence_vectors()
        context = searchable(chunk)  # the chunk with its section headings
        read = windows(stored) if stored is not None else None
        for i, (start, end, text) in enumerate(spans):
            if (chunk.source, start) in seen or not text.strip():
                continue
            seen.add((chunk.source, start))
            previous = spans[i - 1][2] if i else ""
            following = spans[i + 1][2] if i + 1 < len(spans) else ""
            vectors = (stored[i], read[i]) if stored is not None and read is not None else None
            out.append(
                Candidate(
                    chunk.source, start, end, text, context, rank, previous, following,
                    vector=vectors[0] if vectors else None,
                    window_vector=vectors[1] if vectors else None,
                )
            )  # fmt: skip
    return out


def window(candidate: Candidate) -> str:
    """The sentence with the one before it, so "He said ..." keeps who "he" is."""
    return f"{candidate.previous} {candidate.text}".strip()


def neighbourhood(candidate: Candidate) -> str:
    """The sentence with the ones before and after it in its chunk."""
    return f"{candidate.previous} {candidate.text} {candidate.following}".strip()
