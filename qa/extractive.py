"""The extractive answerer: pick the source sentences that answer, or decline."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from index import StoredChunk
from index.vectors import windows
from qa.answer import Answer, Citation, strip_markers
from qa.lexical import BM25, STOPWORDS, stem, terms, words

DECLINE_TEXT = "The documents don't say: no indexed passage answers this question."
MAX_ANSWER_CHARS = 350  # the whole answer text, markers included
_MARKER_CHARS = 5  # " [n]" and the space between sentences


FEATURES = (
    "dense",  # cosine of question and sentence
    "lexical",  # share of the question's weighted terms found in the sentence
    "context",  # share of the question's weighted terms found in the sentence's chunk
    "rank",  # 1 / (1 + rank of the chunk in hybrid retrieval)
    "type_ok",  # the sentence holds what the question asks for (a date, a number, a name)
    "repeated",  # the sentence was already given in an earlier answer
    "novel",  # the sentence says something the question does not
    "short",  # the sentence is under 40 characters
    "soft",  # like lexical, but a question word also counts by its nearest sentence word
    "soft_context",  # soft coverage of the question by the whole chunk
    "dense_window",  # cosine of question and the sentence read with the one before it
    "named_focus",  # what the question asks about stands next to a name: "President Joe Biden"
    "type_near",  # the sentence or a neighbour holds what the question asks for
    "list_missing",  # the question asks for several names ("which territories") and it has none
    "no_new_name",  # the question asks for a name or thing and the sentence names nothing new
)
SUPPORT_FEATURES = (
    "score",  # the best sentence's score
    "dense",
    "lexical",
    "context",
    "type_ok",
    "unknown",  # share of the question's names and numbers found nowhere in the corpus
    "missing",  # weighted share of the question's terms absent from the best chunk
    "margin",  # best score minus the runner-up's
    "soft_context",  # soft coverage of the question by the best sentence's chunk
    "worst",  # how well the least-covered question word is matched in that chunk
    "focus",  # how well what the question asks about ("population") is matched there
    "type_context",  # that chunk holds the kind of thing the question asks for
    "names_missing",  # share of the question's names and numbers absent from the best sentence
    "terms_unknown",  # weighted share of the question's words found nowhere in the corpus
    "focus_unknown",  # what the question asks about ("GDP") is found nowhere in the corpus
    "rare_missing",  # the rarest question word absent from the best sentence and its neighbours
    "type_near",  # the best sentence or a neighbour holds what the question asks for
    "soft_near",  # soft coverage of the question by the best sentence and its neighbours
    "list_missing",  # the best sentence lacks the list of names the question asks for
    "no_new_name",  # the best sentence names nothing the question does not
    "negation_missing",  # the question says "not", "never", "least"; the best passage does not
    "names_missing_near",  # share of the question's names absent from the best neighbourhood
    "contradiction",  # the best passage says the opposite ("directly" for "indirectly", "west"
    # for "east") or lacks the question's number ("1979")
    "name_swapped",  # a name of the question is missing and another name stands in its place
)


@dataclass(frozen=True)
class Weights:
    """Sentence-score weights and the decline model (calibrated by benchmarks/calibrate.py)."""

    sentence: tuple[float, ...] = (
        2.5, 1.026, 1.126, 0.974, 1.776, -3.0, 0.216, -0.188, 2.505, 2.145, 2.657, 1.315,
        -0.759, -0.836, -0.502,
    )  # fmt: skip
    support: tuple[float, ...] = (
        -0.0822, 2.0475, -0.6426, -0.5236, 1.0366, -1.0, 0.5236, 0.1162, -0.0631, 0.8494,
        0.7772, 0.7819, 0.0231, -0.3674, -0.1064, -0.8166, 0.7819, 1.1463, 0.2429, 0.1548,
        -1.7199, -0.2766, -2.1509, -0.4835,
    )  # fmt: skip
    support_bias: float = -3.6743
    threshold: float = 0.2118
    second_margin: float = 1.0
    complement_margin: float = 4.0
    trim_margin: float = 2.0  # a runner-up this close comes along, both cut to their clauses


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved chunk, with its features and score."""

    source: str
    start: int
    end: int
    text: str
    context: str
    rank: int
    previous: str = ""
    following: str = ""
    features: tuple[float, ...] = ()
    score: float = 0.0
    vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    window_vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    # the sentence's clauses: (start, end) offsets in text and how much of the question each
    # holds, so a long sentence can be cut to its part that answers (see trimmed)
    clauses: tuple[tuple[int, int, float], ...] = field(default=(), compare=False, repr=False)

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]


