"""The answer and citation objects every surface renders."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MARKER = re.compile(r"\s*\[(\d+)\]")  # an answer's citation marker " [n]"


def strip_markers(text: str) -> str:
    """The text without its [n] markers."""
    return MARKER.sub("", text)


@dataclass(frozen=True)
class Citation:
    """A verbatim passage: ``source_text[start:end] == text``, shown as marker ``[n]``."""

    n: int
    text: str
    source: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def footnote(self) -> str:
        """The citation as a line of plain text: ``[1] article.txt, chars 743-889: "..."``."""
        return f'[{self.n}] {self.source}, chars {self.start}-{self.end}: "{self.text}"'


@dataclass(frozen=True)
class Answer:
    """What the assistant says to one question, and the passages it rests on.

    ``answered`` is False when the documents do not answer the question; the text then says
    so and there are no citations. ``unsupported`` holds the character spans of ``text``
    that no cited passage supports (generative answers only; they are shown flagged).
    """

    text: str
    citations: tuple[Citation, ...] = ()
    answered: bool = True
    question: str = ""
    search_query: str = ""
    backend: str = "extractive"
    notes: tuple[str, ...] = field(default=())
    unsupported: tuple[tuple[int, int], ...] = ()  # (start, end) in text of unchecked claims

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by `qa ask --json`, `qa batch` and the HTTP API."""
        return {
            "answer": self.text,
            "answered": self.answered,
            "citations": [citation.to_dict() for citation in self.citations],
            "question": self.question,
            "search_query": self.search_query,
            "backend": self.backend,
            "notes": list(self.notes),
            "unsupported": [list(span) for span in self.unsupported],
        }
