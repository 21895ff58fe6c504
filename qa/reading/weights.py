"""The calibrated sentence-score weights and the decline model's support."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Weights:
    """Sentence-score weights and the decline model (calibrated by benchmarks/calibrate.py)."""

    sentence: tuple[float, ...] = (
        2.5, 1.026, 1.126, 0.974, 1.776, -3.0, 0.216, -0.188, 2.505, 2.145, 2.657, 1.315,
        -0.759, -0.836, -0.502,
    )  # fmt: skip
    support: tuple[float, ...] = (
        -0.0822, 2.0475, -0.6426, -0.5236, 1.0366, -1.0, 0.5236, 0.1162, -0.0631, 0.8494,
        0.7772, 0.7819, 0.0231, -0.3674, -0.1064, -0.8166, 0.7819, 1.1463, 0.2429, 0.1548,
        -1.7199, -0.2766, -2.1509, -0.4835,
    )  # fmt: skip
    support_bias: float = -3.6743
    threshold: float = 0.2118
    second_margin: float = 1.0
    complement_margin: float = 4.0
    trim_margin: float = 2.0  # a runner-up this close comes along, both cut to their clauses


DEFAULT_WEIGHTS = Weights()


def support(features: Sequence[float], weights: Weights = DEFAULT_WEIGHTS) -> float:
    """Probability-like confidence that the best sentence answers the question."""
    z = weights.support_bias + float(np.dot(weights.support, features))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
