"""Score the assistant on a JSONL question set (answers, citations, declines, latency)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answer import Answer
from qa.errors import QAError


@dataclass(frozen=True)
class Question:
    """One line of a question set."""

    id: str
    question: str
    history: tuple[tuple[str, str], ...]
    must: tuple[tuple[str, ...], ...]
    answerable: bool
    kind: str = ""  # answerable, adversarial, missing, out_of_scope, ...: declines by kind
    turn: str = ""  # standalone, follow_up, continuation (alone: asked without its history)

    @property
    def group(self) -> str:
        return self.kind or ("answerable" if self.answerable else "unanswerable")


@dataclass
class Outcome:
    question: Question
    answer: Answer
    latency_ms: float

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return not self.answer.answered
        return self.answer.answered and contains(self.answer.text, self.question.must)

    @property
    def cited(self) -> bool:
        text = " ".join(c.text for c in self.answer.citations)
        return self.answer.answered and contains(text, self.question.must)


@dataclass
class EvalReport:
    """Figures for a question set, and the outcomes behind them."""

    outcomes: list[Outcome] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        answerable = [o for o in self.outcomes if o.question.answerable]
        unanswerable = [o for o in self.outcomes if not o.question.answerable]
        cited = [len(c.text) for o in self.outcomes for c in o.answer.citations]
        answers = [len(o.answer.text) for o in self.outcomes if o.answer.answered]
        latencies = sorted(o.latency_ms for o in self.outcomes)
        kinds = sorted({o.question.group for o in unanswerable})
        by_kind = {
            f"declined_{kind}": _share(o.correct for o in unanswerable if o.question.group == kind)
            for kind in kinds
        }
        return {
            "questions": len(self.outcomes),
            "answer_accuracy": _share(o.correct for o in answerable),
            "citation_accuracy": _share(o.cited for o in answerable),
            "refusal_accuracy": _share(o.correct for o in unanswerable),
            "false_refusals": _share(not o.answer.answered for o in answerable)
            if answerable
            else 0.0,
            **by_kind,
            **self.by_turn(),
            "mean_citation_chars": round(statistics.mean(cited), 1) if cited else 0.0,
            "mean_answer_chars": round(statistics.mean(answers), 1) if answers else 0.0,
            "latency_p50_ms": _percentile(latencies, 0.5),
            "latency_p95_ms": _percentile(latencies, 0.95),
        }

    def by_turn(self) -> dict[str, Any]:
        """Answers, false declines and declines per kind of turn, when the set has histories."""
        if not any(o.question.history or o.question.turn for o in self.outcomes):
            return {}
        out: dict[str, Any] = {}
        for turn in (*TURNS, *sorted({o.question.turn for o in self.outcomes} - set(TURNS))):
            mine = [o for o in self.outcomes if o.question.turn == turn]
            if not mine:
                continue
            asked = [o for o in mine if o.question.answerable]
            out[f"{turn}_turns"] = len(mine)
            out[f"{turn}_answer_accuracy"] = _share(o.correct for o in asked)
            out[f"{turn}_false_refusals"] = _share(not o.answer.answered for o in asked)
            out[f"{turn}_refusal_accuracy"] = _share(
                o.correct for o in mine if not o.question.answerable
            )
        return out

    def table(self) -> str:
        rows = self.figures()
        width = max(len(k) for k in rows)
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows.items())

    def failures(self) -> list[str]:
        return [
            f"MISS {o.question.id}: {o.question.question} -> {o.answer.text[:160]}"
            for o in self.outcomes
            if not o.correct
        ]


TURNS = ("alone", "standalone", "follow_up", "continuation")


def contains(text: str, must: Sequence[Sequence[str]]) -> bool:
    lowered = text.lower()
    return all(any(alt.lower() in lowered for alt in group) for group in must)


def _share(flags: Any) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 4) if values else 1.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSONL file, with their line numbers."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAError(f"cannot read {path}: {exc.strerror}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise QAError(f"{path}, line {number}: not JSON ({exc})") from None
        if not isinstance(item, dict):
            raise QAError(f"{path}, line {number}: not a JSON object")
        out.append((number, item))
    return out


def read_questions(path: Path) -> list[Question]:
    from qa.conversation import read_turn

    questions = []
    for number, item in _lines(path):
        try:
            history = tuple((str(q), str(a)) for q, a in item.get("history") or ())
            turn = item.get("turn") or (
                read_turn(str(item["question"]), history).kind if history else ""
            )
            questions.append(
                Question(
                    id=str(item.get("id", number)),
                    question=str(item["question"]),
                    history=history,
                    must=tuple(tuple(str(alt) for alt in group) for group in item.get("must", ())),
                    answerable=bool(item.get("answerable", True)),
                    kind=str(item.get("kind", "")),
                    turn=str(turn),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}, line {number}: not a question ({exc})") from None
    return questions


def evaluate(assistant: Any, questions: Sequence[Question]) -> EvalReport:
    report = EvalReport()
    for question in questions:
        started = time.perf_counter()
        answer = assistant.ask(question.question, question.history)
        report.outcomes.append(Outcome(question, answer, (time.perf_counter() - started) * 1000))
    return report


@dataclass(frozen=True)
class Claim:
    """One line of a claims file: an answer sentence an LLM might write, and whether the
    documents support it."""

    id: str
    question: str
    claim: str
    supported: bool
    kind: str


def read_claims(path: Path) -> list[Claim]:
    out = []
    for number, item in _lines(path):
        try:
            out.append(
                Claim(
                    id=str(item.get("id", number)),
                    question=str(item["question"]),
                    claim=str(item["claim"]),
                    supported=bool(item["supported"]),
                    kind=str(item.get("kind", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise QAError(f"{path}, line {number}: not a claim ({exc})") from None
    return out


def is_claims_file(path: Path) -> bool:
    return any("claim" in item for _n, item in _lines(path))


def evaluate_claims(assistant: Any, claims: Sequence[Claim]) -> dict[str, Any]:
    """Share of faithful claims kept with a citation, and of the others flagged, by kind."""
    results = [(c, bool(assistant.supported(c.question, c.claim))) for c in claims]
    figures: dict[str, Any] = {
        "claims": len(claims),
        "faithful_kept": _share(ok for c, ok in results if c.supported),
        "unsupported_flagged": _share(not ok for c, ok in results if not c.supported),
    }
    for kind in sorted({c.kind for c, _ in results if not c.supported}):
        figures[f"flagged_{kind}"] = _share(not ok for c, ok in results if c.kind == kind)
    return figures
