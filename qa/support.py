"""Checking a generated answer against the passages it cites, sentence by sentence.

Whether a passage supports a claim (an answer sentence without its markers) is the reading
model's supports judge (qa/reading/model.py): the cross-encoder's reading of the pair, and
whether every name, number, date and negation of the claim is in the passage (qa/reading/claims.py),
weighed as benchmarks/fit_reading.py fitted them on claims made offline. A claim no passage
supports keeps no marker, and is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qa.answer import MARKER, strip_markers
from qa.lexical import terms
from qa.reading.claims import claim_features
from qa.reading.cross import PairReader, claim_text
from qa.reading.model import Reader, load_reader
from qa.reading.soft_match import WordEmbedder

Encoder = Callable[[list[str]], NDArray[np.float32]]

# A sentence ends at . ! or ? (with closing quotes and markers) before a space and a
# non-lowercase letter, or at the end of the text: "the U.S. and its allies" stays whole.
_END = re.compile(r"[.!?]+[\"'”’)]*(?:\s*\[\d+\])*(?=\s+[^a-z\s]|\s*$)")


@dataclass(frozen=True)
class Passage:
    """One retrieved passage shown to the model as ``[n]``: a verbatim slice of a source."""

    n: int
    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Checked:
    """One answer sentence after checking: the markers it keeps, and its best support."""

    text: str  # the sentence without markers
    markers: tuple[int, ...]  # passage numbers that support it (empty: unsupported or neutral)
    support: float
    neutral: bool = False  # says nothing checkable ("Sure."); kept without markers


def split_sentences(text: str) -> list[str]:
    """The answer's sentences, each with the markers that follow it."""
    out, at = [], 0
    for match in _END.finditer(text):
        piece = text[at : match.end()].strip()
        if piece:
            out.append(piece)
        at = match.end()
    rest = text[at:].strip()
    if rest:
        out.append(rest)
    return out


def markers(sentence: str) -> list[int]:
    return [int(n) for n in MARKER.findall(sentence)]


def strip(sentence: str) -> str:
    """The claim of an answer sentence: no markers, no space before its punctuation."""
    return re.sub(r"\s+([.!?,;:])", r"\1", strip_markers(sentence)).strip()


def drop_unknown_markers(text: str, count: int) -> str:
    """Remove markers that point at no passage (``[7]`` when there are 5)."""
    kept = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= count else "", text)
    return re.sub(r"(?<=[^\s\]])\[(?=\d+\])", " [", kept)


@dataclass(frozen=True)
class SupportCheck:
    """What checking needs: sentence vectors, word vectors and the cross-encoder."""

    encode: Encoder
    embed_words: WordEmbedder
    read_pairs: PairReader
    reader: Reader | None = None

    def matrix(self, claims: Sequence[str], passages: Sequence[str]) -> NDArray[np.float64]:
        """support[i, j]: the probability that passage j supports claim i (0 when vetoed)."""
        if not claims or not passages:
            return np.zeros((len(claims), len(passages)))
        judge = (self.reader or load_reader()).supports
        vectors = self.encode([*claims, *passages])
        cosine = vectors[: len(claims)] @ vectors[len(claims) :].T
        features = {
            (i, j): claim_features(claim, passage, self.embed_words, float(cosine[i, j]), 0.0)
            for i, claim in enumerate(claims)
            for j, passage in enumerate(passages)
        }
        # the cross-encoder reads only the pairs no decisive feature has already ruled out
        read = [key for key, f in features.items() if not judge.vetoed(f)]
        logits = self.read_pairs([(claim_text(claims[i]), passages[j]) for i, j in read])
        for key, logit in zip(read, logits, strict=True):
            features[key]["cross"] = float(logit)
        out = np.zeros((len(claims), len(passages)))
        for (i, j), f in features.items():
            out[i, j] = judge.probability(f)
        return out

    def threshold(self) -> float:
        return (self.reader or load_reader()).supports.threshold

    def check(self, answer: str, passages: Sequence[Passage]) -> list[Checked]:
        """Each sentence keeps the cited passages that support it; when none does, the best
        supporting passage takes their place; when no passage supports it, it keeps no marker."""
        sentences = split_sentences(answer)
        claims = [strip(s) for s in sentences]
        checkable = [i for i, c in enumerate(claims) if terms(c)]
        matrix = self.matrix([claims[i] for i in checkable], [p.text for p in passages])
        rows = dict(zip(checkable, matrix, strict=True))
        threshold = self.threshold()
        out = []
        for i, (sentence, claim) in enumerate(zip(sentences, claims, strict=True)):
            if i not in rows:
                out.append(Checked(claim, (), 0.0, neutral=True))
                continue
            row = rows[i]
            cited = [n for n in dict.fromkeys(markers(sentence)) if 1 <= n <= len(passages)]
            kept = [n for n in cited if row[n - 1] >= threshold]
            if not kept and len(row) and row.max() >= threshold:
                kept = [int(row.argmax()) + 1]
            best = max((row[n - 1] for n in kept), default=row.max() if len(row) else 0.0)
            out.append(Checked(claim, tuple(kept), float(best)))
        return out


def with_markers(sentence: str, numbers: Sequence[int]) -> str:
    """Markers placed before the sentence's closing punctuation, as the extractive answers do."""
    tags = "".join(f"[{n}]" for n in numbers)
    if not tags:
        return sentence
    body = sentence.rstrip()
    tail = ""
    while body and body[-1] in ".!?\"'”’)":
        tail = body[-1] + tail
        body = body[:-1]
    return f"{body} {tags}{tail}"
