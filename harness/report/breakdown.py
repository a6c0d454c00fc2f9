"""% correct per model by a property of the item (answer type, document), tasks pooled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.report.plots import Series
from harness.results.records import Sample


@dataclass(frozen=True)
class Breakdown:
    by: str
    categories: list[str]
    models: list[str]
    values: list[list[float | None]]  # [model][category]
    counts: list[list[int]]

    def series(self) -> list[Series]:
        return [Series(m, v) for m, v in zip(self.models, self.values, strict=True)]


def _rate(samples: Sequence[Sample]) -> float | None:
    return sum(s.verdict == "correct" for s in samples) / len(samples) if samples else None


def breakdown(by: str, models: Sequence[str], samples: Sequence[Sequence[Sample]],
              key: Callable[[Sample], str]) -> Breakdown:
    """For each model (with its samples) and each category of `key`: % correct and n."""
    categories = sorted({key(s) for group in samples for s in group})
    values, counts = [], []
    for group in samples:
        split: dict[str, list[Sample]] = {c: [] for c in categories}
        for s in group:
            split[key(s)].append(s)
        values.append([_rate(split[c]) for c in categories])
        counts.append([len(split[c]) for c in categories])
    return Breakdown(by, categories, list(models), values, counts)