# What a question asks for, and what evidence of that looks like.
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_TIME_EVIDENCE = re.compile(
    rf"\b(\d{{3,4}}s?|\d{{1,2}}(st|nd|rd|th)|{_MONTHS}|centur(y|ies)|decades?|years?|"
    r"today|tonight|yesterday|tomorrow|morning|afternoon|evening|night|weeks?|months?|days?|"
    r"hours?|minutes?|spring|summer|autumn|winter|eras?|ages?|periods?|times?|bc|ad|bce|ce|"
    r"ago|future|soon|recently|formerly|currently|annual|daily|weekly|monthly|dynasty|reign)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|"
    "several|few|many|most|some|all|tens|percent|per cent|majority|minority|single|double|twice|"
    "once|both|none|no"
)
_QUANTITY_EVIDENCE = re.compile(rf"(\d|%|\b({_NUMBER_WORDS})\b)", re.IGNORECASE)
_TIME_QUESTION = re.compile(
    r"(^\s*(\w+\s+)?when\b|\b(what|which) (year|date|day|month|time|century|decade|"
    r"period|era|season|week|age)s?\b|\bhow long ago\b|\bwhat time\b)",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|far|old|big|large|tall|high|fast|often|deep|wide|heavy)|"
    r"(what|which) (percentage|percent|proportion|share|fraction|number|amount|size|population|"
    r"portion|part|distance|length|height|weight|speed|rate|price|cost|temperature|ratio)s?)\b",
    re.IGNORECASE,
)
_NAME_QUESTION = re.compile(
    r"^\s*(who|whom|whose|where|(which|what) (person|people|man|woman|leader|leaders|country|"
    r"countries|city|cities|state|nation|place|organization|company|team|group|president))\b",
    re.IGNORECASE,
)
_QUESTION_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*|\d[\w,.]*)")


_YEAR_QUESTION = re.compile(r"\b(what|which) (year|century|decade)s?\b", re.IGNORECASE)
_YEARS = r"\d{3,4}s?|centur(?:y|ies)|decades?"  # "1979", "1920s", "century", "decades"
_YEAR_EVIDENCE = re.compile(rf"\b({_YEARS})\b", re.IGNORECASE)
_DURATION_QUESTION = re.compile(r"\bhow long\b(?! ago)", re.IGNORECASE)
_DURATION_EVIDENCE = re.compile(
    rf"(\d|\b({_NUMBER_WORDS}|an?)\b)[\w\s,-]{{0,20}}\b(seconds?|minutes?|hours?|days?|"
    r"weeks?|months?|years?|decades?|centur(y|ies)|miles?|kilomet(er|re)s?|km|meters?|metres?|"
    r"feet|foot|inches?)\b",
    re.IGNORECASE,
)
_FOCUS = re.compile(
    r"^\s*(?:\w+\s+)?(?:what|which|whose|who|how many|how much)\s+"
    r"(?:(?:is|was|are|were|did|does|do|has|have|had)\s+)?(?:(?:the|a|an)\s+)?"
    r"((?:[\w'’-]+\s+){0,2}?[\w'’-]+?)"
    r"(?=\s+(?:of|in|for|did|does|do|is|was|are|were|has|have|had|that|which|who|to|on|at|"
    r"by|from|about|with|would|will|could|can|should)\b|\s*[?.!]|\s*$)",
    re.IGNORECASE,
)
_GENERIC_FOCUS = frozenset(
    "name names kind type sort part thing things word words one ones way ways role main "
    "people person".split()
)


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


