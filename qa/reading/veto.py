"""The typed veto: no passage read holds the kind of answer the question asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.lexical import stem
from qa.reading.asked import Asked, asked_kind
from qa.reading.model import Reader, load_reader
from qa.reading.spans import held_anywhere

if TYPE_CHECKING:
    from qa.reading.soft_match import WordMatch


def kind_missing(
    question: str, passages: Sequence[str], matcher: WordMatch, reader: Reader | None = None
) -> bool:
    """The question asks for a kind of answer that decides alone (a count, a year) and no
    passage holds a span of that kind, bound to the counted noun where the reading model
    binds counts ("tens of thousands of troops" for "how many troops", or a word close to
    "troops" by word vectors): the documents don't say."""
    reader = reader or load_reader()
    asked = asked_kind(question)
    if asked.kind not in reader.decisive_kinds:
        return False
    term = stem(asked.noun) if asked.noun else ""
    if reader.bind is None or term not in matcher.terms:
        return not held_anywhere(Asked(asked.kind), passages)
    row = matcher.similarity[matcher.terms.index(term)]

    def related(word: str) -> float:
        column = matcher.column.get(word)
        return 0.0 if column is None else float(row[column])

    return not held_anywhere(asked, passages, related, reader.bind)
