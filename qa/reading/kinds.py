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
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|third|quarter|"
    "several|few|many|most|some|all|tens|percent|per cent|majority|minority|single|double|twice|"
    "once|both|none|no"
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
_STRICT_QUANTITY = re.compile(
    r"^(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|"
    r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|"
    r"billions?|trillions?|dozens?|half|third|quarter|percent|twice|double)$",
    re.IGNORECASE,
)
