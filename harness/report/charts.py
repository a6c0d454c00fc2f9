"""The charts of one suite section, from the leaderboard and the runs' samples."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from harness.board.board import SuiteBoard
from harness.report.breakdown import Breakdown
from harness.report.plots import Point, Series, gap_scatter, grouped_bars


def task_chart(board: SuiteBoard, labels: Sequence[str]) -> Markup | None:
    if not board.rows or not board.tasks:
        return None
    series = []
    for label, row in zip(labels, board.rows, strict=True):
        cells = [row.cells.get(t) for t in board.tasks]
        series.append(Series(label, [c.value if c else None for c in cells],
                             [c.low if c else None for c in cells],
                             [c.high if c else None for c in cells]))
    return grouped_bars("score per task (95% CI, clustered by fact)", board.tasks, series)


def gap_points(board: SuiteBoard, labels: Sequence[str]) -> list[Point]:
    points = []
    for label, row in zip(labels, board.rows, strict=True):
        for pair in board.gaps:
            opened, closed = row.cells.get(pair.open_task), row.cells.get(pair.closed_task)
            if opened and closed and opened.metric == closed.metric:
                points.append(Point(label, pair.label, closed.value, opened.value))
    return points


def gap_chart(board: SuiteBoard, labels: Sequence[str]) -> Markup | None:
    points = gap_points(board, labels)
    return gap_scatter(points) if points else None


def breakdown_chart(data: Breakdown) -> Markup | None:
    if not data.categories or not data.models:
        return None
    return grouped_bars(f"% correct by {data.by} (tasks pooled)", data.categories,
                        data.series())
