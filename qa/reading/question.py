"""What a question asks for: its kind of answer, its focus, its names and its key terms."""

from __future__ import annotations

import functools
import re

from qa.lexical import STOPWORDS, Lexicon, stem, terms, words
from qa.reading.kinds import _DURATION_EVIDENCE, _QUANTITY_EVIDENCE, _TIME_EVIDENCE, _YEAR_EVIDENCE

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
_DURATION_QUESTION = re.compile(r"\bhow long\b(?! ago)", re.IGNORECASE)
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


def key_terms(question: str, bm25: Lexicon) -> dict[str, float]:
    """The question's content terms with their weights (rarer words weigh more)."""
    out: dict[str, float] = {}
    for term in terms(question):
        out[term] = max(out.get(term, 0.0), bm25.idf(term))
    return out


def question_names(question: str) -> list[str]:
    """Stems of the capitalised words and numbers of a question, bar its first word."""
    first = len(question) - len(question.lstrip())
    return [
        stem(match.group(0).lower().rstrip(".,"))
        for match in _QUESTION_NAME.finditer(question)
        if match.start() != first and match.group(0).lower() not in STOPWORDS
    ]


def name_words(question: str) -> list[str]:
    """The lower-cased words of a question's names and numbers, bar its first word:
    "Al-Banna's" gives "al" and "banna"."""
    first = len(question) - len(question.lstrip())
    return [
        word
        for match in _QUESTION_NAME.finditer(question)
        if match.start() != first
        for word in words(match.group(0))
        if word not in STOPWORDS
    ]


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
