"""What a text holds of what a question asks: the evidence features over (question, text)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from qa.lexical import STOPWORDS, Lexicon, stem, terms, words
from qa.reading.kinds import _STRICT_QUANTITY, _STRICT_TIME, _STRICT_YEAR
from qa.reading.question import (
    _DURATION_QUESTION,
    _NAME_QUESTION,
    _QUANTITY_QUESTION,
    _TIME_QUESTION,
    _YEAR_QUESTION,
    _asked_kind,
    asks_for_list,
    asks_for_name,
    focus_terms,
    key_terms,
    question_names,
    topic_terms,
)

_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|van\s+)?[A-Z][\w'’.-]*)*"
_NAME_LIST = re.compile(rf"({_NAME})(?:,\s*{_NAME})*,?\s+(?:and|or|&)\s+({_NAME})")
_CAPITALISED = re.compile(r"(?<![.!?“\"]\s)(?<!^)\b[A-Z][\w'’-]+")


def answer_type_ok(question: str, sentence: str) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for (or it can't tell)."""
    evidence = _asked_kind(question)
    if evidence is not None:
        return 1.0 if _holds(evidence, sentence) else 0.0
    if _NAME_QUESTION.search(question):
        asked = _lower_words(question)
        names = _capitalised_words(sentence)
        return 1.0 if any(name.lower() not in asked for name in names[1:] or names) else 0.0
    return 1.0


# The same candidate sentences and questions come back for every candidate and question:
# what is read from one text alone is kept.
@functools.lru_cache(maxsize=1 << 15)
def _holds(evidence: re.Pattern[str], text: str) -> bool:
    return evidence.search(text) is not None


@functools.lru_cache(maxsize=1 << 15)
def _capitalised_words(text: str) -> tuple[str, ...]:
    return tuple(m.group(0) for m in re.finditer(r"\b[A-Z][\w’'-]+", text))


