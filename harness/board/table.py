"""The leaderboard entry points: select runs, build the tables, render them as markdown."""

from __future__ import annotations

from pathlib import Path

from harness.board.board import Leaderboard, build_leaderboard
from harness.board.formats import to_markdown
from harness.board.select import Row, Selection, leaderboard_rows, select_runs
from harness.board.sort import sort_leaderboard

__all__ = ["Row", "leaderboard_rows", "load_leaderboard", "markdown_table"]


def load_leaderboard(results_dir: Path, suite: str | None = None, include_all: bool = False,
                     metric: str | None = None, sort: str | None = None) -> Leaderboard:
    """The leaderboard of the runs under `results_dir`, sorted by `sort` when given."""
    board = build_leaderboard(select_runs(results_dir, suite, include_all), metric)
    return sort_leaderboard(board, sort)


def markdown_table(rows: list[Row], metric: str | None = None) -> str:
    """Markdown tables of `rows` (complete runs ranked; others listed apart)."""
    complete = [r for r in rows if r.run.status == "complete"]
    incomplete = [r for r in rows if r.run.status != "complete"]
    return to_markdown(build_leaderboard(Selection(complete, incomplete), metric))
