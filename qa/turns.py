"""The conversation step: a turn read alone or resolved, whichever the answers judge trusts
more, or continued with the passages on its topic not quoted yet.

Every surface reaches it through ``Pipeline.answer`` (and ``Pipeline.rank``): the chat page,
the HTTP and OpenAI routes, Slack threads, ``qa chat`` and the LangChain runnable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from qa.answer import Answer, strip_markers
from qa.conversation import CONTINUATION, STANDALONE, Turn, read_turn
from qa.lexical import terms

if TYPE_CHECKING:
    from index import Embedder
    from index.library import Library
    from qa.candidates import Candidate
    from qa.ranking import Ranking

History = Sequence[tuple[str, str]]
NOTHING_MORE = (
    "The documents don't say anything more on this: every passage about it has been quoted."
)
MORE_SENTENCES = 2  # sentences a continuation quotes at most
ADJACENT = 400  # characters after the last quote searched for what comes next
# A follow-up's resolved reading answers when the judge is SURE of it, or when its best
# passage holds OWN_WORDS of what the follow-up asks in its own words: the conversation lends
# a follow-up its subject, never what it asks. Fitted on tests/eval/conversation-article-fit.
SURE = 0.6
OWN_WORDS = 0.55


class Pipeline(Protocol):
    """What the step asks of the answer pipeline (qa.pipeline.Pipeline)."""

    library: Library
    embedder: Embedder

    def rank_readings(
        self,
        readings: Sequence[str],
        previous_answers: Sequence[str] = (),
        drop_repeated: bool = True,
        searched: str = "",
    ) -> list[Ranking]: ...


@dataclass(frozen=True)
class Reading:
    """The reading of a turn that was kept, its ranking and how much the judge trusts it."""

    turn: Turn
    ranking: Ranking
    trust: float  # the answers judge's probability that the ranking answers
    resume: tuple[str, int] | None = None  # a continuation: the source and end of the last quote


def trust(ranking: Ranking) -> float:
    """The answers judge's probability that the best passages answer the ranking's question."""
    from qa.reading.answers import answer_features
    from qa.reading.model import load_reader

    if not ranking.ranked:
        return 0.0
    return load_reader().answers.probability(answer_features(ranking))


def read(pipeline: Pipeline, question: str, history: History) -> Reading:
    """The turn's reading to answer: the question alone when it stands alone; for a
    follow-up, the resolved reading the judge trusts most when it trusts one enough, else
    the question alone when it trusts that, else the best resolved one (to decline on)."""
    from qa.reading.model import load_reader

    turn = read_turn(question, history)
    if turn.kind == CONTINUATION:
        topic = turn.topic or question
        ranking = pipeline.rank_readings([topic])[0]
        resume = _last_quote(ranking, history)
        if resume:  # search for the topic and what comes after its last quote, together
            source, end = resume
            following = pipeline.library.source_text(source)[end : end + ADJACENT].strip()
            ranking = pipeline.rank_readings([topic], searched=f"{topic} {following}")[0]
        return Reading(turn, ranking, 0.0, resume)
    # a sentence the conversation already quoted scores lower ("How did they react?" is not
    # answered by the call again), and "What else ...?" drops them; other follow-ups may
    # still be answered by one ("How did he tell him?": the sentence that said whom he called)
    said = [a for _q, a in history]
    alone: list[Ranking] = []
    if not turn.points_back:  # a short question may stand alone: the judge says first
        # ranked as if asked alone, so that kept, it is answered as if asked alone
        alone = pipeline.rank_readings(turn.readings[:1], said if turn.wants_new else ())
        sure = trust(alone[0])
        if len(turn.readings) == 1 or sure >= SURE:
            return Reading(turn, alone[0], sure)
    rankings = alone + pipeline.rank_readings(
        turn.readings[len(alone) :], said, drop_repeated=turn.wants_new
    )
    trusted = [trust(r) for r in rankings]
    if len(rankings) == 1:  # nothing in the conversation to resolve it with
        return Reading(turn, rankings[0], trusted[0])
    threshold = load_reader().answers.threshold
    best = max(range(1, len(rankings)), key=lambda i: trusted[i])
    if trusted[best] < threshold and trusted[0] >= threshold:
        return Reading(turn, rankings[0], trusted[0])
    if trusted[best] < SURE and own_words(pipeline, question, rankings[best]) < OWN_WORDS:
        return Reading(turn, replace(rankings[best], ranked=()), 0.0)  # nothing answers
    return Reading(turn, rankings[best], trusted[best])


def own_words(pipeline: Pipeline, question: str, ranking: Ranking) -> float:
    """How much of what a follow-up asks in its own words ("How old is he?": "old") the
    best passage of its resolved reading holds, softly (a word or its nearest neighbour)."""
    from qa.candidates import neighbourhood
    from qa.reading.soft_match import WordMatch

    if not ranking.ranked:
        return 0.0
    text = neighbourhood(ranking.ranked[0])
    match = WordMatch(question, [text], pipeline.embedder.words.vectors, ranking.bm25)
    return match.coverage(text)[0] if match.terms else 1.0


def answer_turn(pipeline: Pipeline, question: str, history: History) -> Answer:
    """The answer to a turn of a conversation (see read and continued)."""
    from qa.extractive import extract

    turn = read_turn(question, history)
    if turn.kind == STANDALONE:  # as if asked alone, at the cost of a question alone
        return extract(question, pipeline.rank_readings([question])[0])
    if turn.kind == CONTINUATION and not turn.topic:  # the last turn was declined
        return Answer(NOTHING_MORE, (), False, question, question)
    reading = read(pipeline, question, history)
    if reading.turn.kind == CONTINUATION:
        return continued(question, reading, history)
    return extract(question, reading.ranking)


def continued(question: str, reading: Reading, history: History) -> Answer:
    """ "Tell me more": the best passages on the last answered turn's topic that no answer
    quoted yet, the sentences next to the quoted ones first; or plainly, nothing more."""
    from qa.choosing import MAX_ANSWER_CHARS
    from qa.extractive import compose

    turn, ranking = reading.turn, reading.ranking
    said = [strip_markers(a) for _q, a in history]
    if not turn.topic:
        return Answer(NOTHING_MORE, (), False, question, question)
    topic = set(terms(f"{turn.topic} {turn.topic_answer}"))
    unquoted = [c for c in ranking.ranked if not _quoted(c, said)]
    following = _next(reading.resume, unquoted)
    fresh = [c for c in unquoted if c is following or topic & set(terms(c.text))]
    if not fresh:
        return Answer(NOTHING_MORE, (), False, question, turn.topic)
    # the document goes on where the last quote left off, then the best on the topic
    fresh.sort(key=lambda c: (c is not following, -c.score))
    chosen: list[Candidate] = []
    length = 0
    for cand in fresh[:MORE_SENTENCES]:
        if chosen and length + len(cand.text) + 5 > MAX_ANSWER_CHARS:
            break
        chosen.append(cand)
        length += len(cand.text) + 5
    text, citations = compose(sorted(chosen, key=lambda c: (c.source, c.start)), 1.0)
    return Answer(text, citations, True, question, turn.topic)


def _last_quote(ranking: Ranking, history: History) -> tuple[str, int] | None:
    """Where the last answer's last quoted sentence ends: its source and offset."""
    quoted = [c for c in ranking.ranked if _quoted(c, [strip_markers(history[-1][1])])]
    if not quoted:
        return None
    last = max(quoted, key=lambda c: c.end)
    return last.source, last.end


def _next(resume: tuple[str, int] | None, others: Sequence[Candidate]) -> Candidate | None:
    """The retrieved sentence that comes right after the last quote, if any."""
    if resume is None:
        return None
    source, end = resume
    after = [c for c in others if c.source == source and 0 <= c.start - end <= ADJACENT]
    return min(after, key=lambda c: c.start) if after else None


def _quoted(candidate: Candidate, said: Sequence[str]) -> bool:
    text = strip_markers(candidate.text.strip())
    return any(text in answer for answer in said)
