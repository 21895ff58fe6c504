"""Reading Slack messages: which events to answer, the question they ask, and a thread's history."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>|<([^<>|]+)>")
# Subtypes that are still a person writing to the bot; any other subtype (edits, deletions,
# joins, bot_message) is not a question.
_PERSON_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})


def is_question(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A message from a person (not a bot, not the bot itself, not an edit) with a timestamp."""
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    if event.get("subtype", "") not in _PERSON_SUBTYPES:
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id and bool(event.get("ts"))


def question_text(text: str) -> str:
    """Slack's markup turned back into the plain question: mentions dropped, links unwrapped."""
    text = _MENTION.sub(" ", text or "")
    text = _LINK.sub(lambda m: m.group(2) or m.group(3) or m.group(1), text)
    return " ".join(html.unescape(text).split())


def asks(text: str) -> bool:
    """Whether the text sent along with shared files is also a question: it ends with '?'."""
    return text.rstrip().endswith("?")


def thread_history(
    messages: Iterable[Mapping[str, Any]], bot_user_id: str | None, bot_id: str | None, before: str
) -> list[tuple[str, str]]:
    """The (question, answer) turns of a thread before the message ``before``.

    Each of the bot's replies is paired with the last person's message before it; other
    bots' messages and unanswered chatter are left out.
    """
    turns: list[tuple[str, str]] = []
    pending = ""
    for message in sorted(messages, key=lambda m: float(m.get("ts") or 0)):
        ts = message.get("ts") or ""
        if not ts or float(ts) >= float(before):
            break
        mine = (bot_id and message.get("bot_id") == bot_id) or (
            bot_user_id and message.get("user") == bot_user_id
        )
        if mine:
            if pending:
                turns.append((pending, str(message.get("text") or "")))
                pending = ""
        elif is_question(message, bot_user_id):
            pending = question_text(str(message.get("text") or "")) or pending
    return turns
