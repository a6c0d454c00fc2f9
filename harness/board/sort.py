"""`--sort COLUMN`: reorder each suite table by one column, missing values last."""

from __future__ import annotations

from dataclasses import replace

from harness.board.board import BoardRow, Leaderboard, SuiteBoard
from harness.board.columns import Column, board_columns
from harness.errors import HarnessError


def _plain(name: str) -> str:
    """A column name as typed or as shown: case, spaces and the minus sign (−) do not count."""
    return "".join(name.lower().replace("\u2212", "-").split())


def find_column(board: SuiteBoard, name: str) -> Column | None:
    wanted = _plain(name)
    for column in board_columns(board):
        if wanted in (_plain(column.key), _plain(column.label)):
            return column
    return None


def _sort_key(column: Column, row: BoardRow) -> tuple[bool, float, str]:
    value = column.get(row)
    if value is None:
        return (True, 0.0, "")
    if isinstance(value, str):
        return (False, 0.0, value.lower())
    return (False, -value if column.descending else value, "")


def sort_board(board: SuiteBoard, column: Column) -> SuiteBoard:
    rows = sorted(board.rows, key=lambda row: _sort_key(column, row))
    return replace(board, rows=rows)


def sort_leaderboard(board: Leaderboard, name: str | None) -> Leaderboard:
    """Sort every table that has column `name` (key or header); error when none has it."""
    if not name or not board.boards:
        return board
    found = [(b, find_column(b, name)) for b in board.boards]
    if all(column is None for _, column in found):
        keys = sorted({c.key for b in board.boards for c in board_columns(b)})
        raise HarnessError(f"--sort {name}: no such column (columns: {', '.join(keys)})")
    boards = [sort_board(b, c) if c else b for b, c in found]
    return replace(board, boards=boards)
