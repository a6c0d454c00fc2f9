"""A suite table as the HTML template needs it: headers and cells with sort keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.board.board import BoardRow, SuiteBoard
from harness.board.columns import Column, board_columns, cell_parts
from harness.report.env import sort_value
from harness.report.names import model_label


@dataclass(frozen=True)
class Header:
    label: str
    numeric: bool
    descending: bool
    title: str


@dataclass(frozen=True)
class CellView:
    text: str
    sort: str
    numeric: bool
    ci: str = ""
    link: str | None = None
    title: str = ""


@dataclass(frozen=True)
class TableView:
    title: str
    headers: list[Header]
    rows: list[list[CellView]]
    metrics: str


def _cell(column: Column, row: BoardRow, board: SuiteBoard, link: str | None) -> CellView:
    sort = sort_value(column.get(row))
    if column.key in board.tasks:
        value, ci = cell_parts(row.cells.get(column.key))
        return CellView(value, sort, True, f"[{ci}]" if ci else "")
    if column.key == "model":
        run = row.row.run
        return CellView(model_label(run), sort, False, link=link, title=run.model.model_id)
    linked = column.key == "run"
    return CellView(column.text(row), sort, column.numeric, link=link if linked else None)


def _title(column: Column, board: SuiteBoard) -> str:
    if column.key in board.tasks:
        return f"{column.key}: {board.metrics[column.key]} in %, 95% CI"
    return column.label


def table_view(board: SuiteBoard, links: Mapping[str, str] | None = None) -> TableView:
    """`links` maps run ids to their pages (model and run cells link there)."""
    columns = board_columns(board)
    headers = [Header(c.label, c.numeric, c.descending, _title(c, board)) for c in columns]
    rows = [[_cell(c, r, board, (links or {}).get(r.row.run.run_id)) for c in columns]
            for r in board.rows]
    metrics = ", ".join(f"{t}: {m}" for t, m in board.metrics.items())
    return TableView(board.title, headers, rows, metrics)
