"""What each kind of answer (a date, a year, a number, a duration) looks like in text."""

from __future__ import annotations

import re

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
# the words that name a number, and the value each names (claims compare them by value)
NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000", "million": "1e6",
    "billion": "1e9", "trillion": "1e12", "dozen": "12", "half": "1/2", "third": "1/3",
    "quarter": "1/4", "once": "1x", "twice": "2x", "double": "2x",
}  # fmt: skip
SCALES = ("hundred", "thousand", "million", "billion", "trillion", "dozen")  # "hundreds" too
_COUNT = "|".join(f"{w}s?" if w in SCALES else w for w in NUMBER_WORDS)
_NUMBER_WORDS = (
    f"{_COUNT}|several|few|many|most|some|all|tens|percent|per cent|majority|minority|single|"
    "both|none|no"
)
_QUANTITY_EVIDENCE = re.compile(rf"(\d|%|\b({_NUMBER_WORDS})\b)", re.IGNORECASE)
_YEARS = r"\d{3,4}s?|centur(?:y|ies)|decades?"  # "1979", "1920s", "century", "decades"
_YEAR_EVIDENCE = re.compile(rf"\b({_YEARS})\b", re.IGNORECASE)
_DURATION_EVIDENCE = re.compile(
    rf"(\d|\b({_NUMBER_WORDS}|an?)\b)[\w\s,-]{{0,20}}\b(seconds?|minutes?|hours?|days?|"
    r"weeks?|months?|years?|decades?|centur(y|ies)|miles?|kilomet(er|re)s?|km|meters?|metres?|"
    r"feet|foot|inches?)\b",
    re.IGNORECASE,
)


_STRICT_TIME = re.compile(rf"^({_YEARS}|\d{{1,2}}(st|nd|rd|th)|{_MONTHS})$", re.IGNORECASE)
_STRICT_YEAR = re.compile(rf"^({_YEARS})$", re.IGNORECASE)
_STRICT_QUANTITY = re.compile(rf"^(\d[\d,.]*%?|\w+teen|{_COUNT}|percent)$", re.IGNORECASE)
