"""The sources panel: each cited passage, quoted and highlighted inside its paragraph, as HTML."""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import escape

from qa import Answer, Citation, QAError

CONTEXT_CHARS = 450
MIN_CONTEXT_CHARS = 160
READ_AS_CHARS = 200
SourceText = Callable[[str], str]

EMPTY = '<div class="qa-sources-empty">Cited passages appear here, under each answer.</div>'


def paragraph_around(
    text: str, start: int, end: int, limit: int = CONTEXT_CHARS
) -> tuple[int, int]:
    """The (start, end) of the context for text[start:end]: its paragraph, widened by one
    paragraph either side when that alone says little, clipped to about ``limit``
    characters either side of the span at word boundaries."""
    lo, hi = _paragraph_start(text, start), _paragraph_end(text, end)
    if (start - lo) + (hi - end) < MIN_CONTEXT_CHARS:
        lo = _paragraph_start(text, max(lo - 2, 0))
        hi = _paragraph_end(text, min(hi + 2, len(text)))
    if start - lo > limit:
        cut = text.find(" ", start - limit, start)
        lo = cut + 1 if cut >= 0 else start - limit
    if hi - end > limit:
        cut = text.rfind(" ", end, end + limit)
        hi = cut if cut > end else end + limit
    return lo, hi


def _paragraph_start(text: str, at: int) -> int:
    before = text.rfind("\n\n", 0, at)
    return 0 if before < 0 else before + 2


def _paragraph_end(text: str, at: int) -> int:
    after = text.find("\n\n", at)
    return len(text) if after < 0 else after


def _context(citation: Citation, source_text: SourceText) -> str:
    """The paragraph around a citation with the quoted span in <mark>, all text escaped."""
    try:
        if isinstance(source_text, SourceTexts):
            text = source_text.for_citation(citation)
        else:
            text = source_text(citation.source)
    except QAError:  # the quote alone is still worth showing
        text = ""
    if text[citation.start : citation.end] != citation.text:
        return f"<mark>{escape(citation.text)}</mark>"
    lo, hi = paragraph_around(text, citation.start, citation.end)
    lead = "… " if lo > 0 and text[lo - 2 : lo] != "\n\n" else ""
    tail = " …" if hi < len(text) and text[hi : hi + 2] != "\n\n" else ""
    return (
        f"{lead}{escape(text[lo : citation.start])}"
        f"<mark>{escape(citation.text)}</mark>"
        f"{escape(text[citation.end : hi])}{tail}"
    )


def citation_id(turn: int, n: int) -> str:
    """The HTML id of passage card [n] under the answer of a conversation's turn: the
    answer's [n] marker links to it."""
    return f"qa-cite-{turn}-{n}"


def render_citation(citation: Citation, source_text: SourceText, turn: int = 0) -> str:
    return (
        f'<div class="qa-citation" id="{citation_id(turn, citation.n)}">'
        f'<div class="qa-citation-head"><span class="qa-citation-n">[{citation.n}]</span> '
        f'<span class="qa-citation-source">{escape(citation.source)}</span> '
        f'<span class="qa-citation-where">characters {citation.start}–{citation.end}</span></div>'
        f'<blockquote class="qa-citation-quote">{escape(citation.text)}</blockquote>'
        f'<div class="qa-citation-context-label">In context</div>'
        f'<p class="qa-citation-context">{_context(citation, source_text)}</p>'
        f"</div>"
    )


def render_sources(answer: Answer, source_text: SourceText, turn: int = 0) -> str:
    """The panel for one answer (of the conversation's ``turn``): its cited passages, or a
    notice when it was not answered."""
    question = escape(answer.question)
    if not answer.answered or not answer.citations:
        return (
            f'<div class="qa-sources qa-declined"><div class="qa-sources-title">'
            f"No passage answers “{question}”</div>{_read_as(answer)}"
            f"<p>The indexed documents don't contain this. Try rephrasing, or ask about "
            f"something they cover.</p></div>"
        )
    items = "".join(render_citation(c, source_text, turn) for c in answer.citations)
    return (
        f'<div class="qa-sources"><div class="qa-sources-title">Sources for “{question}”</div>'
        f"{_read_as(answer)}{items}</div>"
    )


def _read_as(answer: Answer) -> str:
    """How a follow-up was read with the conversation, when that differs from its words."""
    notes = "".join(f'<div class="qa-note">{escape(note)}</div>' for note in answer.notes)
    query = answer.search_query
    if not query or query == answer.question:
        return notes
    if len(query) > READ_AS_CHARS:
        query = query[: query.rfind(" ", 0, READ_AS_CHARS)] + " …"
    return f'<div class="qa-read-as">Read with the conversation as: “{escape(query)}”</div>{notes}'


def render_error(message: str) -> str:
    return f'<div class="qa-sources qa-error">{escape(message)}</div>'


class SourceTexts:
    """Each source's full text, fetched once and fetched again when a citation no longer fits
    (the source was re-indexed since)."""

    def __init__(self, fetch: SourceText) -> None:
        self._fetch = fetch
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, source: str) -> str:
        with self._lock:
            text = self._memo.get(source)
        if text is None:
            text = self._fetch(source)
            with self._lock:
                self._memo[source] = text
        return text

    def for_citation(self, citation: Citation) -> str:
        text = self(citation.source)
        if text[citation.start : citation.end] != citation.text:
            text = self._fetch(citation.source)
            with self._lock:
                self._memo[citation.source] = text
        return text
