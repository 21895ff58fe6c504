"""QA_LLM_JUDGE: the LLM judges its own sentences too, over the real wire (a local fake server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa import Assistant, build_assistant
from qa.judge import verdicts
from tests.qa.fake_openai import FakeOpenAI, fake_openai

QUESTION = "What did the French and German leaders express?"
ANSWER = (
    "The president of France and the Federal Chancellor of Germany expressed their "
    "disappointment with this development [1]. At the same time, they indicated their "
    "readiness to continue contacts [1]."
)


@pytest.fixture
def judging(article_assistant: Assistant) -> Iterator[tuple[Assistant, FakeOpenAI]]:
    with fake_openai([]) as server:
        settings = article_assistant.settings.with_(
            llm="openai", llm_base_url=server.url, llm_model="fake", llm_judge=True
        )
        yield build_assistant(settings), server


def test_verdicts_are_read_by_number_and_missing_ones_stay_unknown() -> None:
    assert verdicts("1: yes\n2) NO\nthree: yes", 3) == [True, False, None]
    assert verdicts("", 2) == [None, None]


def test_a_sentence_the_judge_rejects_loses_its_marker(
    judging: tuple[Assistant, FakeOpenAI],
) -> None:
    assistant, server = judging
    server.replies = [ANSWER, "1: yes\n2: no"]
    answer = assistant.ask(QUESTION)
    assert len(server.requests) == 2  # the answer, then the judge
    judge_prompt = str(server.requests[1]["messages"][-1]["content"])
    assert "readiness to continue contacts" in judge_prompt and "<passage>" in judge_prompt
    assert len(answer.unsupported) == 1
    start, end = answer.unsupported[0]
    assert "contacts" in answer.text[start:end] and "[" not in answer.text[start:end]
    assert "disappointment" in answer.text and len(answer.citations) == 1


def test_a_failing_judge_leaves_the_check_as_it_was(
    judging: tuple[Assistant, FakeOpenAI],
) -> None:
    assistant, server = judging
    server.replies = [ANSWER, "!500"]
    answer = assistant.ask(QUESTION)
    assert answer.backend != "extractive" and not answer.unsupported
    assert answer.text.count("[1]") == 2


def test_without_the_setting_the_llm_is_asked_once(
    judging: tuple[Assistant, FakeOpenAI],
) -> None:
    assistant, server = judging
    assistant = build_assistant(assistant.settings.with_(llm_judge=False))
    server.replies = [ANSWER]
    assert assistant.ask(QUESTION).citations
    assert len(server.requests) == 1
