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
        return {
            "questions": len(self.outcomes),
            "answer_accuracy": _share(o.correct for o in answerable),
            "citation_accuracy": _share(o.cited for o in answerable),
            "refusal_accuracy": _share(o.correct for o in unanswerable),
            "false_refusals": _share(not o.answer.answered for o in answerable),
            "mean_citation_chars": round(statistics.mean(cited), 1) if cited else 0.0,
            "mean_answer_chars": round(statistics.mean(answers), 1) if answers else 0.0,
            "latency_p50_ms": _percentile(latencies, 0.5),
            "latency_p95_ms": _percentile(latencies, 0.95),
        }

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


def read_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAError(f"cannot read {path}: {exc.strerror}") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(
                Question(
                    id=str(item.get("id", number)),
                    question=str(item["question"]),
                    history=tuple((str(q), str(a)) for q, a in item.get("history") or ()),
                    must=tuple(tuple(str(alt) for alt in group) for group in item.get("must", ())),
                    answerable=bool(item.get("answerable", True)),
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
