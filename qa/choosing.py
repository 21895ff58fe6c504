"""Choosing the sentences an answer quotes, cut to their clauses when both do not fit."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

from qa.candidates import Candidate
from qa.lexical import terms
from qa.reading.evidence import _TOKEN, typed_spans
from qa.reading.model import Reader, load_reader

MAX_ANSWER_CHARS = 350  # the whole answer text, markers included
_MARKER_CHARS = 5  # " [n]" and the space between sentences


def choose(ranked: Sequence[Candidate], reader: Reader | None = None) -> list[Candidate]:
    """The best sentence, plus close runners-up while the answer stays short.

    When the best sentence lacks what the question asks for (a date, a number, a list of
    names) and a neighbouring sentence of the same passage has it, the neighbour comes along:
    a quote followed by its author, a claim followed by its figure. Failing a neighbour, the
    best sentence of the same source that has it comes along (or, when both do not fit, answers
    alone), if it scores close enough.
    """
    if not ranked:
        return []
    reader = reader or load_reader()
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
            if other.score < best.score - reader.margin("complement_margin"):
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
        if other.score < best.score - reader.margin("second_margin"):
            break
        if other in chosen or other.feature("repeated"):
            continue
        if length + len(other.text) + _MARKER_CHARS > MAX_ANSWER_CHARS:
            continue
        chosen.append(other)
        length += len(other.text) + _MARKER_CHARS
    if len(chosen) == 1:
        chosen = with_trimmed_runner_up(chosen, ranked, reader)
    return sorted(chosen, key=lambda c: (c.source, c.start))


_MIN_TRIMMED = 60  # a cut sentence shorter than this says too little to come along
_TRIMMABLE = 3  # the best sentence and the two runners-up that may come along, cut


def with_trimmed_runner_up(
    chosen: list[Candidate], ranked: Sequence[Candidate], reader: Reader
) -> list[Candidate]:
    """The best sentence alone, and a close runner-up did not fit: both come along, each cut
    to its clauses that hold the most of the question (a verbatim slice still)."""
    best = chosen[0]
    room = MAX_ANSWER_CHARS - 2 * _MARKER_CHARS
    for other in ranked[1:_TRIMMABLE]:
        if other.score < best.score - reader.margin("trim_margin"):
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
