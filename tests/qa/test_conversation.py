"""How a turn is read with the conversation: history as given, the kind of turn, its readings."""

from __future__ import annotations

from typing import Any

import pytest

from qa.conversation import (
    CONTINUATION,
    FOLLOW_UP,
    STANDALONE,
    normalise_history,
    read_turn,
)

CALLED = "Which leaders did Putin call?"
CALLED_ANSWER = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of "
    "his decision in phone calls on Monday, the Times reported [1]."
)
HISTORY = [(CALLED, CALLED_ANSWER)]
DECLINE = "The documents don't say: no indexed passage answers this question."


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


# standalone turns


@pytest.mark.parametrize(
    "question",
    [
        "What is the population of Luhansk?",
        "Where is the Donbas region located?",
        "Does Russia admit it plans to invade Ukraine?",  # "it" is Russia
    ],
)
def test_a_question_that_stands_alone_is_searched_as_it_is(question: str) -> None:
    turn = read_turn(question, HISTORY)
    assert turn.kind == STANDALONE
    assert turn.readings == (question,)


@pytest.mark.parametrize(
    "question", ["What do the separatists claim as their own?", "What notion keeps its meaning?"]
)
def test_a_pronoun_after_its_noun_points_nowhere_back(question: str) -> None:
    assert not read_turn(question, HISTORY).points_back


def test_without_history_every_question_stands_alone() -> None:
    assert read_turn("How did they react?", []).readings == ("How did they react?",)


# follow-ups


def test_a_pronoun_is_resolved_to_the_names_of_the_last_answer() -> None:
    turn = read_turn("How did they react?", HISTORY)
    assert turn.kind == FOLLOW_UP and turn.points_back
    assert turn.readings[0] == "How did they react?"  # the question alone is read too
    assert (
        "How did President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany react?"
        in turn.readings
    )


def test_no_reading_appends_the_last_turn_whole() -> None:
    for question in ("How did they react?", "When?", "And Germany?", "What did he decide?"):
        for reading in read_turn(question, HISTORY).readings:
            assert CALLED not in reading and "phone calls" not in reading


def test_he_and_him_point_at_two_people() -> None:
    history = [("Who did Putin call first?", "Putin called Macron [1].")]
    readings = read_turn("How did he tell him?", [*HISTORY, *history]).readings
    assert any("Putin" in r and "Macron" in r for r in readings)


def test_an_elided_frame_takes_the_last_question_with_the_new_entity() -> None:
    history = [("Which French leader did Putin call?", "Emmanuel Macron of France [1].")]
    assert "Which Germany leader did Putin call?" in read_turn("And Germany?", history).readings


def test_a_bare_question_word_takes_the_last_question_s_frame() -> None:
    history = [("What did Putin intend to sign?", "The relevant decree [1].")]
    assert "When did Putin intend to sign?" in read_turn("When?", history).readings
    assert "For whom did Putin intend to sign?" in read_turn("For whom?", history).readings


def test_a_short_question_takes_the_last_turn_s_topic() -> None:
    history = [("Who leads the Zephyr project?", "Ingrid Solberg leads the Zephyr project [1].")]
    turn = read_turn("When is the kickoff?", history)
    assert turn.kind == FOLLOW_UP and not turn.points_back
    assert any("Zephyr" in reading for reading in turn.readings[1:])


def test_what_else_asks_for_what_was_not_quoted() -> None:
    turn = read_turn("What else did they indicate?", HISTORY)
    assert turn.kind == FOLLOW_UP and turn.wants_new


# continuations


@pytest.mark.parametrize(
    "question", ["Tell me more.", "What else?", "Go on", "And?", "more please"]
)
def test_asking_for_more_continues_the_last_answered_turn(question: str) -> None:
    turn = read_turn(question, HISTORY)
    assert turn.kind == CONTINUATION
    assert turn.topic == CALLED and "Macron" in turn.topic_answer and "[1]" not in turn.topic_answer


def test_a_continuation_of_a_follow_up_continues_its_resolved_question() -> None:
    history = [*HISTORY, ("How did they react?", "They expressed their disappointment [1].")]
    turn = read_turn("Tell me more.", history)
    assert "Macron" in turn.topic and "react" in turn.topic


def test_a_continuation_after_a_decline_has_nothing_to_continue() -> None:
    history = [*HISTORY, ("What was the weather in Moscow?", DECLINE)]
    assert read_turn("Tell me more.", history).topic == ""


def test_a_question_with_words_of_its_own_is_no_continuation() -> None:
    assert read_turn("Tell me more about the decree.", HISTORY).kind != CONTINUATION
