"""Bootstrap confidence intervals and regression flags: is a change better, worse, or noise?"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int


def bootstrap_ci(values: Sequence[float], *, level: float = 0.95, resamples: int = 2000, seed: int = 7) -> Interval:
    """Percentile bootstrap of the mean; deterministic for a seed, so reports are reproducible."""
    n = len(values)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = sum(values) / n
    if n == 1:
        return Interval(mean, mean, mean, 1)
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    alpha = (1 - level) / 2
    return Interval(mean, means[int(alpha * resamples)], means[min(resamples - 1, int((1 - alpha) * resamples))], n)


def is_regression(current: Interval, baseline: Interval, *, higher_is_better: bool = True) -> bool:
    """A regression is a move beyond the baseline's interval in the bad direction."""
    if current.n == 0 or baseline.n == 0:
        return False
    if higher_is_better:
        return current.mean < baseline.low
    return current.mean > baseline.high
