"""Pairwise pages: every pair of rows of a suite table, compared item by item."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from harness.board.board import SuiteBoard
from harness.compare.comparison import Comparison, compare_runs
from harness.report.names import page_name


@dataclass(frozen=True)
class Pair:
    a_label: str
    b_label: str
    href: str
    comparison: Comparison

    @property
    def summary(self) -> str:
        counts = Counter(t.verdict for t in self.comparison.tasks)
        return (f"A better on {counts['A better']}, B better on {counts['B better']}, "
                f"no significant difference on {counts['no significant difference']} task(s)")


def board_pairs(board: SuiteBoard, labels: list[str]) -> list[Pair]:
    """Each pair (better-ranked row as A), compared on their shared items."""
    pairs = []
    for (i, a), (j, b) in combinations(enumerate(board.rows), 2):
        name = page_name(f"{a.row.run.run_id}--vs--{b.row.run.run_id}")
        pairs.append(Pair(labels[i], labels[j], f"pairs/{name}.html",
                          compare_runs(a.row.run_dir, b.row.run_dir)))
    return pairs
