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
# spans found by their words; numbers are found apart and typed by what follows them
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("age", r"\b(?:aged?|ages|age of|at)\s+(?:about\s+|around\s+)?\d{1,3}\b(?![,.]?\d)|"
            r"\b(?:teens?|teenagers?|twenties|thirties|forties|fifties|sixties|seventies|eighties|"
            r"nineties|infants?|toddlers?)\b"),
    ("percent", rf"{_DIGITS}\s*(?:%|per\s?cents?\b|percent(?:age points?)?\b)"),
    ("money", rf"(?:us|a|c|hk)?[$£€¥]\s?{_DIGITS}(?:\s*-?\s*(?:{_SCALE}|[mbk]n?)\b)*"),
    ("percent", r"\b(?:(?:a|one|two|three)[\s-](?:half|third|quarter|fifth|sixth|eighth|ninth|"
                r"tenth)s?|half|two-thirds|three-quarters|majority|minority|one in \w+)\b"),
    ("time", r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|\b\d{1,2}:\d{2}\b|"
             r"\b(?:noon|midnight|midday|o'clock|dawn|dusk|sunrise|sunset|morning|afternoon|"
             r"evening|night|overnight|tonight)\b"),
    ("duration", rf"\b(?:a|an|several|few|many|some)[\s-]+(?:\w+[\s-]+)?"
                 rf"{_TIME_UNIT}(?:[\s-]+long|[\s-]+old)?\b|\b{_TIME_UNIT}[\s-]long\b|"
                 rf"\b(?:years|decades|centuries|months|weeks|days|hours)\b|"
                 rf"\b(?:from|between|until|till|since|through)\s+(?:\w+\s+){{0,2}}?(?:{_YEAR})(?!\w)"),
    ("year", rf"\b(?:{_YEAR})(?!\w)|\b(?:ad|bc)\s+\d{{1,4}}\b|\b{_ORDINAL}[\s-]+centur(?:y|ies)\b|"
             r"\bcentur(?:y|ies)\b|\bdecades?\b"),
    ("date", rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
             rf"{_MONTH}(?!\w)|\b(?:january|february|march|april|june|july|august|september|"
             rf"october|november|december)\b|\b{_WEEKDAY}s?\b|\b(?:today|yesterday|tomorrow|"
             r"ago|spring|summer|autumn|fall|winter|christmas|easter)\b"),
)  # fmt: skip
_WORDY = {
    kind: re.compile("|".join(p for k, p in _PATTERNS if k == kind), re.IGNORECASE)
    for kind in dict.fromkeys(k for k, _ in _PATTERNS)
}
_NUMBER_AT = re.compile(rf"{_NUMBER}(?!\w)", re.IGNORECASE)
# where a number may start: a digit, or a word that names one
_NUMBER_START = re.compile(
    rf"\b(?:\d|(?:{_WORD_NUMBER}|{_SCALE}|tens|scores|an?|several|few|many)\b)", re.IGNORECASE
)
# what follows a number says what it measures: "5 per cent", "3 dollars", "10 km", "2 years"
_AFTER = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("percent", r"\s*(?:%|per\s?cents?\b|percent\b)"),
        ("money", rf"\s+(?:\w+\s+)?{_CURRENCY}\b"),
        ("age", r"[\s-]+(?:years?|months?)[\s-]+old\b|-year-olds?\b"),
        ("duration", rf"[\s-]+(?:\w+[\s-]+)?{_TIME_UNIT}(?:[\s-]+long)?\b"),
        ("measure", rf"(?:\s*[-–]\s*{_DIGITS})?[\s-]*{_LENGTH_UNIT}(?!\w)"),
    )
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


def spans_of(text: str) -> tuple[Span, ...]:
    """Every typed span of text, left to right (a number inside a date is the date's)."""
    found = [span for kind in _WORDY for span in _wordy(text, kind)]
    taken = [(s.start, s.end) for s in found]
    found += [s for s in _numbers(text) if not any(a <= s.start < b for a, b in taken)]
    return tuple(sorted(found, key=lambda s: (s.start, -s.end)))


def _of_kind(text: str, kind: str) -> tuple[Span, ...]:
    """The spans of one kind: only what an asked kind needs is typed."""
    numbered = tuple(s for s in _numbers(text) if s.kind == kind)
    return numbered + (_wordy(text, kind) if kind in _WORDY else ())


@functools.lru_cache(maxsize=1 << 15)
def _wordy(text: str, kind: str) -> tuple[Span, ...]:
    out = []
    for match in _WORDY[kind].finditer(text):
        if kind == "year" and _YEARS.fullmatch(match.group(0)) and _PLURAL.match(text, match.end()):
            continue  # "1500 soldiers" is a count
        out.append(_span(text, kind, match.start(), match.end()))
    return tuple(out)


@functools.lru_cache(maxsize=1 << 14)
def _numbers(text: str) -> tuple[Span, ...]:
    """The numbers of text, each typed by what follows it ("5 per cent", "10 km", "2 years");
    a bare 1979 is a year."""
    out, last = [], -1
    for start_at in _NUMBER_START.finditer(text):
        at = start_at.start()
        number = _NUMBER_AT.match(text, at) if at >= last else None
        if number is None:
            continue
        kind, end = "number", number.end()
        for name, after in _AFTER:
            unit = after.match(text, end)
            if unit:
                kind, end = name, unit.end()
                break
        if kind == "number" and _YEARS.fullmatch(number.group(0)):
            kind = "number" if _PLURAL.match(text, end) else "year"
        out.append(_span(text, kind, at, end))
        last = end
    return tuple(out)


def _span(text: str, kind: str, start: int, end: int) -> Span:
    unit = tuple(w for w in words(text[start:end]) if w.isalpha() and w not in STOPWORDS)
    return Span(kind, start, end, unit + _bound(text, start, end))


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
    for kind in accepts:
        for span in _of_kind(text, kind):
            if not noun or _binds(span, noun, related, close):
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
