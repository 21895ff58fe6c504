"""The kind of answer a question asks for (Li & Roth's classes, Watson's lexical answer type)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qa.lexical import STOPWORDS, words

KINDS = (
    "count",  # how many troops: a number bound to the counted noun
    "quantity",  # how much, how far, how big: a number, with a unit where the text gives one
    "money",  # how much did it cost: a sum of money
    "percent",  # what percentage, share, proportion: a percentage or a fraction
    "year",  # what year, century or decade
    "date",  # when, on what date, on which day
    "time",  # what time: a time of day
    "duration",  # how long did it last
    "age",  # how old, at what age
    "person",  # who
    "place",  # where
    "name",  # which <noun>: a name the question does not have
    "open",  # why, how, what happened, what is X: nothing to type
)


@dataclass(frozen=True)
class Asked:
    """What a question asks for: its kind and, for a count, the counted noun (lower-cased)."""

    kind: str
    noun: str = ""


_LEAD = r"^\s*(?:(?:and|so|but|then|in|on|at|by|from|during|since|until|for|of|to|under)\s+)*"
_AUX = r"(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could)"
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("time", r"\bwhat time of (?:the )?day\b|\bwhat time\b(?! (?:period|frame|span)s?\b)|"
         r"\bat what (?:hour|time)\b"),
        ("age", r"\bhow old\b|\b(?:what|which) age\b|\bat what age\b|\bage (?:of|was|is)\b.*\?$"),
        ("duration", r"\bhow long\b(?! ago\b)(?!.*\b(?:is|are|was|were) (?:the|it|its|their)\b.*"
         r"\b(?:river|road|wall|bridge|canal|line|border|coast|tunnel|railway)\b)|"
         r"\bfor how (?:long|many (?:years|months|weeks|days|hours|minutes|decades))\b"),
        ("percent", r"\b(?:what|which) (?:percentage|percent|proportion|fraction|share|portion)\b|"
         r"\bhow much of\b|\bwhat per ?cent\b"),
        ("money", r"\bhow much (?:money|did \w+(?: \w+)? (?:cost|pay|earn|spend|sell)|"
         r"(?:does|did|do|was|is|were) \w+(?: \w+){0,3}? (?:cost|worth|paid|pay|earn|spend|sell))|"
         r"\b(?:what|which) (?:was|is|were|are)? ?(?:the )?(?:price|cost|budget|revenue|salary|"
         r"fee|fine|value|budget|wage|income|profit|endowment)s?\b"),
        ("year", r"\b(?:what|which) (?:year|century|decade|millennium)s?\b"),
        ("date", _LEAD + r"when\b|\b(?:what|which) (?:date|day|month)s?\b|\bhow long ago\b"),
        ("count", r"\bhow many\b|\b(?:what|which) (?:is|was|were|are)? ?(?:the )?"
         r"(?:number|population|count|total)\b"),
        ("quantity", r"\bhow (?:much|far|big|large|tall|high|fast|deep|wide|heavy|long|often|"
         r"hot|cold|warm|small|short|close|low)\b|\b(?:what|which) (?:is|was|are|were)? ?(?:the )?"
         r"(?:size|amount|distance|length|height|width|depth|weight|speed|rate|temperature|"
         r"area|volume|ratio|capacity|altitude|elevation|mass|frequency|density|pressure)s?\b"),
        ("person", _LEAD + r"(?:who|whom|whose)\b"),
        ("place", _LEAD + r"where\b(?! (?:is|was|are|were|did|does|do) (?:the |a |an )?\w+ "
         r"(?:from|born)\b)"),
        ("name", _LEAD + rf"(?:which|what) (?!{_AUX}\b|happened\b|happens\b|caused?\b|makes?\b|"
         r"made\b|kinds?\b|types?\b|sorts?\b|kind\b|else\b)[a-z]"),
    )
)  # fmt: skip
# "how many people", "how many times", "how many types of": the noun counts anything
_GENERIC_COUNTED = frozenset(
    "people person persons times thing things ones one types kinds sorts forms ways".split()
)
_COUNTED = re.compile(r"\bhow many\s+((?:[\w'’-]+\s*){1,4})", re.IGNORECASE)
# plurals without an s
_IRREGULAR = frozenset("people children men women feet teeth mice geese staff personnel".split())
_NOUN_OF = re.compile(
    r"\b(population)\b|\b(?:number|count|total) of ((?:[\w'’-]+\s+){0,2}?[\w'’-]+?)(?=\s+(?:"
    + _AUX + r"|in|on|at|by|for|from|to|that|which|who|with|per)\b|\s*[?.!,]|\s*$)",
    re.IGNORECASE,
)  # fmt: skip


@functools.lru_cache(maxsize=512)
def asked_kind(question: str) -> Asked:
    """The kind of answer the question asks for, with the counted noun of a count."""
    for kind, rule in _RULES:
        if rule.search(question):
            if kind == "count":
                return Asked(kind, counted_noun(question))
            return Asked(kind)
    return Asked("open")


def counted_noun(question: str) -> str:
    """What a count question counts: "troops" for "how many Russian troops",
    "population" for "what is the population of"; "" when it counts anything ("how many
    people", "how many times")."""
    match = _COUNTED.search(question)
    if match:  # the first plural of the words after "how many", else the first word
        said = [w for w in words(match.group(1)) if w not in STOPWORDS]
        plural = [w for w in said if (len(w) > 3 and w.endswith("s")) or w in _IRREGULAR]
        noun = (plural or said or [""])[0]
    else:
        match = _NOUN_OF.search(question)
        said = [w for w in words(next(g for g in match.groups() if g))] if match else []
        noun = said[-1] if said else ""
    return "" if noun in _GENERIC_COUNTED else noun