@functools.lru_cache(maxsize=256)  # every candidate sentence asks it of the same question
def _asked_kind(question: str) -> re.Pattern[str] | None:
    """The evidence of the year, time, duration or quantity the question asks for."""
    for asked, evidence in (
        (_YEAR_QUESTION, _YEAR_EVIDENCE),
        (_TIME_QUESTION, _TIME_EVIDENCE),
        (_DURATION_QUESTION, _DURATION_EVIDENCE),
        (_QUANTITY_QUESTION, _QUANTITY_EVIDENCE),
    ):
        if asked.search(question):
            return evidence
    return None


_WHAT_NOUN = re.compile(
    r"^\s*(?:\w+\s+)?(?:which|what)\s+(?!(?:is|was|are|were|did|does|do|has|have|had|can|could|"
    r"would|will|should|might|may|must|happened|happens|caused|causes|made|makes|kind|type|"
    r"sort)\b)[a-z]",
    re.IGNORECASE,
)
_WHO_WHERE = re.compile(r"^\s*(?:\w+\s+)?(?:who|whom|whose|where)\b", re.IGNORECASE)
_NAME_LIST_QUESTION = re.compile(r"^\s*name\b|\bnames\b|\bwho (were|are)\b", re.IGNORECASE)
_NAME = r"[A-Z][\w'’.-]*(?:\s+(?:of\s+|de\s+|van\s+)?[A-Z][\w'’.-]*)*"
_NAME_LIST = re.compile(rf"({_NAME})(?:,\s*{_NAME})*,?\s+(?:and|or|&)\s+({_NAME})")
_CAPITALISED = re.compile(r"(?<![.!?“\"]\s)(?<!^)\b[A-Z][\w'’-]+")


@functools.lru_cache(maxsize=256)
def asks_for_name(question: str) -> bool:
    """Who/where questions and "which/what <noun>" ones, bar dates and quantities."""
    if _TIME_QUESTION.search(question) or _QUANTITY_QUESTION.search(question):
        return False
    return bool(_WHO_WHERE.match(question) or _WHAT_NOUN.match(question))


@functools.lru_cache(maxsize=256)
def asks_for_list(question: str) -> bool:
    """The question asks for several names: "which territories", "name the leaders"."""
    if _NAME_LIST_QUESTION.search(question):
        return True
    if not asks_for_name(question) or not _WHAT_NOUN.match(question):
        return False
    match = _FOCUS.match(question)
    if not match:
        return False
    last = words(match.group(1))[-1:]
    return bool(last) and last[0].endswith("s") and stem(last[0]) != last[0]


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


def focus_terms(question: str) -> list[str]:
    """The stems of what a what/which/who question asks about ("population", "capital")."""
    return list(_focus_terms(question))


@functools.lru_cache(maxsize=256)
def _focus_terms(question: str) -> tuple[str, ...]:
    match = _FOCUS.match(question)
    if not match:
        return ()
    found = [w for w in words(match.group(1)) if w not in STOPWORDS and w not in _GENERIC_FOCUS]
    return tuple(stem(w) for w in found)


def key_terms(question: str, bm25: BM25) -> dict[str, float]:
    """The question's content terms with their weights (rarer words weigh more)."""
    out: dict[str, float] = {}
    for term in terms(question):
        out[term] = max(out.get(term, 0.0), bm25.idf(term))
    return out


def coverage(weights: dict[str, float], text_terms: set[str]) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_terms) / total


def question_names(question: str) -> list[str]:
    """Stems of the capitalised words and numbers of a question, bar its first word."""
    first = len(question) - len(question.lstrip())
    return [
        stem(match.group(0).lower().rstrip(".,"))
        for match in _QUESTION_NAME.finditer(question)
        if match.start() != first and match.group(0).lower() not in STOPWORDS
    ]


def unknown_names(question: str, bm25: BM25) -> float:
    """Share of the question's names and numbers found nowhere in the corpus."""
    names = question_names(question)
    if not names:
        return 0.0
    return sum(1 for name in names if not bm25.knows(name)) / len(names)


