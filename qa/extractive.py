"""The extractive answerer: pick the source sentences that answer, or decline."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index import StoredChunk
from qa.answer import Answer, Citation
from qa.lexical import BM25, STOPWORDS, stem, terms, words

DECLINE_TEXT = "The documents don't say: no indexed passage answers this question."
MAX_ANSWER_CHARS = 350


@dataclass(frozen=True)
class Weights:
    """How sentence features add up, and where the decline threshold sits (calibrated)."""

    dense: float = 1.0
    lexical: float = 0.6
    context: float = 0.25
    rank: float = 0.1
    answer_type: float = 0.15
    repeat: float = 0.6
    second_margin: float = 0.12
    # logistic support model for the best sentence
    bias: float = -6.0
    w_dense: float = 6.0
    w_lexical: float = 2.5
    w_key: float = 3.0
    w_unknown: float = -3.0
    w_type: float = 1.0
    threshold: float = 0.5


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, with its features."""

    source: str
    start: int
    end: int
    text: str
    context: str
    rank: int
    dense: float = 0.0
    lexical: float = 0.0
    context_lexical: float = 0.0
    type_ok: float = 1.0
    repeated: bool = False
    score: float = 0.0


# What a question asks for, and what evidence of that looks like.
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_TIME_EVIDENCE = re.compile(
    rf"\b(\d{{3,4}}s?|\d{{1,2}}(st|nd|rd|th)|{_MONTHS}|centur(y|ies)|decades?|years?|"
    r"today|yesterday|tomorrow|morning|evening|night|weeks?|months?|days?|hours?|minutes?|"
    r"spring|summer|autumn|winter|era|period|age|bc|ad|bce|ce|since|until|before|after|during|"
    r"earlier|later|ago|recently|currently|now|then|once)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|"
    "several|few|many|most|some|all|tens|percent|per cent|majority|minority|single|double|twice|"
    "once|both|none|no"
)
_QUANTITY_EVIDENCE = re.compile(rf"(\d|%|\b({_NUMBER_WORDS})\b)", re.IGNORECASE)
_TIME_QUESTION = re.compile(
    r"^\s*(when\b|since when|until when|(in |by |from )?(what|which) (year|date|day|month|"
    r"time|century|decade|period|era)s?\b|how long ago)",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|far|old|big|large|tall|high|fast|often|deep|wide|heavy)|"
    r"(what|which) (percentage|percent|proportion|share|fraction|number|amount|size|population|"
    r"portion|part|distance|length|height|weight|speed|rate|price|cost|temperature|ratio)s?)\b",
    re.IGNORECASE,
)
_NAME_QUESTION = re.compile(
    r"^\s*(who|whom|whose|where|(which|what) (person|people|man|woman|leader|leaders|country|"
    r"countries|city|cities|state|nation|place|organization|company|team|group|president))\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")


