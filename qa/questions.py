"""What a question and its history must be before they are answered: clean, bounded text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.conversation import normalise_history
from qa.errors import QuestionError

_CONTROL = {c: " " for c in range(32) if chr(c) not in "\t\n"}
# terminal escape sequences (colours, window titles) pasted with a question
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# a letter or digit, in any script: a question without one has nothing to search for
_WORD = re.compile(r"[^\W_]")


def valid_text(text: str) -> str:
    """Text that can be encoded: a lone surrogate (JSON allows them) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def check_question(question: object, limit: int) -> str:
    """The question, cleaned of terminal escapes and control characters; QuestionError when
    it is not text, empty, holds no word (only punctuation or symbols), or is longer than
    ``limit`` characters."""
    if not isinstance(question, str):
        raise QuestionError("The question must be text")
    cleaned = _ESCAPES.sub(" ", valid_text(question)).translate(_CONTROL).strip()
    if not cleaned:
        raise QuestionError("The question is empty: type a question about the documents")
    if not _WORD.search(cleaned):
        raise QuestionError(
            "The question has no word to search for: type a question about the documents"
        )
    if len(cleaned) > limit:
        raise QuestionError(
            f"The question is too long ({len(cleaned)} characters; the limit is {limit})"
        )
    return cleaned


def check_turn(
    question: object, history: Sequence[tuple[str, str]], limit: int
) -> tuple[str, list[tuple[str, str]]]:
    """The checked question and history; QuestionError when either is unusable."""
    cleaned = check_question(question, limit)
    try:
        turns = normalise_history(history)
    except TypeError as exc:
        raise QuestionError(str(exc)) from None
    return cleaned, [(valid_text(q), valid_text(a)) for q, a in turns]