@functools.lru_cache(maxsize=1 << 15)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[\w'’-]+", text))


@functools.lru_cache(maxsize=256)
def _lower_words(question: str) -> frozenset[str]:
    return frozenset(w.lower() for w in words(question))


@functools.lru_cache(maxsize=256)
def _stems(question: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(question))


def new_names(question: str, text: str) -> list[str]:
    """Capitalised words of text (not opening a sentence) that the question does not have."""
    asked = _stems(question)
    return [
        m.group(0)
        for m in _CAPITALISED.finditer(text.strip())
        if stem(m.group(0).lower().replace("’", "'")) not in asked
    ]


def list_missing(question: str, text: str) -> float:
    """1.0 when the question asks for several names and text lists none it lacks."""
    if not asks_for_list(question):
        return 0.0
    asked = _stems(question)
    for match in _NAME_LIST.finditer(text):
        if any(stem(w) not in asked for w in words(match.group(0)) if w not in STOPWORDS):
            return 0.0
    return 1.0


def no_new_name(question: str, text: str) -> float:
    """1.0 when the question asks for a name or thing and text names nothing new."""
    if not asks_for_name(question):
        return 0.0
    return 0.0 if new_names(question, text) else 1.0


def named_focus(question: str, sentence: str) -> float:
    """1.0 when a focus word of the question stands next to a name the question lacks."""
    focus = set(focus_terms(question))
    if not focus:
        return 0.0
    asked = _lower_words(question)
    tokens = _tokens(sentence)
    for i, token in enumerate(tokens):
        if stem(token.lower()) not in focus:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and tokens[j][:1].isupper() and tokens[j].lower() not in asked:
                return 1.0
    return 0.0


def coverage(weights: dict[str, float], text_terms: set[str]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_terms) / total


def unknown_names(question: str, bm25: Lexicon) -> float:
    """Share of the question's names and numbers found nowhere in the corpus."""
    names = question_names(question)
    if not names:
        return 0.0
    return sum(1 for name in names if not bm25.knows(name)) / len(names)


def terms_unknown(question: str, bm25: Lexicon) -> float:
    """Weighted share of the question's content words that the corpus never uses."""
    asked = key_terms(question, bm25)
    total = sum(asked.values())
    return sum(w for t, w in asked.items() if not bm25.knows(t)) / total if total else 0.0


def focus_unknown(question: str, bm25: Lexicon) -> float:
    """Share of the words naming what the question asks about that the corpus never uses."""
    focus = topic_terms(question)
    return sum(1 for t in focus if not bm25.knows(t)) / len(focus) if focus else 0.0


def rare_missing(question: str, text: str, bm25: Lexicon) -> float:
    """The rarest (highest-idf) question word absent from text, as a share of the top idf."""
    present = set(terms(text))
    missing = [bm25.idf(t) for t in key_terms(question, bm25) if not _fuzzy_in(t, present)]
    return max(missing, default=0.0) / bm25.unseen_idf


def _fuzzy_in(term: str, present: set[str]) -> bool:
    """term is in present, or a word there shares its first five letters ("changed", "change")."""
    if term in present:
        return True
    return len(term) >= 5 and any(p[:5] == term[:5] for p in present if len(p) >= 5)


_NEGATION = re.compile(
    r"\b(not|never|no|none|nobody|nothing|nowhere|neither|nor|without|least|fewest|"
    r"\w+n't|cannot|un\w+able|non-?\w+)\b",
    re.IGNORECASE,
)


def negation_missing(question: str, text: str) -> float:
    """1.0 when the question negates or asks for the least of something and text does not."""
    asked = {m.group(0).lower() for m in _NEGATION.finditer(question)}
    if not asked:
        return 0.0
    found = {m.group(0).lower() for m in _NEGATION.finditer(text)}
    return 0.0 if found else 1.0


_NUMBER = re.compile(r"\b\d[\d,.]*(?:st|nd|rd|th|s)?\b")


def number_missing(question: str, text: str) -> float:
    """1.0 when a number of the question ("1979", "10th") is not in text."""
    found = {m.group(0).rstrip(".,") for m in _NUMBER.finditer(text)}
    return float(any(m.group(0).rstrip(".,") not in found for m in _NUMBER.finditer(question)))


_NEGATING_PREFIXES = ("non", "un", "in", "im", "ir", "il", "dis", "anti", "counter", "mis")
_OPPOSITES = tuple(
    pair.split("/")
    for pair in """east/west eastern/western north/south northern/southern first/last most/least
    before/after increase/decrease rise/fall larger/smaller largest/smallest high/low higher/lower
    highest/lowest earliest/latest earlier/later begin/end start/end win/lose won/lost major/minor
    maximum/minimum older/newer oldest/newest upper/lower inner/outer internal/external
    positive/negative always/never more/less more/fewer accept/reject public/private
    modern/ancient strong/weak success/failure""".split()
)
_OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    _OPPOSITE.setdefault(_a, set()).add(_b)
    _OPPOSITE.setdefault(_b, set()).add(_a)


def opposite_word(question: str, text: str) -> float:
    """1.0 when text has the opposite of a question word the text lacks: "directly" for
    "indirectly", "Muslims" for "non-Muslims", "western" for "Eastern"."""
    asked, found = set(words(question)), set(words(text))
    for word in asked - found:
        if _OPPOSITE.get(word, set()) & found or _unprefixed(word, found):
            return 1.0
    return 1.0 if any(_unprefixed(word, asked) for word in found - asked) else 0.0


def _unprefixed(word: str, others: set[str]) -> bool:
    """word is a negating prefix plus a word of others (or of its first six letters)."""
    if not word.startswith(_NEGATING_PREFIXES):
        return False
    for prefix in _NEGATING_PREFIXES:
        rest = word[len(prefix) :].lstrip("-")
        if not word.startswith(prefix) or len(rest) < 4:
            continue
        if rest in others or (len(rest) >= 6 and any(o.startswith(rest[:6]) for o in others)):
            return True
    return False


_TOKEN = re.compile(r"[\w'’.-]*\w")


def name_swapped(question: str, text: str, span: int = 3) -> float:
    """1.0 when a name or number of the question is missing from text while the words around
    it are there, next to another name: "its army into Iraq" vs "its army into Afghanistan"."""
    asked = _TOKEN.findall(question)
    said = _TOKEN.findall(text)
    asked_stems = {_stem_token(w) for w in asked}
    said_stems = [_stem_token(w) for w in said]
    present = set(said_stems)
    for i, word in enumerate(asked):
        term = _stem_token(word)
        is_name = word[:1].isdigit() or (i > 0 and word[:1].isupper())
        if not is_name or term in STOPWORDS or term in present:
            continue
        around = asked[max(0, i - span) : i] + asked[i + 1 : i + 1 + span]
        anchors = {_stem_token(w) for w in around if w.lower() not in STOPWORDS} & present
        for j, near in enumerate(said_stems):
            if near not in anchors:
                continue
            for k in range(max(0, j - span), min(len(said), j + span + 1)):
                other = said[k]
                if said_stems[k] in asked_stems or other.lower() in STOPWORDS:
                    continue
                if (other[:1].isupper() or other[:1].isdigit()) and (
                    other[:1].isdigit() == word[:1].isdigit()
                ):
                    return 1.0
    return 0.0


def _stem_token(token: str) -> str:
    return stem(token.lower().replace("’", "'"))


@functools.lru_cache(maxsize=256)
def _token_stems(question: str) -> frozenset[str]:
    return frozenset(_stem_token(w) for w in _TOKEN.findall(question))


def typed_spans(question: str, tokens: Sequence[str]) -> list[int]:
    """Positions of the tokens that are what the question asks for and the question lacks:
    a year or a date, a number, a name (a capitalised word not opening the sentence)."""
    asked = _token_stems(question)
    if _YEAR_QUESTION.search(question):
        kind = _STRICT_YEAR
    elif _TIME_QUESTION.search(question):
        kind = _STRICT_TIME
    elif _DURATION_QUESTION.search(question) or _QUANTITY_QUESTION.search(question):
        kind = _STRICT_QUANTITY
    elif asks_for_name(question):
        return [
            i
            for i, t in enumerate(tokens)
            if i > 0
            and t[:1].isupper()
            and _stem_token(t) not in asked
            and t.lower() not in STOPWORDS
        ]
    else:
        return []
    return [i for i, t in enumerate(tokens) if kind.match(t) and _stem_token(t) not in asked]


def names_missing(question: str, text: str) -> float:
    """Share of the question's names and numbers that the text does not contain."""
    names = question_names(question)
    if not names:
        return 0.0
    present = {stem(w) for w in words(text)}
    return sum(1 for name in names if name not in present) / len(names)
