"""What a claim asserts that its passage must hold: its names, numbers, dates and polarity."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from qa.lexical import STOPWORDS, stem, words
from qa.reading.kinds import NUMBER_WORDS
from qa.reading.soft_match import WordEmbedder

CLAIM_FEATURES = (
    "units_missing",  # share of the claim's names, numbers and dates the passage lacks
    "unit_missing",  # at least one of them is missing
    "number_missing",  # a number or a date of the claim is not in the passage
    "polarity",  # the claim and the passage disagree on negation
    "opposite",  # the claim has a word whose opposite stands in the passage
    "soft_mean",  # mean soft match of the claim's content words in the passage
    "soft_min",  # the weakest of those matches
    "unmatched",  # share of the claim's content words with no close passage word
    "dense",  # cosine of claim and passage
    "cross",  # the cross-encoder's logit that the passage supports the claim
)

_TOKEN = re.compile(r"\d[\d,.]*\d%?|\d%?|[^\W\d_][\w'’-]*")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
# negation, and the verbs that carry it: "refused to", "denies that"
_NEGATION = re.compile(
    r"\b(not|never|no|none|nobody|nothing|neither|nor|without|cannot|\w+n[’']t|"
    r"den(y|ies|ied)|refus(e|es|ed|ing)|reject(s|ed)?|fail(s|ed)?|lack(s|ed)?)\b",
    re.IGNORECASE,
)
_OPPOSITE_PAIRS = """east/west eastern/western north/south northern/southern first/last
most/least before/after increase/decrease increased/decreased rise/fall rose/fell larger/smaller
largest/smallest high/low higher/lower highest/lowest earliest/latest earlier/later begin/end
start/end win/lose won/lost major/minor maximum/minimum older/newer oldest/newest
upper/lower inner/outer internal/external positive/negative always/never more/less more/fewer
accept/reject accepted/rejected agree/refuse agreed/refused public/private modern/ancient
strong/weak success/failure support/oppose supported/opposed approve/disapprove
approved/disapproved allow/forbid allowed/forbade include/exclude included/excluded
open/closed large/small long/short many/few above/below inside/outside import/export
imported/exported buy/sell bought/sold entered/left enter/leave gain/loss gained/lost
expand/shrink expanded/shrank confirmed/denied confirm/deny present/absent cause/prevent
caused/prevented""".split()
OPPOSITES: dict[str, frozenset[str]] = {}
for _pair in _OPPOSITE_PAIRS:
    _a, _b = _pair.split("/")
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}


@functools.lru_cache(maxsize=1 << 14)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(t.replace("’", "'").rstrip("'") for t in _TOKEN.findall(text))


def number_value(token: str) -> str | None:
    """A number as it is compared: digits without separators, or the digits a word names."""
    low = token.lower()
    if low[:1].isdigit():
        return low.replace(",", "").rstrip("%.").removesuffix(".0")
    if "-" in low:  # "two-thirds", "twenty-one": the value of each part
        parts = [number_value(part) for part in low.split("-")]
        return "*".join(parts) if all(parts) else None  # type: ignore[arg-type]
    if low.endswith("s") and low[:-1] in NUMBER_WORDS:  # "thousands", "thirds"
        low = low[:-1]
    return NUMBER_WORDS.get(low)


@functools.lru_cache(maxsize=1 << 12)
def units(text: str) -> tuple[str, ...]:
    """The claim's checkable units, lower-cased: names (capitalised words past the first, or a
    first word that is not a common one), numbers (as values) and calendar words."""
    out = []
    for token in tokens(text):
        low = token.lower()
        value = number_value(token)
        if value is not None:
            if low not in {"one", "once"}:  # "one of": rarely a count
                out.append("#" + value)
        elif low in _CALENDAR or (token[:1].isupper() and low not in STOPWORDS and len(low) > 1):
            out.append(low)  # a capitalised first word is compared too: "Putin said"
    return tuple(dict.fromkeys(out))


_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]{2,}\b")
_NAME_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’-]*)+")


def acronym_names(claim: str, passage: str) -> set[str]:
    """The claim's name words that the passage abbreviates: "United States" for "U.S.",
    "European Union" for "EU"."""
    short = {m.group(0).replace(".", "").lower() for m in _ACRONYM.finditer(passage)}
    out: set[str] = set()
    for run in _NAME_RUN.finditer(claim):
        named = [w for w in run.group(0).split() if w[:1].isupper()]
        if "".join(w[0] for w in named).lower() in short:
            out.update(w.lower() for w in named)
    return out


_CLAUSE = re.compile(r"[,;:()—–]|\s-\s|(?<=[.!?])\s+")


def polarity_differs(claim: str, passage: str, covered: Callable[[str], bool]) -> bool:
    """Whether the claim and the passage disagree on negation, counting only the negations of
    the clauses the other side speaks of ("Make no mistake" in a passage does not count
    against a claim about the stickers)."""

    def negations(text: str, other: Callable[[str], bool]) -> int:
        return sum(
            len(_NEGATION.findall(part)) for part in _CLAUSE.split(text) if part and other(part)
        )

    return negations(claim, lambda part: True) % 2 != negations(passage, covered) % 2


def _passage_units(passage: str) -> tuple[set[str], set[str]]:
    """The passage's words (lower-cased, and their stems) and its numbers as values."""
    said = {t.lower() for t in tokens(passage)}
    stems = {stem(w) for w in said}
    numbers = {"#" + v for t in tokens(passage) if (v := number_value(t)) is not None}
    return said | stems, numbers


