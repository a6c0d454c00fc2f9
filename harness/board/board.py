"""The leaderboard model: one table per suite version, content and --limit, one row per model
setup and task set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.board.cells import Cell, task_cell
from harness.board.efficiency import Efficiency, run_efficiency
from harness.board.gaps import GapPair, gap_pairs, gap_value
from harness.board.ranks import LOWER_IS_BETTER, mean_ranks
from harness.board.sample_ci import SampleCache
from harness.board.select import Row, Selection, SuiteKey
from harness.errors import HarnessError


@dataclass(frozen=True)
class BoardRow:
    row: Row
    cells: dict[str, Cell]
    gaps: dict[str, float | None]
    mean_rank: float | None
    efficiency: Efficiency


@dataclass(frozen=True)
class SuiteBoard:
    name: str
    version: str
    content_hash: str
    limit: int | None  # the runs' --limit: the first N facts of each task
    tasks: list[str]
    metrics: dict[str, str]
    gaps: list[GapPair]
    rows: list[BoardRow]

    @property
    def title(self) -> str:
        scope = "" if self.limit is None else f", first {self.limit} facts of each task"
        return f"{self.name} v{self.version} (content {self.content_hash}){scope}"


@dataclass(frozen=True)
class Leaderboard:
    boards: list[SuiteBoard]
    incomplete: list[Row]
    metric: str | None
    skipped: list[str] = field(default_factory=list)  # unreadable run folders, with the reason


def _tasks(rows: Sequence[Row]) -> list[str]:
    tasks: list[str] = []
    for row in rows:
        tasks.extend(t for t in [*row.run.suite.tasks, *row.run.tasks]
                     if t not in tasks and t in row.run.tasks)
    return tasks


def _suite_board(key: SuiteKey, rows: Sequence[Row], metric: str | None,
                 samples: SampleCache) -> SuiteBoard:
    tasks = _tasks(rows)
    cells = [{t: task_cell(r.run.tasks[t], r.run_dir, metric, samples)
              for t in tasks if t in r.run.tasks} for r in rows]
    metrics = {t: next(c[t].metric for c in cells if t in c) for t in tasks}
    columns = {t: ([c[t].value if t in c else None for c in cells],
                   metrics[t] in LOWER_IS_BETTER) for t in tasks}
    ranks = mean_ranks(columns, len(rows))
    pairs = gap_pairs(tasks)
    board_rows = [BoardRow(row, cell, {p.label: gap_value(cell, p) for p in pairs}, rank,
                           run_efficiency(row.run))
                  for row, cell, rank in zip(rows, cells, ranks, strict=True)]
    board_rows.sort(key=lambda b: (b.mean_rank is None, b.mean_rank or 0.0,
                                   b.row.run.model.model_id))
    return SuiteBoard(*key, tasks=tasks, metrics=metrics, gaps=pairs, rows=board_rows)


def _check_metric(rows: Sequence[Row], metric: str | None) -> None:
    if metric is None or not rows:
        return
    known = sorted({name for row in rows for result in row.run.tasks.values()
                    for name in (result.primary.name, *result.metrics)
                    if not name.endswith(("_ci_low", "_ci_high")) and name != "n"})
    if metric not in known:
        raise HarnessError(f"--metric {metric}: no run records it (known: {', '.join(known)})")


def build_leaderboard(selection: Selection, metric: str | None = None) -> Leaderboard:
    """Group `selection` by suite (name, version, content hash) and compute every column."""
    _check_metric(selection.rows, metric)
    groups: dict[SuiteKey, list[Row]] = {}
    for row in sorted(selection.rows, key=lambda r: r.run.started, reverse=True):
        groups.setdefault(row.suite_key, []).append(row)
    samples = SampleCache()
    boards = [_suite_board(key, rows, metric, samples) for key, rows in groups.items()]
    return Leaderboard(boards, selection.incomplete, metric, selection.skipped)
