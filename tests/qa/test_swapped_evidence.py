"""The decline model's swapped-evidence features, on questions and sentences of the wiki set."""

from __future__ import annotations

from qa.extractive import confidence
from qa.reading import (
    SUPPORT_FEATURES,
    name_swapped,
    number_missing,
    opposite_word,
)

MOMENTUM = (
    "The conservation of momentum can be directly derived from the homogeneity or symmetry of "
    "space and so is usually considered more fundamental than the concept of a force."
)
AFGHANISTAN = (
    "In 1979, the Soviet Union deployed its 40th Army into Afghanistan, attempting to suppress an "
    "Islamic rebellion against an allied Marxist regime in the Afghan Civil War."
)
MONARCHY = (
    "But when Saddam, secularist and Ba'athist dictator of neighboring Iraq, attacked Saudi "
    "Arabia (his enemy in the war), western troops came to protect the Saudi monarchy."
)
OIL = (
    "By the end of the embargo in March 1974, the price of oil had risen from US$3 per barrel "
    "to nearly $12 globally; US prices were significantly higher."
)


def test_an_opposite_word_in_the_evidence_is_a_contradiction() -> None:
    asked = "What can be indirectly derived from the symmetry of space?"
    assert opposite_word(asked, MOMENTUM) == 1.0
    assert opposite_word(asked.replace("indirectly", "directly"), MOMENTUM) == 0.0
    assert opposite_word("What monarchy did Eastern troops protect?", MONARCHY) == 1.0
    assert opposite_word("What monarchy did Western troops protect?", MONARCHY) == 0.0


def test_a_number_of_the_question_missing_from_the_evidence() -> None:
    assert number_missing("What was the price of oil in 1979 before it rose?", OIL)
    assert not number_missing("What was the price of oil in 1974 before it rose?", OIL)
    assert not number_missing("What was the price of oil before it rose?", OIL)


def test_a_name_replaced_by_another_next_to_the_same_words() -> None:
    assert name_swapped("Who deployed its army into Iraq in 1979?", AFGHANISTAN)
    assert not name_swapped("Who deployed its army into Afghanistan?", AFGHANISTAN)
    # a missing name with no words of the question around another name is not a swap
    assert not name_swapped("Who was Kublai Khan's uncle?", OIL)


def test_swapped_evidence_lowers_the_confidence_of_a_real_question(article_assistant) -> None:  # type: ignore[no-untyped-def]
    # the article names no year 2019 where it says Putin would recognise two territories
    good = article_assistant.rank("How many territories will Putin recognise as independent?")
    swapped = article_assistant.rank("How many territories will Putin recognise in 2019?")
    features = dict(zip(SUPPORT_FEATURES, swapped.support_features(), strict=True))
    assert features["contradiction"] == 1.0
    assert confidence(good) > 0
    assert confidence(swapped) < confidence(good)
