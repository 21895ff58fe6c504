"""Follow-up resolution: history as given, the names a pronoun points at, the search query."""

from __future__ import annotations

from typing import Any

import pytest

from qa.conversation import is_follow_up, normalise_history, referents, search_query

CALLED = "Which leaders did Putin call?"
CALLED_ANSWER = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of "
    "his decision in phone calls on Monday, the Times reported [1]."
)
HISTORY = [(CALLED, CALLED_ANSWER)]


# normalise_history


def test_pairs_come_back_as_tuples_from_lists_or_tuples() -> None:
    assert normalise_history([["q1", "a1"], ("q2", "a2")]) == [("q1", "a1"), ("q2", "a2")]
    assert normalise_history((("q1", "a1"),)) == [("q1", "a1")]


@pytest.mark.parametrize("empty", [None, [], (), ""])
def test_no_history_is_an_empty_list(empty: object) -> None:
    assert normalise_history(empty) == []


def test_turns_without_a_question_are_dropped_and_missing_answers_become_empty() -> None:
    history = [["", "orphan answer"], ["   ", "x"], ["q", None], [None, "y"], ["q2", "a2"]]
    assert normalise_history(history) == [("q", ""), ("q2", "a2")]


def test_parts_that_are_not_text_are_turned_into_text() -> None:
    assert normalise_history([(1, 2.5)]) == [("1", "2.5")]


@pytest.mark.parametrize(
    "bad",
    ["q and a", {"q": "a"}, [("only a question",)], [("q", "a", "extra")], ["q"], [42]],
)
def test_anything_but_pairs_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"list of \(question, answer\) pairs"):
        normalise_history(bad)


# is_follow_up


@pytest.mark.parametrize(
    "question",
    ["How did they react?", "What did he decide?", "Why?", "What about Biden?", "And Scholz?"],
)
def test_pointing_back_or_saying_too_little_is_a_follow_up(question: str) -> None:
    assert is_follow_up(question, HISTORY)


def test_a_question_that_stands_alone_is_not_a_follow_up() -> None:
    question = "Where is the Donbas region located?"
    assert not is_follow_up(question, HISTORY)
    assert search_query(question, HISTORY) == question


def test_without_history_nothing_is_a_follow_up() -> None:
    assert not is_follow_up("How did they react?", [])
    assert search_query("How did they react?", []) == "How did they react?"
    assert referents("How did they react?", []) == set()


# search_query


def test_a_pronoun_follow_up_searches_with_the_earlier_question_and_its_answer_s_names() -> None:
    query = search_query("How did they react?", HISTORY)
    assert query.startswith("How did they react? " + CALLED)
    for name in ("Emmanuel Macron of France", "Olaf Scholz of Germany", "Monday"):
        assert name in query
    assert "[1]" not in query  # citation markers are not search terms
    assert "phone calls" not in query  # the answer enters by its names only


def test_only_the_last_turn_completes_the_query() -> None:
    history = [("Who is Jennifer Cassidy?", "Dr. Jennifer Cassidy is a diplomat."), *HISTORY]
    query = search_query("How did they react?", history)
    assert CALLED in query
    assert "Cassidy" not in query


def test_names_the_question_already_has_are_not_added_again() -> None:
    history = [("Who spoke?", "It was Macron, then Joe Biden spoke.")]
    query = search_query("What did Macron say?", history)
    assert query == "What did Macron say? Who spoke? Joe Biden"


def test_a_capital_that_only_opens_a_sentence_is_no_name() -> None:
    history = [
        ("What has Russia amassed along the Ukraine border?", "Tens of thousands of troops.")
    ]
    query = search_query("Does it admit that it plans to invade?", history)
    assert query == "Does it admit that it plans to invade? " + history[0][0]


# referents


def test_a_pronoun_points_at_the_stems_of_the_last_answer_s_names() -> None:
    found = referents("How did they react?", HISTORY)
    assert {"macron", "scholz", "france", "germany", "emmanuel", "olaf"} <= found
    assert "phone" not in found and "decision" not in found


def test_names_in_the_question_itself_are_no_referents() -> None:
    found = referents("What did they tell Macron?", HISTORY)
    assert "macron" not in found
    assert "scholz" in found


def test_without_a_pronoun_there_are_no_referents() -> None:
    assert referents("What about Biden?", HISTORY) == set()
