"""One conversation, the same answers on every surface: the chat page in a real browser, the
HTTP API, the OpenAI route and a Slack thread all go through the one conversation step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.ui.fake_slack import FakeSlack, send_event
from tests.ui.test_chat_page import ask as ask_on_page
from tests.ui.test_chat_page import bot_messages, browser, sources_for  # noqa: F401 - fixture
from tests.ui.test_slack_bot import mention, replies, serve
from ui.openai_api import unfootnoted

pytestmark = pytest.mark.integration

# a question, a pronoun follow-up, a continuation, a follow-up the article does not answer
CONVERSATION = (
    "Which leaders did Putin call?",
    "How did they react?",
    "Tell me more.",
    "How old is he?",
)


@pytest.fixture(scope="module")
def expected(article_assistant: Any) -> list[str]:
    """The answers `Assistant.ask` gives, each turn with the earlier answers as history."""
    history: list[tuple[str, str]] = []
    for question in CONVERSATION:
        history.append((question, article_assistant.ask(question, history).text))
    return [answer for _q, answer in history]


@pytest.fixture(scope="module")
def events_url(article_assistant: Any, fake: FakeSlack) -> Iterator[str]:
    yield from serve(article_assistant, fake)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_one_conversation_gets_the_same_answers_on_every_surface(
    expected: list[str],
    server_url: str,
    fake: FakeSlack,
    events_url: str,
    browser: Any,  # noqa: F811
) -> None:
    assert "disappointment" in expected[1]  # "they": the leaders the first answer named
    assert expected[2] != expected[1] and "don't say" not in expected[2]  # more, not the same
    assert "don't say" in expected[3]  # "How old is he?": the article does not say

    api: list[str] = []
    for question in CONVERSATION:
        history = [[q, a] for q, a in zip(CONVERSATION, api, strict=False)]
        reply = httpx.post(
            f"{server_url}/api/ask", json={"question": question, "history": history}, timeout=60
        )
        api.append(reply.json()["answer"])
    assert api == expected

    messages: list[dict[str, str]] = []
    openai: list[str] = []
    for question in CONVERSATION:
        messages.append({"role": "user", "content": question})
        reply = httpx.post(
            f"{server_url}/v1/chat/completions",
            json={"model": "qa", "messages": messages},
            timeout=60,
        ).json()
        content = reply["choices"][0]["message"]["content"]
        messages.append({"role": "assistant", "content": content})
        openai.append(unfootnoted(content).strip())
    assert openai == expected

    first = mention(fake, "C0SURFACES", CONVERSATION[0])
    send_event(events_url, first)
    parent = first["event"]["ts"]
    for n, question in enumerate(CONVERSATION[1:], start=2):
        replies(fake, "C0SURFACES", n - 1)
        send_event(events_url, mention(fake, "C0SURFACES", question, thread_ts=parent))
    slack = [call.args["text"] for call in replies(fake, "C0SURFACES", len(CONVERSATION))]
    assert slack == expected

    context = browser.new_context(viewport={"width": 1100, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server_url)
    page.locator("#qa-question textarea").wait_for()
    shown = []
    for question in CONVERSATION:
        ask_on_page(page, question)
        sources_for(page, question)
        shown.append(flat(bot_messages(page).last.inner_text()))
    context.close()
    for text, answer in zip(shown, expected, strict=True):
        assert flat(answer) in text
