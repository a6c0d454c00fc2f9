"""The leaderboard on a terminal: a rich table per suite that fits the width. Short model
names (a folder's or hub id's last part; the full id is in the JSON/CSV/HTML formats); score
cells as value over CI; identity and throughput columns only with `wide`."""

from __future__ import annotations

from pathlib import PurePosixPath

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from harness.board.board import BoardRow, Leaderboard, SuiteBoard
from harness.board.columns import (
    Column,
    cell_parts,
    efficiency_columns,
    identity_columns,
)
from harness.board.formats import NOTE
from harness.board.incomplete import describe
from harness.board.skipped import skipped_line


def short_model_name(model_id: str) -> str:
    """`/models/tiny-exaone4-random` -> `tiny-exaone4-random`; `LGAI-EXAONE/EXAONE-4.0-1.2B`
    -> `EXAONE-4.0-1.2B`."""
    name = PurePosixPath(model_id.rstrip("/")).name
    return name or model_id


def _suffix(row: BoardRow, rows: list[BoardRow]) -> str:
    """What tells rows of one model apart in the narrow table (dtype, thinking, prompt)."""
    same = [r for r in rows if r.row.run.model.model_id == row.row.run.model.model_id]
    if len(same) < 2:
        return ""
    s = row.row.run.settings
    return f" ({row.row.run.model.dtype}{', thinking' if s.thinking else ''}, " \
           f"{s.prompt_config[:6]})"


def _score(row: BoardRow, task: str) -> Text:
    value, ci = cell_parts(row.cells.get(task))
    text = Text(value, style="bold")
    if ci:
        text.append(f"\n{ci}", style="dim")
    return text


def suite_table(board: SuiteBoard, wide: bool = False) -> Table:
    table = Table(title=board.title, title_justify="left", expand=False, show_lines=False,
                  header_style="bold")
    longest = max((len(short_model_name(r.row.run.model.model_id)) for r in board.rows),
                  default=8)
    table.add_column("model", overflow="fold", min_width=min(longest, 24))
    extra: list[Column] = identity_columns()[1:] if wide else []
    for column in extra:
        table.add_column(column.label, overflow="fold")
    for task in board.tasks:
        table.add_column(task, justify="right", overflow="fold", min_width=5)
    for pair in board.gaps:
        table.add_column(f"gap {pair.label}", justify="right", overflow="fold", min_width=5)
    table.add_column("rank", justify="right", min_width=4)
    tail: list[Column] = []
    if wide:
        tail = [c for c in efficiency_columns() if any(c.get(r) is not None for r in board.rows)]
        for column in tail:
            table.add_column(column.label, justify="right", overflow="fold")
    for row in board.rows:
        name = short_model_name(row.row.run.model.model_id) + _suffix(row, board.rows)
        gaps = [Text("–" if v is None else f"{100 * v:+.1f}") for v in
                (row.gaps.get(p.label) for p in board.gaps)]
        rank = "–" if row.mean_rank is None else f"{row.mean_rank:.2f}"
        table.add_row(Text(name), *(Text(c.text(row)) for c in extra),
                      *(_score(row, t) for t in board.tasks), *gaps, Text(rank),
                      *(Text(c.text(row)) for c in tail))
    metrics = ", ".join(f"{t} {m}" for t, m in board.metrics.items())
    table.caption = f"Metrics: {metrics}. {NOTE}" + ("" if wide else " --wide: dtype, "
                                                     "prompt, params, throughput, memory.")
    table.caption_justify = "left"
    return table


def terminal_view(board: Leaderboard, wide: bool = False) -> RenderableType:
    """Everything `harness leaderboard` shows on a terminal."""
    parts: list[RenderableType] = [suite_table(b, wide) for b in board.boards]
    if not parts:
        parts.append(Text("No complete runs found."))
    if board.incomplete:
        incomplete = Table("run", "model", "status", "done", title="Incomplete runs (not ranked)",
                           title_justify="left")
        for run in map(describe, board.incomplete):
            incomplete.add_row(run.run_id, short_model_name(run.model_id), run.status,
                               run.progress)
        parts.append(incomplete)
    if board.skipped:
        parts.append(Text(f"warning: {skipped_line(board.skipped)}", style="yellow"))
    return Group(*parts)
