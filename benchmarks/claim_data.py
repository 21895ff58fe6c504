"""Claims to fit the support judge on, made offline from the fit articles (FactCC-style).

A faithful claim restates a SQuAD question with its answer ("the 1973 oil crisis begin October
1973"), which words a fact the way the passage does not, or is a clause of the answer
sentence. Each is paired with the answer sentence and the one before it. Unfaithful ones are
the same claims with one edit an LLM makes: another name, number or date from the article, a
negation added or dropped, a word swapped for its opposite, the answer of another question, a
statement put in somebody else's mouth, a detail the passage does not have, or the right claim
against a passage of the same article that does not hold it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reading_sets import POOL, SPLITS, paragraphs, pool_questions

from index.chunking import split_sentences
from qa.reading.claims import OPPOSITES, number_value, tokens, units

_WH = re.compile(
    r"^\s*(?:(?:in|on|at|of|for|from|by|to|during)\s+)?(what|which|who|whom|whose|when|where|"
    r"why|how many|how much|how long|how|name)\b(\s+\w+)?\s*",
    re.IGNORECASE,
)
_AUX = re.compile(r"\b(is|was|are|were|did|does|do|has|have|had|can|could|will|would)\b")
_NEG = re.compile(r"\s+(not|never)\b|n't\b")


@dataclass(frozen=True)
class Claim:
    claim: str
    passage: str
    supported: bool
    kind: str
    doc: str


def statement(question: str, answer: str) -> str:
    """A question and its answer as one declarative-ish sentence."""
    body = _WH.sub("", question.strip().rstrip("?"), count=1).strip()
    return f"{body[:1].upper()}{body[1:]} {answer}." if body else f"{answer}."


def _swap_unit(claim: str, pool: list[str], kind: str, rng: random.Random) -> str | None:
    """claim with one of its names (or numbers) replaced by another from pool."""
    present = {u for u in units(claim)}
    mine = [
        t for t in tokens(claim) if t.lower() in present or "#" + str(number_value(t)) in present
    ]
    mine = [
        t for t in mine if (t[:1].isdigit() or number_value(t) is not None) == (kind == "number")
    ]
    if kind == "name":
        mine = [t for t in mine if t[:1].isupper()]
    others = [p for p in pool if p.lower() not in present and p not in claim]
    if not mine or not others:
        return None
    old, new = rng.choice(mine), rng.choice(others)
    return re.sub(rf"\b{re.escape(old)}\b", new, claim, count=1)


def _negate(claim: str) -> str | None:
    if _NEG.search(claim):
        return _NEG.sub("", claim, count=1)
    match = _AUX.search(claim)
    if not match:
        return None
    return f"{claim[: match.end()]} not{claim[match.end() :]}"


def _opposite(claim: str, rng: random.Random) -> str | None:
    found = [w for w in re.findall(r"[a-z]+", claim) if w in OPPOSITES]
    if not found:
        return None
    word = rng.choice(found)
    return re.sub(rf"\b{word}\b", rng.choice(sorted(OPPOSITES[word])), claim, count=1)


def claims(seed: int = 14, per_doc: int = 60) -> Iterator[Claim]:
    """Faithful and unfaithful claims over the fit articles' indexed paragraphs."""
    rng = random.Random(seed)
    by_doc: dict[str, list[dict[str, object]]] = {}
    for q in pool_questions():
        if q["doc_id"] in SPLITS["fit"]["indexed"] and q["answerable"]:
            by_doc.setdefault(str(q["doc_id"]), []).append(q)
    for doc, questions in sorted(by_doc.items()):
        text = (POOL / "docs" / f"{doc}.txt").read_text(encoding="utf-8")
        kept = {a for a, _ in paragraphs(text)[::2]}
        names = sorted({t for t in tokens(text) if t[:1].isupper() and len(t) > 3})
        numbers = sorted({t for t in tokens(text) if t[:1].isdigit()})
        answers = [str(q["answers"][0]) for q in questions]  # type: ignore[index]
        sentences = [text[a:b] for a, b in split_sentences(text)]
        rng.shuffle(questions)
        for q in [q for q in questions if q["para_start"] in kept][:per_doc]:
            answer = str(q["answers"][0])  # type: ignore[index]
            start, end = int(q["para_start"]), int(q["para_end"])  # type: ignore[call-overload]
            spans = split_sentences(text, start, end)
            at = [i for i, (a, b) in enumerate(spans) if answer in text[a:b]]
            if not at:
                continue
            i = at[0]
            passage = text[spans[max(0, i - 1)][0] : spans[i][1]]
            sentence = text[spans[i][0] : spans[i][1]]
            faithful = [statement(str(q["question"]), answer)]
            clauses = [c.strip() for c in re.split(r"[,;:]", sentence) if answer in c]
            if clauses and len(clauses[0]) > 25:
                faithful.append(clauses[0].rstrip(".") + ".")
            for claim in faithful:
                yield Claim(claim, passage, True, "faithful", doc)
                edits = {
                    "swapped_name": _swap_unit(claim, names, "name", rng),
                    "number": _swap_unit(claim, numbers, "number", rng),
                    "negation": _negate(claim),
                    "antonym": _opposite(claim, rng),
                    "attribution": f"{rng.choice(names)} said that {claim[:1].lower()}{claim[1:]}",
                    "invented": f"{claim.rstrip('.')} in {rng.choice(numbers or ['1900'])}, "
                    f"with {rng.choice(names)}.",
                }
                other = rng.choice(answers)
                if other.lower() not in passage.lower():
                    edits["wrong_answer"] = claim.replace(answer, other)
                for kind, edited in edits.items():
                    if edited and edited != claim:
                        yield Claim(edited, passage, False, kind, doc)
                unrelated = rng.choice(sentences)
                if answer not in unrelated:
                    yield Claim(claim, unrelated, False, "unrelated", doc)
