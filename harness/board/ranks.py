"""Mean rank across tasks: rank 1 is best on a task, ties share their average rank."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LOWER_IS_BETTER = frozenset({"brier", "ece", "not_attempted_rate"})


def task_ranks(values: Sequence[float | None], lower_is_better: bool = False) -> list[float | None]:
    """Rank of each value (1 = best; ties get the mean of their ranks); None stays None."""
    present = sorted((v if lower_is_better else -v) for v in values if v is not None)
    ranks: list[float | None] = []
    for value in values:
        if value is None:
            ranks.append(None)
            continue
        key = value if lower_is_better else -value
        first = present.index(key)
        count = present.count(key)
        ranks.append(first + (count + 1) / 2)
    return ranks


def mean_ranks(columns: Mapping[str, tuple[Sequence[float | None], bool]],
               n_rows: int) -> list[float | None]:
    """Per row, the mean of its ranks over the columns (task -> (values, lower_is_better))
    where it has a value."""
    per_row: list[list[float]] = [[] for _ in range(n_rows)]
    for values, lower in columns.values():
        for index, rank in enumerate(task_ranks(values, lower)):
            if rank is not None:
                per_row[index].append(rank)
    return [sum(r) / len(r) if r else None for r in per_row]