def terms_unknown(question: str, bm25: BM25) -> float:
    """Weighted share of the question's content words that the corpus never uses."""
    asked = key_terms(question, bm25)
    total = sum(asked.values())
    return sum(w for t, w in asked.items() if not bm25.knows(t)) / total if total else 0.0


_TOPIC = re.compile(
    r"^\s*(?:(?:in|on|at|of|for|from|by|to|during|under)\s+)?(?:what|which|whose)\s+"
    r"(?:(?:is|was|are|were)\s+)?(?:(?:the|a|an)\s+)?((?:[\w'’-]+\s+)?[\w'’-]+?)"
    r"(?=\s+(?:of|in|for|did|does|do|is|was|are|were|has|have|had|that|which|who|to|on|at|"
    r"by|from|about|with|would|will|could|can|should)\b|\s*[?.!]|\s*$)",
    re.IGNORECASE,
)
# nouns that name the kind of answer rather than the topic: "which day", "what percentage"
_ANSWER_KIND = frozenset(
    "day days date dates year years time times month months century decade period era age "
    "percentage percent fraction proportion share number amount figure size rate format "
    "adjective adjectives word words term terms phrase information detail details thing "
    "things name names kind type sort part one ones way ways role main people person".split()
)


def topic_terms(question: str) -> list[str]:
    """The stems of what a "what/which <noun>" question asks about, bar answer kinds."""
    match = _TOPIC.match(question)
    if not match or match.group(1).split()[0].lower() in {"do", "does", "did", "has", "have"}:
        return []
    found = words(match.group(1))
    return [stem(w) for w in found if w not in STOPWORDS and w not in _ANSWER_KIND]


def focus_unknown(question: str, bm25: BM25) -> float:
    """Share of the words naming what the question asks about that the corpus never uses."""
    focus = topic_terms(question)
    return sum(1 for t in focus if not bm25.knows(t)) / len(focus) if focus else 0.0


def rare_missing(question: str, text: str, bm25: BM25) -> float:
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


_STRICT_TIME = re.compile(rf"^({_YEARS}|\d{{1,2}}(st|nd|rd|th)|{_MONTHS})$", re.IGNORECASE)
_STRICT_YEAR = re.compile(rf"^({_YEARS})$", re.IGNORECASE)
_STRICT_QUANTITY = re.compile(
    r"^(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|"
    r"billions?|trillions?|dozens?|half|third|quarter|percent|twice|double)$",
    re.IGNORECASE,
)


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


