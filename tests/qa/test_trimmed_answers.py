"""A close runner-up that does not fit comes along with the best sentence, both cut to the
clauses that hold the question (verbatim slices), on real questions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qa import build_assistant
from qa.candidates import Candidate
from qa.choosing import MAX_ANSWER_CHARS, choose, clause_scores, trimmed
from qa.extractive import compose
from qa.lexical import terms
from qa.reading import FEATURES, load_reader

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "tests" / "data" / "wiki" / "Rhine.txt"
MEASURE = (
    'The length of the Rhine is conventionally measured in "Rhine-kilometers" (Rheinkilometer), '
    "a scale introduced in 1939 which runs from the Old Rhine Bridge at Constance (0 km) to "
    "Hoek van Holland (1036.20 km)."
)


def _candidate(question: str) -> Candidate:
    text = RHINE.read_text(encoding="utf-8")
    start = text.index(MEASURE)
    asked = {t: 1.0 for t in terms(question)}
    return Candidate(
        "Rhine.txt", start, start + len(MEASURE), MEASURE, MEASURE, 0,
        clauses=clause_scores(question, MEASURE, asked),
    )  # fmt: skip


def test_a_long_sentence_is_cut_to_the_clauses_that_hold_the_question() -> None:
    cand = _candidate("When was the Rhine-kilometer scale introduced?")
    # the clause with the question's words and a year the question lacks weighs the most
    best = max(cand.clauses, key=lambda c: c[2])
    assert "introduced in 1939" in MEASURE[best[0] : best[1]] and best[2] >= 1.0
    text = RHINE.read_text(encoding="utf-8")
    cut = trimmed(cand, 90)
    assert cut is not None and len(cut.text) <= 90
    assert cut.text.startswith("a scale introduced in 1939") and "length" not in cut.text
    assert text[cut.start : cut.end] == cut.text  # still a verbatim slice
    wider = trimmed(cand, 120)  # the neighbours come along while they fit
    assert wider is not None and wider.text.endswith("Hoek van Holland (1036.20 km).")
    assert text[wider.start : wider.end] == wider.text


def test_a_cut_never_leaves_a_bracket_open() -> None:
    cand = _candidate("How many kilometers of the Rhine lie before Hoek van Holland?")
    cuts = [trimmed(cand, budget) for budget in range(20, 200, 5)]
    made = [cut.text for cut in cuts if cut is not None and cut != cand]
    assert any("1036.20 km)" in text for text in made)
    assert all(text.count("(") == text.count(")") for text in made), made


def test_a_sentence_that_fits_is_kept_whole_and_one_too_long_to_cut_is_dropped() -> None:
    cand = _candidate("When was the Rhine-kilometer scale introduced?")
    assert trimmed(cand, 350) == cand
    assert trimmed(cand, 20) is None


def test_a_close_runner_up_comes_along_cut_when_both_do_not_fit() -> None:
    question = "Where does the Rhine river's measurement end?"
    typed = tuple(float(name == "type_ok") for name in FEATURES)
    runner_up = replace(_candidate(question), score=9.0, features=typed)
    long = "x" * 300
    best = Candidate("Other.txt", 0, 300, long, long, 0, features=typed, score=10.0)
    assert choose([best, runner_up]) == [best]  # no clause to cut to: alone
    said = (
        "The Rhine, a river of Europe, is long, and it ends somewhere in the west, far from "
        "the Alps, as the records of its many surveys, old and new, show; "
    ) * 2
    asked = {t: 1.0 for t in terms(question)}
    best = replace(best, text=said, end=len(said), clauses=clause_scores(question, said, asked))
    chosen = choose([best, runner_up])
    assert len(chosen) == 2 and chosen[1].source == "Rhine.txt"
    cut = chosen[1]
    assert len(cut.text) < len(MEASURE) and "Old Rhine Bridge at Constance" in cut.text
    assert RHINE.read_text(encoding="utf-8")[cut.start : cut.end] == cut.text
    assert said.startswith(chosen[0].text) and "ends" in chosen[0].text  # its clauses, cut
    text, _ = compose(chosen, 0.5)
    assert len(text) <= MAX_ANSWER_CHARS
    far = replace(runner_up, score=10.0 - load_reader().margin("trim_margin") - 0.1)
    assert choose([best, far]) == [best]


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("On which day did the Kremlin make its announcement?", "Monday"),
        (
            "Who brokered the tentative agreement to hold talks between Biden and Putin?",
            "Macron",
        ),
    ],
)
def test_article_answers_that_need_the_runner_up(
    article_assistant, question: str, gold: str
) -> None:  # type: ignore[no-untyped-def]
    answer = article_assistant.ask(question)
    assert answer.answered and gold in answer.text
    assert len(answer.text) <= MAX_ANSWER_CHARS
    source = article_assistant.source_text("article.txt")
    for c in answer.citations:
        assert source[c.start : c.end] == c.text


@pytest.mark.slow
def test_wiki_answers_from_a_cut_runner_up(tmp_path: Path) -> None:
    assistant = build_assistant(data_dir=tmp_path / "wiki", bundled=False)
    assistant.index([ROOT / "tests" / "data" / "wiki"])
    for question, gold in [
        ("What Fields Medal winning Mathematician is a faculty member at Harvard?", "Yau"),
    ]:
        answer = assistant.ask(question)
        assert answer.answered and gold in answer.text, (question, answer.text)
        assert len(answer.text) <= MAX_ANSWER_CHARS
        for c in answer.citations:
            assert assistant.source_text(c.source)[c.start : c.end] == c.text
            assert c.text.count("(") == c.text.count(")")  # a cut never leaves one open
