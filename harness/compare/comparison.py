"""`compare_runs`: every shared task of two runs, compared item by item."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.compare.flips import Flip, task_flips
from harness.compare.pairing import check_same_suite, load_run, pair_tasks
from harness.compare.stats import TaskComparison, compare_task
from harness.results.records import RunRecord


@dataclass(frozen=True)
class Comparison:
    a: RunRecord
    b: RunRecord
    tasks: list[TaskComparison]
    flips: list[Flip]


def compare_runs(dir_a: Path, dir_b: Path) -> Comparison:
    """Compare run A with run B; refuses runs on different suite contents."""
    a, b = load_run(dir_a), load_run(dir_b)
    check_same_suite(a.record, b.record)
    paired = pair_tasks(a, b)
    flips = [flip for task in paired for flip in task_flips(task)]
    return Comparison(a.record, b.record, [compare_task(t) for t in paired], flips)
