"""The fitted reading model: named weights, thresholds and vetoes, loaded from its data file."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

MODEL_FILE = "reading.json"


@dataclass(frozen=True)
class Judge:
    """A logistic model over named features, with a threshold and decisive features.

    A veto is a feature that, when it fires, decides alone: the probability is 0.
    """

    bias: float
    weights: tuple[tuple[str, float], ...]
    threshold: float
    vetoes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Judge:
        return cls(
            bias=float(data["bias"]),
            weights=tuple((str(k), float(v)) for k, v in data["weights"].items()),
            threshold=float(data["threshold"]),
            vetoes=tuple(str(v) for v in data.get("vetoes", ())),
        )

    def vetoed(self, features: Mapping[str, float]) -> bool:
        return any(features[name] for name in self.vetoes)

    def probability(self, features: Mapping[str, float]) -> float:
        if self.vetoed(features):
            return 0.0
        z = self.bias + sum(w * features[name] for name, w in self.weights)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Reader:
    """Everything reading learned: how sentences are scored, when a passage answers a
    question, when it supports a claim, and how close a runner-up must be to come along."""

    ranker: tuple[tuple[str, float], ...]
    answers: Judge
    supports: Judge
    margins: tuple[tuple[str, float], ...]
    # the asked kinds whose absence from every passage read decides alone (a decline), and
    # how close a word must be to a count's noun to be what the count measures
    decisive_kinds: frozenset[str] = frozenset()
    bind: float | None = None

    def margin(self, name: str) -> float:
        return dict(self.margins)[name]


def read_model(path: Path) -> Reader:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Reader(
        ranker=tuple((str(k), float(v)) for k, v in data["ranker"]["weights"].items()),
        answers=Judge.from_dict(data["answers"]),
        supports=Judge.from_dict(data["supports"]),
        margins=tuple((str(k), float(v)) for k, v in data["margins"].items()),
        decisive_kinds=frozenset(str(k) for k in data.get("kinds", {}).get("decisive", ())),
        bind=_optional(data.get("kinds", {}).get("bind")),
    )


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


@functools.lru_cache(maxsize=4)
def load_reader(path: str = "") -> Reader:
    """The model shipped in qa/data (or the file at path), read once per process."""
    shipped = Path(str(resources.files("qa") / "data" / MODEL_FILE))
    return read_model(Path(path) if path else shipped)
