"""The exported cross-encoder reads a question or claim together with a passage."""

from __future__ import annotations

from qa.reading.cross import claim_text, load_cross, question_text

CALLS = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of his "
    "decision in phone calls on Monday, the Times reported."
)
TROOPS = "Russia has amassed tens of thousands of troops along the Ukraine border."


def test_the_passage_that_answers_reads_higher_than_one_that_does_not() -> None:
    asked = question_text("Which leaders did Putin call?")
    answering, other = load_cross().scores([(asked, CALLS), (asked, TROOPS)])
    assert answering > other


def test_a_faithful_claim_reads_higher_than_the_same_claim_about_another_passage() -> None:
    claim = claim_text("Putin phoned Macron and Scholz about his decision.")
    faithful, unrelated = load_cross().scores([(claim, CALLS), (claim, TROOPS)])
    assert faithful > unrelated


def test_nothing_to_read_gives_no_scores() -> None:
    assert load_cross().scores([]).shape == (0,)
