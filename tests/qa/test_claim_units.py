"""What a claim asserts must be in its passage: names or their aliases, numbers, dates, polarity."""

from __future__ import annotations

from qa.reading.claims import claim_features, units

CALLS = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of his "
    "decision in phone calls on Monday, the Times reported."
)
SHARE = (
    "The separatists claim Ukraine’s eastern Donetsk and Luhansk regions as their own but only "
    "control about a third of them, the Times reported."
)
NATO = (
    "While it denies it plans to invade, the Kremlin has demanded NATO rescind its promise to "
    "admit Ukraine into the organization, which it has flatly refused to do."
)
ALLIES = (
    "Putin attended a session of the Russian Security Council earlier on Monday, where he accused "
    "the U.S. and its allies of using Ukraine “as an instrument of confrontation,” the Times "
    "reported."
)


def features(embedder, claim: str, passage: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return claim_features(claim, passage, embedder.words.vectors, dense=0.5, cross=0.0)


def test_units_are_names_numbers_and_calendar_words() -> None:
    assert units("Putin phoned two leaders on Monday, about a third of 1,200 troops.") == (
        "putin", "#2", "monday", "#1/3", "#1200",
    )  # fmt: skip
    assert units("The separatists hold two-thirds of it.") == ("#2*1/3",)


def test_a_swapped_name_number_or_day_is_missing_from_the_passage(embedder) -> None:  # type: ignore[no-untyped-def]
    assert (
        features(embedder, "Putin phoned Macron and Scholz on Monday.", CALLS)["unit_missing"] == 0
    )
    assert (
        features(embedder, "Putin phoned Biden and Johnson on Monday.", CALLS)["unit_missing"] == 1
    )
    assert features(embedder, "Putin phoned Macron and Scholz on Sunday.", CALLS)["number_missing"]
    assert features(embedder, "The separatists control two-thirds of them.", SHARE)[
        "number_missing"
    ]
    assert not features(embedder, "The separatists control a third of them.", SHARE)[
        "number_missing"
    ]


def test_aliases_and_abbreviations_count_as_the_name(embedder) -> None:  # type: ignore[no-untyped-def]
    said = "Putin told the French and German leaders of his decision."
    assert features(embedder, said, CALLS)["unit_missing"] == 0
    charged = "Putin charged the United States and its allies with using Ukraine."
    assert features(embedder, charged, ALLIES)["unit_missing"] == 0
    assert features(embedder, "Putin charged the European Union.", ALLIES)["unit_missing"] == 1


def test_polarity_counts_the_negations_of_what_the_claim_speaks_of(embedder) -> None:  # type: ignore[no-untyped-def]
    faithful = "NATO has flatly refused to take back its promise to admit Ukraine."
    assert features(embedder, faithful, NATO)["polarity"] == 0
    assert features(embedder, "NATO agreed to take back its promise.", NATO)["opposite"] == 1
    assert (
        features(embedder, "Russia does not deny that it plans to invade.", NATO)["polarity"] == 1
    )
    assert features(embedder, "Russia denies that it plans to invade.", NATO)["polarity"] == 0