def candidates(hits: Sequence[tuple[StoredChunk, float, float]]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, once, tagged with its chunk's rank, with its
    vector and its window's (see window) when the chunk was stored with its sentence vectors."""
    seen: set[tuple[str, int]] = set()
    out = []
    for rank, (chunk, _fused, _sim) in enumerate(hits):
        spans = [(s, e, chunk.text[s - chunk.start : e - chunk.start]) for s, e in chunk.sentences]
        stored = chunk.sentence_vectors()
        read = windows(stored) if stored is not None else None
        for i, (start, end, text) in enumerate(spans):
            if (chunk.source, start) in seen or not text.strip():
                continue
            seen.add((chunk.source, start))
            previous = spans[i - 1][2] if i else ""
            following = spans[i + 1][2] if i + 1 < len(spans) else ""
            vectors = (stored[i], read[i]) if stored is not None and read is not None else None
            out.append(
                Candidate(
                    chunk.source, start, end, text, chunk.text, rank, previous, following,
                    vector=vectors[0] if vectors else None,
                    window_vector=vectors[1] if vectors else None,
                )
            )  # fmt: skip
    return out


def window(candidate: Candidate) -> str:
    """The sentence with the one before it, so "He said ..." keeps who "he" is."""
    return f"{candidate.previous} {candidate.text}".strip()


def neighbourhood(candidate: Candidate) -> str:
    """The sentence with the ones before and after it in its chunk."""
    return f"{candidate.previous} {candidate.text} {candidate.following}".strip()


class WordMatch:
    """Soft matching of question words to text words through their embeddings.

    A question word found in the text (same stem) counts 1; otherwise it counts its cosine
    with the nearest text word, so "Paris" partly matches "France" and "GDP" matches nothing.
    """

    def __init__(self, question: str, texts: Sequence[str], embed_words: WordEmbedder, bm25: BM25):
        self.asked = key_terms(question, bm25)
        self._matched: dict[str, NDArray[np.float32]] = {}  # text -> matches(text)
        pairs = [(stem(w), w) for w in words(question) if w not in STOPWORDS]
        surface: dict[str, str] = {}
        for term, word in pairs:
            surface.setdefault(term, word)
        self.terms = list(self.asked)
        self._weights = np.array([self.asked[t] for t in self.terms])
        vocabulary = sorted({w for text in texts for w in words(text) if w not in STOPWORDS})
        self.column = {w: i for i, w in enumerate(vocabulary)}
        if self.terms and vocabulary:
            q = embed_words([surface.get(t, t) for t in self.terms])
            v = embed_words(vocabulary)
            self.similarity = np.clip(q @ v.T, 0.0, 1.0)
        else:
            self.similarity = np.zeros((len(self.terms), len(vocabulary)), dtype=np.float32)

    def matches(self, text: str) -> NDArray[np.float32]:
        """Per question term: 1 if its stem is in text, else its best cosine with a text word."""
        if text not in self._matched:
            self._matched[text] = self._match(text)
        return self._matched[text]

    def _match(self, text: str) -> NDArray[np.float32]:
        present = [w for w in words(text) if w in self.column]
        stems = {stem(w) for w in present}
        if not self.terms:
            return np.zeros(0, dtype=np.float32)
        if present:
            best = self.similarity[:, [self.column[w] for w in present]].max(axis=1)
        else:
            best = np.zeros(len(self.terms), dtype=np.float32)
        exact = np.array([t in stems for t in self.terms], dtype=np.float32)
        return np.asarray(np.maximum(best, exact), dtype=np.float32)

    def focus(self, question: str, text: str) -> float:
        """The weakest match, in text, of the terms naming what the question asks about."""
        wanted = [self.terms.index(t) for t in focus_terms(question) if t in self.terms]
        if not wanted:
            return 1.0
        return float(self.matches(text)[wanted].min())

    def coverage(self, text: str) -> tuple[float, float]:
        """(idf-weighted soft coverage, weakest single match) of the question by text."""
        if not self.terms:
            return 0.0, 0.0
        match = self.matches(text)
        return float(match @ self._weights / self._weights.sum()), float(match.min())


WordEmbedder = Callable[[list[str]], "NDArray[np.float32]"]


def score_candidates(
    question: str,
    query: str,
    found: list[Candidate],
    question_vector: NDArray[np.float32],
    sentence_vectors: NDArray[np.float32],
    window_vectors: NDArray[np.float32],
    bm25: BM25,
    embed_words: WordEmbedder,
    previous_answers: Sequence[str] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> Ranking:
    """Score every candidate sentence for the question; best first."""
    asked = key_terms(question, bm25)
    matcher = WordMatch(question, [c.context for c in found], embed_words, bm25)
    if not found:
        return Ranking(question, query, (), matcher, bm25)
    dense = sentence_vectors @ question_vector
    dense_window = window_vectors @ question_vector
    w = np.asarray(weights.sentence)
    context_soft: dict[str, float] = {}
    scored = []
    for i, cand in enumerate(found):
        if cand.context not in context_soft:
            context_soft[cand.context] = matcher.coverage(cand.context)[0]
        repeated = any(cand.text.strip() in answer for answer in previous_answers)
        features = sentence_features(
            question, cand, float(dense[i]), float(dense_window[i]), repeated, asked, matcher,
            context_soft[cand.context],
        )  # fmt: skip
        scored.append(replace(cand, features=features, score=float(np.dot(w, features))))
    fresh = [c for c in scored if not c.feature("repeated")] or scored
    return Ranking(question, query, tuple(sorted(fresh, key=lambda c: -c.score)), matcher, bm25)


def sentence_features(
    question: str,
    cand: Candidate,
    dense: float,
    dense_window: float,
    repeated: bool,
    asked: dict[str, float],
    matcher: WordMatch,
    context_soft: float,
) -> tuple[float, ...]:
    """The FEATURES of one candidate sentence."""
    sentence_terms = set(terms(cand.text))
    return (
        dense,
        coverage(asked, sentence_terms),
        coverage(asked, set(terms(cand.context))),
        1.0 / (1 + cand.rank),
        answer_type_ok(question, cand.text),
        float(repeated),
        float(bool(sentence_terms - set(asked))),
        float(len(cand.text) < 40),
        matcher.coverage(cand.text)[0],
        context_soft,
        dense_window,
        named_focus(question, cand.text),
        answer_type_ok(question, neighbourhood(cand)),
        list_missing(question, cand.text),
        no_new_name(question, cand.text),
    )


@dataclass(frozen=True)
class Ranking:
    """The candidate sentences for one question, best first, and what scored them."""

    question: str
    query: str
    ranked: tuple[Candidate, ...]
    matcher: WordMatch
    bm25: BM25

    def __post_init__(self) -> None:
        # the sentences an answer can be cut from (see with_trimmed_runner_up) get their clauses
        asked = self.matcher.asked
        top = [
            c if c.clauses else replace(c, clauses=clause_scores(self.question, c.text, asked))
            for c in self.ranked[:_TRIMMABLE]
        ]
        object.__setattr__(self, "ranked", (*top, *self.ranked[_TRIMMABLE:]))

    def reweighted(self, weights: Weights) -> Ranking:
        w = np.asarray(weights.sentence)
        rescored = [replace(c, score=float(np.dot(w, c.features))) for c in self.ranked]
        return replace(self, ranked=tuple(sorted(rescored, key=lambda c: -c.score)))

    def restricted(self, keep: Callable[[Candidate], bool]) -> Ranking:
        """Only the candidates keep accepts, unless it accepts none."""
        kept = tuple(c for c in self.ranked if keep(c))
        return replace(self, ranked=kept) if kept else self

    def support_features(self) -> tuple[float, ...]:
        return support_features(list(self.ranked), self.question, self.bm25, self.matcher)


def support_features(
    ranked: list[Candidate], question: str, bm25: BM25, matcher: WordMatch
) -> tuple[float, ...]:
    """What the decline model looks at: how well the best sentence matches the question."""
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else best.score - 1.0
    asked = key_terms(question, bm25)
    context_terms = set(terms(best.context))
    soft, worst = matcher.coverage(best.context)
    near = neighbourhood(best)
    return (
        best.score,
        best.feature("dense"),
        best.feature("lexical"),
        best.feature("context"),
        best.feature("type_ok"),
        unknown_names(question, bm25),
        1.0 - coverage(asked, context_terms),
        best.score - runner_up,
        soft,
        worst,
        matcher.focus(question, best.context),
        answer_type_ok(question, best.context),
        names_missing(question, window(best)),
        terms_unknown(question, bm25),
        focus_unknown(question, bm25),
        rare_missing(question, near, bm25),
        answer_type_ok(question, near),
        matcher.coverage(near)[0],
        best.feature("list_missing"),
        best.feature("no_new_name"),
        negation_missing(question, near),
        names_missing(question, near),
        max(opposite_word(question, window(best)), number_missing(question, near)),
        name_swapped(question, window(best)),
    )


def support(features: Sequence[float], weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Probability-like confidence that the best sentence answers the question."""
    z = weights.support_bias + float(np.dot(weights.support, features))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def confidence(ranking: Ranking, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """How sure the answerer is that its best sentence answers; 0.0 means decline.

    The calibrated model decides, with one veto: when the question asks for a kind of thing
    (a year, a number, a duration, a name) that the best passage does not hold at all.
    """
    if not ranking.ranked:
        return 0.0
    features = ranking.support_features()
    if not features[SUPPORT_FEATURES.index("type_context")]:
        return 0.0
    p = support(features, weights)
    return p if p >= weights.threshold else 0.0


def choose(ranked: Sequence[Candidate], weights: Weights = DEFAULT_WEIGHTS) -> list[Candidate]:
    """The best sentence, plus close runners-up while the answer stays short.

    When the best sentence lacks what the question asks for (a date, a number, a list of
    names) and a neighbouring sentence of the same passage has it, the neighbour comes along:
    a quote followed by its author, a claim followed by its figure. Failing a neighbour, the
    best sentence of the same source that has it comes along (or, when both do not fit, answers
    alone), if it scores close enough.
    """
    if not ranked:
        return []
    # the same sentence in two places (a copied file) is quoted once: its best-ranked copy
    first = {c.text.strip(): c for c in reversed(ranked)}
    ranked = [c for c in ranked if first[c.text.strip()] is c]
    best = ranked[0]
    chosen = [best]
    length = len(best.text) + _MARKER_CHARS
    if lacking(best):
        for other in ranked[1:]:
            neighbour = (
                other.source == best.source
                and other.context == best.context
                and (other.previous == best.text or best.previous == other.text)
            )
            if (
                neighbour
                and not lacking(other)
                and length + len(other.text) + _MARKER_CHARS <= MAX_ANSWER_CHARS
            ):
                chosen.append(other)
                length += len(other.text) + _MARKER_CHARS
                break
        for other in ranked[1:] if len(chosen) == 1 else ():
            # no neighbour has it: the best-scored sentence of the same source that does
            if other.score < best.score - weights.complement_margin:
                break
            if other.source == best.source and not lacking(other):
                if length + len(other.text) + _MARKER_CHARS <= MAX_ANSWER_CHARS:
                    chosen.append(other)
                    length += len(other.text) + _MARKER_CHARS
                else:  # both do not fit: the sentence that has it answers
                    chosen = [other]
                    length = len(other.text) + _MARKER_CHARS
                break
    for other in ranked[1:4]:
        if other.score < best.score - weights.second_margin:
            break
        if other in chosen or other.feature("repeated"):
            continue
        if length + len(other.text) + _MARKER_CHARS > MAX_ANSWER_CHARS:
            continue
        chosen.append(other)
        length += len(other.text) + _MARKER_CHARS
    if len(chosen) == 1:
        chosen = with_trimmed_runner_up(chosen, ranked, weights)
    return sorted(chosen, key=lambda c: (c.source, c.start))


_MIN_TRIMMED = 60  # a cut sentence shorter than this says too little to come along
_TRIMMABLE = 3  # the best sentence and the two runners-up that may come along, cut


def with_trimmed_runner_up(
    chosen: list[Candidate], ranked: Sequence[Candidate], weights: Weights
) -> list[Candidate]:
    """The best sentence alone, and a close runner-up did not fit: both come along, each cut
    to its clauses that hold the most of the question (a verbatim slice still)."""
    best = chosen[0]
    room = MAX_ANSWER_CHARS - 2 * _MARKER_CHARS
    for other in ranked[1:_TRIMMABLE]:
        if other.score < best.score - weights.trim_margin:
            break
        if other.feature("repeated") or other.text.strip() == best.text.strip():
            continue
        first = trimmed(best, max(room // 2, room - len(other.text.strip())))
        if first is None:
            return chosen
        second = trimmed(other, room - len(first.text))
        if second is None:
            return chosen
        return [first, second]
    return chosen


_CLAUSE_END = re.compile(r"[,;:()\[\]—–]|\s-\s")


def clause_scores(
    question: str, text: str, asked: dict[str, float]
) -> tuple[tuple[int, int, float], ...]:
    """The clauses of a sentence (cut after , ; : brackets and dashes), each with the weighted
    share of the question's terms it holds, plus one half when it holds what the question
    asks for and lacks (a date, a number, a name)."""
    cuts = [0] + [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    total = sum(asked.values()) or 1.0
    out = []
    for start, end in itertools.pairwise(cuts):
        if end <= start:
            continue
        part = text[start:end]
        held = set(terms(part))
        score = sum(w for t, w in asked.items() if t in held) / total
        tokens = _TOKEN.findall(part)
        typed = typed_spans(question, ["", *tokens] if start else tokens)
        out.append((start, end, score + (0.5 if typed else 0.0)))
    return tuple(out)


def trimmed(candidate: Candidate, budget: int) -> Candidate | None:
    """The candidate cut to at most budget characters: the clause that holds the most of the
    question, grown by its neighbours (the better one first) while they fit; None when that
    clause alone does not fit, the cut says too little or leaves a bracket open."""
    text = candidate.text
    if len(text.strip()) <= budget:
        return candidate
    clauses = candidate.clauses
    if not clauses:
        return None
    i = j = max(range(len(clauses)), key=lambda k: clauses[k][2])

    def size(lo: int, hi: int) -> int:
        a, b = _tidy(text, clauses[lo][0], clauses[hi][1])
        return b - a

    if size(i, j) > budget:
        return None
    while True:
        grown = [(clauses[j + 1][2], i, j + 1)] if j + 1 < len(clauses) else []
        grown += [(clauses[i - 1][2], i - 1, j)] if i > 0 else []
        fits = [g for g in sorted(grown, key=lambda g: -g[0]) if size(g[1], g[2]) <= budget]
        if not fits:
            break
        _, i, j = fits[0]
    while not _balanced(text[clauses[i][0] : clauses[j][1]]):  # take in the other bracket
        if _opens_more(text[clauses[i][0] : clauses[j][1]]) and j + 1 < len(clauses):
            j += 1
        elif i > 0:
            i -= 1
        else:
            return None
        if size(i, j) > budget:
            return None
    a, b = _tidy(text, clauses[i][0], clauses[j][1])
    if b - a < _MIN_TRIMMED:
        return None
    return replace(candidate, text=text[a:b], start=candidate.start + a, end=candidate.start + b)


def _balanced(text: str) -> bool:
    """Every bracket in text is closed in text: a cut never reads "immunization) is"."""
    depth = {"(": 0, "[": 0}
    for char in text:
        if char in "([":
            depth[char] += 1
        elif char in ")]":
            depth["(" if char == ")" else "["] -= 1
            if min(depth.values()) < 0:
                return False
    return not any(depth.values())


def _opens_more(text: str) -> bool:
    """text opens more brackets than it closes."""
    return text.count("(") + text.count("[") > text.count(")") + text.count("]")


def _tidy(text: str, a: int, b: int) -> tuple[int, int]:
    """Offsets a..b of text without the spaces and clause marks at either end."""
    while a < b and (text[a].isspace() or text[a] in ",;:)]—–-"):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:([—–-"):
        b -= 1
    return a, b


def lacking(candidate: Candidate) -> bool:
    """The sentence lacks what the question asks for: a date, a number, a name, a list."""
    return not candidate.feature("type_ok") or bool(candidate.feature("list_missing"))


def compose(chosen: list[Candidate], confidence: float) -> tuple[str, tuple[Citation, ...]]:
    """Join sentences into an answer with [n] markers and build the citations."""
    parts, citations = [], []
    for n, cand in enumerate(chosen, start=1):
        text = strip_markers(cand.text.strip())  # a document's own "[9]" is not our marker
        if text[-1:] in ".!?" and not text.endswith("..."):
            parts.append(f"{text[:-1]} [{n}]{text[-1]}")
        else:
            parts.append(f"{text} [{n}]")
        citations.append(
            Citation(n, cand.text, cand.source, cand.start, cand.end, round(confidence, 4))
        )
    return " ".join(parts), tuple(citations)


def decline(question: str, search_query: str = "") -> Answer:
    return Answer(
        text=DECLINE_TEXT,
        citations=(),
        answered=False,
        question=question,
        search_query=search_query or question,
    )
