"""Turn a follow-up question and the conversation so far into a standalone search query."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.lexical import terms

History = Sequence[tuple[str, str]]

_DEPENDENT = re.compile(
    r"\b(he|she|they|it|him|her|them|his|hers|their|theirs|its|this|that|these|those|there|"
    r"then|the same|the other|such|former|latter|why|what about|how about|and)\b",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\s*\[\d+\]")


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


def search_query(question: str, history: History) -> str:
    """The question, completed with the last turn's question and answer when it is a follow-up."""
    if not is_follow_up(question, history):
        return question
    last_question, last_answer = history[-1]
    answer = _MARKER.sub("", last_answer)
    return f"{question} {last_question} {answer[:300]}".strip()


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)