def answer_type_ok(question: str, sentence: str) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for (or it can't tell)."""
    if _TIME_QUESTION.search(question):
        return 1.0 if _TIME_EVIDENCE.search(sentence) else 0.0
    if _QUANTITY_QUESTION.search(question):
        return 1.0 if _QUANTITY_EVIDENCE.search(sentence) else 0.0
    if _NAME_QUESTION.search(question):
        asked = {w.lower() for w in words(question)}
        names = [m.group(0) for m in re.finditer(r"\b[A-Z][\w’'-]+", sentence)]
        return 1.0 if any(name.lower() not in asked for name in names[1:] or names) else 0.0
    return 1.0


def key_terms(question: str, bm25: BM25) -> dict[str, float]:
    """The question's content terms with their weights (rarer words weigh more)."""
    out: dict[str, float] = {}
    for term in terms(question):
        out[term] = max(out.get(term, 0.0), bm25.idf(term))
    return out


def coverage(weights: dict[str, float], text_terms: set[str]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_terms) / total


def unknown_names(question: str, bm25: BM25) -> float:
    """Share of the question's names and numbers that occur nowhere in the corpus."""
    names = [
        stem(w.lower())
        for w in re.findall(r"\b(?:[A-Z][\w'’-]*|\d[\d,.]*)", question)
        if w.lower() not in STOPWORDS
    ]
    names = [n for i, n in enumerate(names) if i > 0 or not question.strip().startswith(n)]
    names = [n for n in names if n not in STOPWORDS]
    if not names:
        return 0.0
    return sum(1 for n in names if not bm25.knows(n)) / len(names)


def candidates(hits: Sequence[tuple[StoredChunk, float, float]]) -> list[Candidate]:
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, (chunk, _fused, _sim) in enumerate(hits):
        previous = ""
        for start, end in chunk.sentences:
            text = chunk.text[start - chunk.start : end - chunk.start]
            if (chunk.source, start) not in seen and text.strip():
                seen.add((chunk.source, start))
                out.append(Candidate(chunk.source, start, end, text, chunk.text, rank))
            previous = text
        del previous
    return out


def score_candidates(
    question: str,
    query: str,
    found: list[Candidate],
    question_vector: NDArray[np.float32],
    query_vector: NDArray[np.float32] | None,
    sentence_vectors: NDArray[np.float32],
    bm25: BM25,
    previous_answers: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Candidate]:
    """Score every candidate sentence for the question; best first."""
    asked = key_terms(query, bm25)
    dense_q = sentence_vectors @ question_vector
    if query_vector is not None:
        dense_q = np.maximum(dense_q, 0.5 * (dense_q + sentence_vectors @ query_vector))
    scored = []
    for cand, dense in zip(found, dense_q, strict=True):
        sentence_terms = set(terms(cand.text))
        lexical = coverage(asked, sentence_terms)
        context_lexical = coverage(asked, set(terms(cand.context)))
        type_ok = answer_type_ok(question, cand.text)
        repeated = any(cand.text.strip() in answer for answer in previous_answers)
        novel = bool(sentence_terms - set(asked))
        score = (
            weights.dense * float(dense)
            + weights.lexical * lexical
            + weights.context * context_lexical
            + weights.rank / (1 + cand.rank)
            + weights.answer_type * type_ok
            - weights.repeat * repeated
            - (0.0 if novel else 0.3)
        )
        scored.append(
            Candidate(
                **{
                    **cand.__dict__,
                    "dense": float(dense),
                    "lexical": lexical,
                    "context_lexical": context_lexical,
                    "type_ok": type_ok,
                    "repeated": repeated,
                    "score": score,
                }
            )
        )
    return sorted(scored, key=lambda c: -c.score)


def support(best: Candidate, unknown: float, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Probability-like confidence that the best sentence answers the question."""
    z = (
        weights.bias
        + weights.w_dense * best.dense
        + weights.w_lexical * best.lexical
        + weights.w_key * best.context_lexical
        + weights.w_unknown * unknown
        + weights.w_type * best.type_ok
    )
    return 1.0 / (1.0 + math.exp(-z))


def choose(ranked: list[Candidate], weights: Weights = DEFAULT_WEIGHTS) -> list[Candidate]:
    """The best sentence, and a close runner-up when both fit in a short answer."""
    if not ranked:
        return []
    chosen = [ranked[0]]
    for other in ranked[1:3]:
        if other.score < ranked[0].score - weights.second_margin or other.repeated:
            break
        if len(ranked[0].text) + len(other.text) <= MAX_ANSWER_CHARS:
            chosen.append(other)
            break
    return sorted(chosen, key=lambda c: (c.source, c.start))


def compose(chosen: list[Candidate], confidence: float) -> tuple[str, tuple[Citation, ...]]:
    """Join sentences into an answer with [n] markers and build the citations."""
    parts, citations = [], []
    for n, cand in enumerate(chosen, start=1):
        text = cand.text.strip()
        if text[-1:] in ".!?" and not text.endswith("..."):
            parts.append(f"{text[:-1]} [{n}]{text[-1]}")
        else:
            parts.append(f"{text} [{n}]")
        citations.append(
            Citation(n, cand.text, cand.source, cand.start, cand.end, round(confidence, 4))
        )
    return " ".join(parts), tuple(citations)


def decline(question: str, search_query: str = "") -> Answer:
    return Answer(
        text=DECLINE_TEXT,
        citations=(),
        answered=False,
        question=question,
        search_query=search_query or question,
    )
