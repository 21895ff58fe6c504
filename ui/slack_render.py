"""Answers as Slack messages: Block Kit sections for the text and each quoted citation."""

from __future__ import annotations

from typing import Any

from qa import Answer, Citation

SECTION_LIMIT = 3000  # Slack rejects a section whose text is longer
APOLOGY = (
    "Sorry, something went wrong while answering that. "
    "The error has been logged; please try again later."
)
Block = dict[str, Any]


def escape(text: str) -> str:
    """Text safe inside mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = SECTION_LIMIT - 20) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(mrkdwn)}}


def citation_blocks(citation: Citation) -> list[Block]:
    """The passage as a block quote, then a small line naming its source."""
    quoted = "\n".join(f">{escape(line)}" for line in _clip(citation.text).splitlines() or [""])
    span = f"characters {citation.start}–{citation.end}"
    where = f"[{citation.n}] *{escape(citation.source)}*, {span}"
    return [_section(quoted), _context(where)]


def flagged_text(answer: Answer) -> str:
    """The answer as mrkdwn, with sentences no passage supports struck through and flagged."""
    out, at = [], 0
    for start, end in answer.unsupported:
        out.append(escape(answer.text[at:start]))
        out.append(f"~{escape(answer.text[start:end].strip())}~ :warning: _unsupported_ ")
        at = end
    out.append(escape(answer.text[at:]))
    return "".join(out).strip()


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(mrkdwn)}]}


def answer_message(answer: Answer) -> dict[str, Any]:
    """``text`` (the notification and history fallback) and ``blocks`` for chat.postMessage:
    what was searched (when a follow-up was rewritten), the answer with unsupported sentences
    flagged, the answerer's notes, then each citation."""
    blocks: list[Block] = []
    if answer.search_query and answer.search_query != answer.question:
        blocks.append(_context(f"Searched for: _{escape(answer.search_query)}_"))
    blocks.append(_section(flagged_text(answer)))
    blocks.extend(_context(f":information_source: {escape(note)}") for note in answer.notes)
    if answer.answered and answer.citations:
        blocks.append({"type": "divider"})
        for citation in answer.citations[:20]:  # a message holds at most 50 blocks
            blocks.extend(citation_blocks(citation))
    return {"text": _clip(answer.text, 39_000), "blocks": blocks}


def notice_message(text: str) -> dict[str, Any]:
    """A short plain reply: an apology or a problem with the question."""
    return {"text": text, "blocks": [_section(escape(text))]}
