"""The typed spans of a text (a count, a date, a sum), each bound to what it measures."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qa.lexical import STOPWORDS, stem, words
from qa.reading.asked import Asked

_UNITS = {
    "1": "one a an", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven",
    "12": "twelve dozen", "13": "thirteen", "14": "fourteen", "15": "fifteen", "16": "sixteen",
    "17": "seventeen", "18": "eighteen", "19": "nineteen", "20": "twenty", "30": "thirty",
    "40": "forty", "50": "fifty", "60": "sixty", "70": "seventy", "80": "eighty", "90": "ninety",
}  # fmt: skip
_WORD_NUMBER = "|".join(w for v in _UNITS.values() for w in v.split() if w not in ("a", "an"))
_SCALE = r"(?:hundred|thousand|million|billion|trillion|dozen)s?"
_DIGITS = r"\d+(?:[,.]\d+)*"
# a number: "1,200", "3.5 million", "twenty-one", "tens of thousands", "a hundred", "several
# hundred", "dozens of"
_NUMBER = (
    rf"(?:{_DIGITS}(?:\s*-?\s*{_SCALE})*|(?:(?:{_WORD_NUMBER})(?:[\s-]+(?:{_WORD_NUMBER}))*"
    rf"|an?|several|few|many)(?:[\s-]+(?:and\s+)?{_SCALE})+|(?:{_WORD_NUMBER})(?:-(?:{_WORD_NUMBER}))?"
    rf"|(?:tens|hundreds|thousands|millions|billions|dozens|scores)(?:\s+of\s+"
    rf"(?:thousands|millions|billions))?)"
)
_TIME_UNIT = (
    r"(?:second|minute|hour|day|night|week|fortnight|month|year|decade|centur(?:y|ie)|"
    r"millenni(?:um|a))s?"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ORDINAL = (
    r"(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
    r"nineteenth|twentieth|twenty-first)"
)
_YEAR = r"(?:[12]\d{3}|\d{1,4}\s*(?:bc|ad|bce|ce|b\.c\.|a\.d\.))s?|'\d0s|(?:[12]\d{3}s)"
_CURRENCY = (
    r"(?:dollars?|pounds?|euros?|yen|yuan|francs?|marks?|rubles?|roubles?|rupees?|pesos?|"
    r"shillings?|pence|cents?|guineas?|lire|lira|crowns?|kronor|krona|usd|gbp|eur|bucks)"
)
_LENGTH_UNIT = (
    r"(?:km|kilomet(?:er|re)s?|met(?:er|re)s?|m|cm|mm|miles?|mi|feet|foot|ft|inch(?:es)?|yards?|"
    r"acres?|hectares?|ha|sq|square|km2|m2|kg|kilograms?|grams?|g|tons?|tonnes?|pounds?|lbs?|"
    r"ounces?|oz|litres?|liters?|gallons?|degrees?|°|mph|knots?|kph|km/h|volts?|watts?|mw|kw|"
    r"hz|horsepower|hp|bytes?|kb|mb|gb)"
)
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("age", rf"\b(?:aged?|ages|age of|at)\s+(?:about\s+|around\s+)?\d{{1,3}}\b(?![,.]?\d)|"
            rf"\b(?:{_NUMBER})[\s-]+(?:years?|months?)[\s-]+old\b|\b(?:{_NUMBER})-year-olds?\b|"
            r"\b(?:teens?|teenagers?|twenties|thirties|forties|fifties|sixties|seventies|eighties|"
            r"nineties|infants?|toddlers?)\b"),
    ("percent", rf"{_DIGITS}\s*(?:%|per\s?cents?\b|percent(?:age points?)?\b)"),
    ("percent", rf"(?:{_NUMBER})\s+(?:per\s?cents?|percent)\b"),
    ("money", rf"(?:us|a|c|hk)?[$£€¥]\s?{_DIGITS}(?:\s*-?\s*(?:{_SCALE}|[mbk]n?)\b)*"),
    ("money", rf"{_NUMBER}\s+(?:\w+\s+)?{_CURRENCY}\b"),
    ("percent", r"\b(?:(?:a|one|two|three)[\s-](?:half|third|quarter|fifth|sixth|eighth|ninth|"
                r"tenth)s?|half|two-thirds|three-quarters|majority|minority|one in \w+)\b"),
    ("time", r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|\b\d{1,2}:\d{2}\b|"
             r"\b(?:noon|midnight|midday|o'clock|dawn|dusk|sunrise|sunset|morning|afternoon|"
             r"evening|night|overnight|tonight)\b"),
    ("duration", rf"\b(?:{_NUMBER}|a|an|several|few|many|some)[\s-]+(?:\w+[\s-]+)?"
                 rf"{_TIME_UNIT}(?:[\s-]+long|[\s-]+old)?\b|\b{_TIME_UNIT}[\s-]long\b|"
                 rf"\b(?:years|decades|centuries|months|weeks|days|hours)\b|"
                 rf"\b(?:from|between|until|till|since|through)\s+(?:\w+\s+){{0,2}}?(?:{_YEAR})(?!\w)"),
    ("measure", rf"\b{_NUMBER}(?:\s*[-–]\s*{_DIGITS})?[\s-]*{_LENGTH_UNIT}(?!\w)"),
    ("year", rf"\b(?:{_YEAR})(?!\w)|\b(?:ad|bc)\s+\d{{1,4}}\b|\b{_ORDINAL}[\s-]+centur(?:y|ies)\b|"
             r"\bcentur(?:y|ies)\b|\bdecades?\b"),
    ("date", rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
             rf"{_MONTH}(?!\w)|\b(?:january|february|march|april|june|july|august|september|"
             rf"october|november|december)\b|\b{_WEEKDAY}s?\b|\b(?:today|yesterday|tomorrow|"
             r"ago|spring|summer|autumn|fall|winter|christmas|easter)\b"),
    ("number", rf"\b{_NUMBER}(?!\w)"),
)  # fmt: skip
_TYPED = re.compile(
    "|".join(f"(?P<{kind}{i}>{pattern})" for i, (kind, pattern) in enumerate(_PATTERNS)),
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.;:!?()\[\]—–\"“”\n]|,\s")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)(?<![\"“(])\b[A-Z][\w'’.-]*[\w]")


@dataclass(frozen=True)
class Span:
    """A typed span of text: its kind, offsets, and the words it measures, lower-cased
    (those after a number up to the end of its phrase, and the few before it)."""

    kind: str
    start: int
    end: int
    nouns: tuple[str, ...]

    @functools.cached_property
    def stems(self) -> frozenset[str]:
        return frozenset(stem(w) for w in self.nouns)


@functools.lru_cache(maxsize=1 << 14)
def spans_of(text: str) -> tuple[Span, ...]:
    """Every typed span of text, left to right."""
    out = []
    for match in _TYPED.finditer(text):
        kind = (match.lastgroup or "number").rstrip("0123456789")
        if kind in ("year", "number") and _YEARS.fullmatch(match.group(0)):
            kind = "number" if _PLURAL.match(text, match.end()) else "year"
        start, end = match.start(), match.end()
        unit = tuple(w for w in words(match.group(0)) if w.isalpha() and w not in STOPWORDS)
        out.append(Span(kind, start, end, unit + _bound(text, start, end)))
    return tuple(out)


_YEARS = re.compile(r"1\d{3}|20\d{2}")
_PLURAL = re.compile(r"\s+[a-z]+s\b")  # "1500 soldiers" is a count, "in 1500 the" a year


def _bound(text: str, start: int, end: int, after: int = 4, before: int = 5) -> tuple[str, ...]:
    """The words a number measures: the next words up to the phrase's end
    ("tens of thousands of [Russian troops]") and the few before it ("a population of")."""
    ahead = _CLAUSE_END.search(text, end)
    tail = text[end : ahead.start() if ahead else len(text)]
    reach = max(0, start - 80)
    behind = max((m.end() for m in _CLAUSE_END.finditer(text, reach, start)), default=reach)
    head = text[behind:start]
    found = [w for w in words(tail) if w.isalpha()][:after]
    found += [w for w in words(head) if w.isalpha()][-before:]
    return tuple(w for w in found if w not in STOPWORDS)


# what each asked kind accepts of a text's spans
_ACCEPTS = {
    "count": ("number", "percent", "duration", "measure", "money", "age"),
    "quantity": ("number", "percent", "money", "duration", "measure", "age"),
    "money": ("money",),
    "percent": ("percent",),
    "year": ("year",),
    "date": ("year", "date", "time"),
    "time": ("time",),
    "duration": ("duration", "measure", "age"),
    "age": ("age", "number", "duration"),
}


Related = Callable[[str], float]  # how close a text word is to the asked noun (a cosine)


def holds(asked: Asked, text: str, related: Related | None = None, close: float = 1.0) -> bool:
    """Whether text holds a span of the asked kind, bound to the asked noun where there is
    one (the same stem, or a word at least ``close`` to it); a kind no span types (a person,
    a place, a name) is held by any capitalised word."""
    accepts = _ACCEPTS.get(asked.kind)
    if accepts is None:
        return asked.kind == "open" or _NAME.search(text) is not None
    noun = stem(asked.noun) if asked.noun else ""
    for span in spans_of(text):
        kind = span.kind
        if kind == "number" and _YEARS.fullmatch(text, span.start, span.end):
            kind = "year"  # "in 1500 soldiers ...": a year to who asks for one
        if kind in accepts and (not noun or _binds(span, noun, related, close)):
            return True
    return False


def _binds(span: Span, noun: str, related: Related | None, close: float) -> bool:
    if noun in span.stems:
        return True
    return related is not None and any(related(w) >= close for w in span.nouns)


def held_anywhere(
    asked: Asked, texts: Iterable[str], related: Related | None = None, close: float = 1.0
) -> bool:
    return any(holds(asked, text, related, close) for text in texts)
