"""One task's value in a leaderboard row: the chosen metric with its 95% interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from harness.board.sample_ci import SampleCache, samples_ci
from harness.results.records import TaskResult


@dataclass(frozen=True)
class Cell:
    metric: str
    value: float
    low: float | None
    high: float | None


def metric_for(result: TaskResult, metric: str | None) -> str:
    """`metric` when the task records it, else the task's primary metric."""
    if metric and (metric == result.primary.name or metric in result.metrics):
        return metric
    return result.primary.name


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _stored_ci(result: TaskResult, name: str) -> tuple[float | None, float | None]:
    if name == result.primary.name:
        low, high = _finite(result.primary.ci_low), _finite(result.primary.ci_high)
        if low is not None and high is not None:
            return low, high
    return (_finite(result.metrics.get(f"{name}_ci_low")),
            _finite(result.metrics.get(f"{name}_ci_high")))


def task_cell(result: TaskResult, run_dir: Path, metric: str | None,
              samples: SampleCache) -> Cell:
    """The cell of `result`: stored interval when there is one, else one from the samples."""
    name = metric_for(result, metric)
    value = result.primary.value if name == result.primary.name else result.metrics[name]
    low, high = _stored_ci(result, name)
    if low is None or high is None:
        computed = samples_ci(samples.task_samples(run_dir, result.task), name)
        low, high = computed if computed else (None, None)
    return Cell(name, value, low, high)
