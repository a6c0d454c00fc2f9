"""95% intervals computed from a run's samples, for metrics whose interval was not stored."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from harness.errors import HarnessError
from harness.results.records import Sample
from harness.results.store import read_samples
from harness.scoring.metrics import bootstrap_ci

PerItem = Callable[[Sample], float | None]


def _correct(s: Sample) -> float:
    return float(s.verdict == "correct")


def _given_attempted(s: Sample) -> float | None:
    return None if s.verdict == "not_attempted" else _correct(s)


def _optional(value: float | bool | None) -> float | None:
    return None if value is None else float(value)


def _choice_hit(pred: int | None, label: int | None) -> float | None:
    return None if pred is None or label is None else float(pred == label)


def _brier(s: Sample) -> float | None:
    if not s.logliks or s.label is None:
        return None
    top = max(s.logliks)
    weights = [math.exp(x - top) for x in s.logliks]
    total = sum(weights)
    return sum((w / total - float(i == s.label)) ** 2 for i, w in enumerate(weights))


PER_ITEM: dict[str, PerItem] = {
    "accuracy": _correct,
    "accuracy_given_attempted": _given_attempted,
    "not_attempted_rate": lambda s: float(s.verdict == "not_attempted"),
    "f1": lambda s: _optional(s.f1),
    "strict_em": lambda s: _optional(s.strict_em),
    "acc": lambda s: _choice_hit(s.pred, s.label),
    "acc_norm": lambda s: _choice_hit(s.pred_norm, s.label),
    "brier": _brier,
}


def samples_ci(samples: list[Sample], metric: str) -> tuple[float, float] | None:
    """Cluster-bootstrap (by fact) 95% interval of `metric` over `samples`; None when the metric
    has no per-item value or no item has one."""
    per_item = PER_ITEM.get(metric)
    if per_item is None:
        return None
    pairs = [(v, s.fact_id) for s in samples if (v := per_item(s)) is not None]
    if not pairs:
        return None
    low, high = bootstrap_ci([v for v, _ in pairs], [c for _, c in pairs])
    return low, high


class SampleCache:
    """Each run's samples, read once and grouped by task; unreadable files give no samples."""

    def __init__(self) -> None:
        self._runs: dict[Path, dict[str, list[Sample]]] = {}

    def task_samples(self, run_dir: Path, task: str) -> list[Sample]:
        if run_dir not in self._runs:
            self._runs[run_dir] = _by_task(run_dir)
        return self._runs[run_dir].get(task, [])


def _by_task(run_dir: Path) -> dict[str, list[Sample]]:
    try:
        samples = read_samples(run_dir)
    except (OSError, HarnessError):
        return {}
    grouped: dict[str, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.task, []).append(sample)
    return grouped
