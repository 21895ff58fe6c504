"""Answers as Slack messages: Block Kit sections for the text and each quoted citation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qa import Answer, Citation

if TYPE_CHECKING:
    from qa.uploads import UploadResult

SECTION_LIMIT = 3000  # Slack rejects a section whose text is longer
APOLOGY = (
    "Sorry, something went wrong while answering that. "
    "The error has been logged; please try again later."
)
UPLOAD_APOLOGY = (
    "Sorry, something went wrong while adding those files. "
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


def upload_lines(results: Sequence[UploadResult]) -> list[str]:
    """One plain line per uploaded file: its source name and chunks, or why it failed."""
    lines = []
    for result in results:
        chunks = f"{result.chunks} chunk{'' if result.chunks == 1 else 's'}"
        if result.status == "added":
            lines.append(f"Added {result.source} ({chunks})")
        elif result.status == "updated":
            lines.append(f"Updated {result.source} ({chunks})")
        elif result.status == "unchanged":
            lines.append(f"Already indexed, unchanged: {result.source} ({chunks})")
        else:
            reason = " ".join((result.error or f"{result.file}: not indexed").split())
            lines.append(f"Not added: {reason}")
    return lines


def upload_message(results: Sequence[UploadResult]) -> dict[str, Any]:
    """What became of the files shared with the bot: a line each, then a hint to ask."""
    lines = upload_lines(results)
    marks = [":x:" if r.status == "failed" else ":page_facing_up:" for r in results]
    shown = "\n".join(f"{mark} {escape(line)}" for mark, line in zip(marks, lines, strict=True))
    blocks = [_section(shown)]
    if any(r.status != "failed" for r in results):
        blocks.append(_context("You can now ask me about it."))
    return {"text": _clip("\n".join(lines), 39_000), "blocks": blocks}
