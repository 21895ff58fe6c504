"""The extractive answerer: pick the source sentences that answer, or decline."""

from __future__ import annotations

from qa.answer import Answer, Citation, strip_markers
from qa.candidates import Candidate
from qa.choosing import choose
from qa.language import language_notes
from qa.ranking import Ranking
from qa.reading.answers import answer_features
from qa.reading.model import Reader, load_reader

DECLINE_TEXT = "The documents don't say: no indexed passage answers this question."


def confidence(ranking: Ranking, reader: Reader | None = None) -> float:
    """How sure the reading model is that the best passage answers; 0.0 means decline."""
    if not ranking.ranked:
        return 0.0
    judge = (reader or load_reader()).answers
    p = judge.probability(answer_features(ranking))
    return p if p >= judge.threshold else 0.0


def compose(chosen: list[Candidate], confidence: float) -> tuple[str, tuple[Citation, ...]]:
    """Join sentences into an answer with [n] markers and build the citations."""
    parts, citations = [], []
    for n, cand in enumerate(chosen, start=1):
        text = strip_markers(cand.text.strip())  # a document's own "[9]" is not our marker
        if text[-1:] in ".!?" and not text.endswith("..."):
            parts.append(f"{text[:-1]} [{n}]{text[-1]}")
        else:
            parts.append(f"{text} [{n}]")
        citations.append(
            Citation(n, cand.text, cand.source, cand.start, cand.end, round(confidence, 4))
        )
    return " ".join(parts), tuple(citations)


def decline(question: str, search_query: str = "", ranking: Ranking | None = None) -> Answer:
    """The decline, with a note when the question is not in the language of the passages
    ``ranking`` found for it."""
    return Answer(
        text=DECLINE_TEXT,
        citations=(),
        answered=False,
        question=question,
        search_query=search_query or question,
        notes=language_notes(question, [c.context for c in ranking.ranked], ranking.bm25)
        if ranking
        else (),
    )


def extract(question: str, ranking: Ranking) -> Answer:
    """The best sentences as a cited answer, or a decline when the evidence is too weak."""
    sure = confidence(ranking)
    if not sure:
        return decline(question, ranking.query, ranking)
    text, citations = compose(choose(ranking.ranked), sure)
    return Answer(text, citations, True, question, ranking.query, "extractive")
