"""Turn a follow-up question and the conversation so far into a standalone search query."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer import strip_markers
from qa.lexical import terms

History = Sequence[tuple[str, str]]

_DEPENDENT = re.compile(
    r"\b(he|she|they|it|him|her|them|his|hers|their|theirs|its|this|that|these|those|there|"
    r"then|the same|the other|such|former|latter|why|what about|how about|and)\b",
    re.IGNORECASE,
)


def normalise_history(history: object) -> list[tuple[str, str]]:
    """Accept [(q, a), ...] or [[q, a], ...] (as JSON gives) and drop empty turns."""
    pairs: list[tuple[str, str]] = []
    if not history:
        return pairs
    if not isinstance(history, list | tuple):
        raise TypeError("history must be a list of (question, answer) pairs")
    for turn in history:
        if not isinstance(turn, list | tuple) or len(turn) != 2:
            raise TypeError("history must be a list of (question, answer) pairs")
        question, answer = (str(part or "") for part in turn)
        if question.strip():
            pairs.append((question, answer))
    return pairs


def is_follow_up(question: str, history: History) -> bool:
    """A question leans on the conversation when it points back or says too little alone."""
    if not history:
        return False
    return bool(_DEPENDENT.search(question)) or len(terms(question)) <= 2


_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|von\s+)?[A-Z][\w'’-]*)*")


def search_query(question: str, history: History) -> str:
    """The question, completed from the last turn when it is a follow-up.

    The last question is added whole (it says what the topic is) and the last answer only
    through its names (who or what "they" and "it" point at), so the search does not simply
    find the previous answer again.
    """
    if not is_follow_up(question, history):
        return question
    return " ".join([question, history[-1][0], *_names(question, history[-1][1])]).strip()


_POINTER = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|these|those)\b",
    re.IGNORECASE,
)


def referents(question: str, history: History) -> set[str]:
    """Stems of the names a pronoun in a follow-up can point at: the last answer's names."""
    if not history or not _POINTER.search(question):
        return set()
    return {t for name in _names(question, history[-1][1]) for t in terms(name)} - set(
        terms(question)
    )


def _names(question: str, answer: str) -> list[str]:
    """Capitalised names in answer, bar single words that only open a sentence ("Tens of")."""
    text = strip_markers(answer)
    names: list[str] = []
    for match in _NAME.finditer(text):
        name = match.group(0)
        opens_sentence = (
            not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".!?:"
        )
        if opens_sentence and " " not in name:
            continue
        if name.lower() not in question.lower() and name not in names and len(name) > 2:
            names.append(name)
    return names[:8]
