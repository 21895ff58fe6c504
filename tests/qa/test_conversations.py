"""Conversations on the held halves of the conversation sets (benchmarks/conversation_sets.py):
standalone turns answered as if asked alone, follow-ups resolved, continuations answered with
passages not quoted yet, follow-ups the documents do not answer declined. The floors were
measured on these held halves, which no choice of the conversation step was fitted on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa import Assistant, build_assistant
from qa.answer import strip_markers
from qa.evaluation import contains
from qa.turns import NOTHING_MORE

EVAL = Path(__file__).resolve().parents[1] / "eval"
DATA = Path(__file__).resolve().parents[1] / "data"


def turns(name: str, kind: str) -> list[dict[str, Any]]:
    lines = (EVAL / f"conversation-{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [item for item in map(json.loads, lines) if item["turn"] == kind]


def ask(assistant: Assistant, item: dict[str, Any]) -> Any:
    return assistant.ask(item["question"], [tuple(turn) for turn in item["history"]])


def correct(item: dict[str, Any], answer: Any) -> bool:
    if not item["answerable"]:
        return not answer.answered
    return bool(answer.answered and contains(answer.text, item["must"]))


def test_standalone_turns_are_answered_as_if_asked_alone(article_assistant: Assistant) -> None:
    for item in turns("article-held", "standalone"):
        alone = article_assistant.ask(item["question"])
        answer = ask(article_assistant, item)
        assert answer.text == alone.text, item["id"]
        assert answer.search_query == item["question"]  # nothing "read with the conversation"


@pytest.fixture(scope="module")
def pool_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Assistant:
    assistant = build_assistant(
        data_dir=tmp_path_factory.mktemp("pool"), bundled=False, embedder=embedder
    )
    assistant.index([DATA / "squad"])
    return assistant


@pytest.mark.slow
def test_wikipedia_questions_after_earlier_ones_are_answered_as_if_alone(
    pool_assistant: Assistant,
) -> None:
    items = turns("pool-held", "standalone")[::2]  # every other turn: half the time
    same = sum(ask(pool_assistant, i).text == pool_assistant.ask(i["question"]).text for i in items)
    assert same >= 0.97 * len(items)


def test_follow_ups_are_resolved_and_answered(article_assistant: Assistant) -> None:
    items = [i for i in turns("article-held", "follow_up") if i["answerable"]]
    answers = [ask(article_assistant, item) for item in items]
    right = sum(correct(i, a) for i, a in zip(items, answers, strict=True))
    declined = sum(not a.answered for a in answers)
    assert right >= 0.75 * len(items)
    assert declined <= 0.1 * len(items)
    resolved = [a for a in answers if a.search_query != a.question]
    assert len(resolved) >= len(answers) // 2  # shown as "Read with the conversation as: ..."


def test_continuations_are_answered_with_passages_not_quoted_yet(
    article_assistant: Assistant,
) -> None:
    items = turns("article-held", "continuation")
    answers = [ask(article_assistant, item) for item in items]
    assert sum(correct(i, a) for i, a in zip(items, answers, strict=True)) >= 0.6 * len(items)
    for item, answer in zip(items, answers, strict=True):
        said = " ".join(strip_markers(a) for _q, a in item["history"])
        assert answer.answered, item["id"]
        assert all(c.text not in said for c in answer.citations), item["id"]


def test_a_continuation_with_nothing_left_says_so(article_assistant: Assistant) -> None:
    declined = "The documents don't say: no indexed passage answers this question."
    answer = article_assistant.ask("Tell me more.", [("What was the weather in Moscow?", declined)])
    assert not answer.answered and answer.text == NOTHING_MORE


def test_follow_ups_the_documents_do_not_answer_are_declined(
    article_assistant: Assistant,
) -> None:
    items = [i for i in turns("article-held", "follow_up") if not i["answerable"]]
    declined = sum(not ask(article_assistant, item).answered for item in items)
    assert declined >= 0.33 * len(items)
    history = [
        (
            "Which leaders did Putin call?",
            article_assistant.ask("Which leaders did Putin call?").text,
        )
    ]
    assert not article_assistant.ask("How old is he?", history).answered


HANDBOOK = """# Zephyr handbook

Ingrid Solberg leads the Zephyr project. She joined the company in 2019 and reports to the board.

The kickoff is on 14 March in Room 5B. Every team member attends the kickoff.

The budget of the Zephyr project is 2 million euros, approved in January.
"""


def test_a_follow_up_takes_the_last_turn_s_topic(
    empty_assistant: Assistant, tmp_path: Path
) -> None:
    (tmp_path / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    empty_assistant.index([tmp_path / "handbook.md"])
    first = empty_assistant.ask("Who leads the Zephyr project?")
    assert "Ingrid Solberg" in first.text
    kickoff = empty_assistant.ask(
        "When is the kickoff?", [("Who leads the Zephyr project?", first.text)]
    )
    assert kickoff.answered and "14 March" in kickoff.text and "Room 5B" in kickoff.text
    assert "Who leads" not in kickoff.search_query  # the topic, not the whole last turn