def content_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and not w.isdigit()))


def claim_features(
    claim: str,
    passage: str,
    embed_words: WordEmbedder,
    dense: float,
    cross: float,
    alias: float = 0.6,
    close: float = 0.5,
) -> dict[str, float]:
    """The CLAIM_FEATURES of (claim, passage). A name counts as present when its word or stem
    is in the passage, or a passage word spelt like it has a close vector ("France" for
    "French": the same first two letters, cosine at least ``alias``); numbers and calendar
    words must be there exactly."""
    said, numbers = _passage_units(passage)
    said |= acronym_names(claim, passage)
    asked = units(claim)
    passage_words = content_words(passage)
    claim_words = content_words(claim)
    soft, similarity = _soft_matches(claim_words, passage_words, embed_words)
    row = {w: i for i, w in enumerate(claim_words)}
    missing = 0
    numbers_missing = 0
    for unit in asked:
        if unit.startswith("#") or unit in _CALENDAR:
            found = unit in numbers or unit in said
            numbers_missing += not found
        else:
            found = unit in said or stem(unit) in said
            if not found and unit in row:
                sims = similarity[row[unit]]
                found = any(
                    w[:2] == unit[:2] and sims[j] >= alias for j, w in enumerate(passage_words)
                )
        missing += not found
    claim_stems = {stem(w) for w in claim_words}

    def about_claim(part: str) -> bool:  # a passage clause half of whose words the claim has
        held = [stem(w) in claim_stems for w in content_words(part)]
        return bool(held) and sum(held) / len(held) >= 0.5

    opposite = any(w not in said and OPPOSITES.get(w, frozenset()) & said for w in words(claim))
    return {
        "units_missing": missing / len(asked) if asked else 0.0,
        "unit_missing": float(missing > 0),
        "number_missing": float(numbers_missing > 0),
        "polarity": float(polarity_differs(claim, passage, about_claim)),
        "opposite": float(opposite),
        "soft_mean": float(np.mean(soft)) if len(soft) else 1.0,
        "soft_min": float(np.min(soft)) if len(soft) else 1.0,
        "unmatched": float(np.mean(soft < close)) if len(soft) else 0.0,
        "dense": dense,
        "cross": cross,
    }


def _soft_matches(
    asked: Sequence[str], said: Sequence[str], embed_words: WordEmbedder
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Per claim word: 1 when its stem is in the passage, else its best cosine there; and
    the cosines of every claim word with every passage word."""
    similarity = np.zeros((len(asked), len(said)), dtype=np.float32)
    if not asked:
        return np.zeros(0, dtype=np.float32), similarity
    stems = {stem(w) for w in said}
    exact = np.array([stem(w) in stems for w in asked], dtype=np.float32)
    if not said:
        return exact, similarity
    similarity = embed_words(list(asked)) @ embed_words(list(said)).T
    best = np.clip(similarity.max(axis=1), 0.0, 1.0)
    return np.asarray(np.maximum(best, exact), dtype=np.float32), similarity
