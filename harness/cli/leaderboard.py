"""`harness leaderboard`: compare runs in one table per suite version."""

from __future__ import annotations

import html
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from harness.board.board import Leaderboard
from harness.board.formats import to_csv, to_json, to_markdown
from harness.board.skipped import skipped_line
from harness.board.table import load_leaderboard
from harness.cli.common import fail, say
from harness.errors import HarnessError


class BoardFormat(str, Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"
    html = "html"


def render_board(board: Leaderboard, fmt: BoardFormat) -> str:
    if fmt is BoardFormat.csv:
        return to_csv(board).rstrip("\n")
    if fmt is BoardFormat.json:
        return to_json(board)
    if fmt is BoardFormat.html:
        from harness.report.pages import leaderboard_page

        page = leaderboard_page(board)
        if board.skipped:  # the warning in the page too, above the page's end
            warning = html.escape(skipped_line(board.skipped))
            page = page.replace("</main>", f'<section><p class="warning">warning: {warning}'
                                           "</p></section>\n</main>", 1)
        return page
    return to_markdown(board)


def leaderboard_command(
    results: Annotated[Path, typer.Option(help="Folder holding run folders.")] = Path("results"),
    suite: Annotated[str | None, typer.Option(help="Only runs of this suite.")] = None,
    fmt: Annotated[BoardFormat | None, typer.Option(
        "--format", help="table (fits the terminal), md (for pasting), csv (one line per row "
                         "and task), json or html [default: table on a terminal, md when "
                         "piped].")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="table: dtype, prompt config, params, "
                                                      "throughput and memory columns too.")
                    ] = False,
    metric: Annotated[str | None, typer.Option(
        help="Metric per task (accuracy, f1, strict_em, acc, acc_norm, ...); a task that does "
             "not record it shows its primary metric.")] = None,
    sort: Annotated[str | None, typer.Option(
        help="Sort by this column: a task, mean_rank, model, params, items_per_s, ...")] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Every run, not only the newest per "
                                                         "row.")] = False,
) -> None:
    """Complete runs, one table per suite version, content hash and --limit: one row per
    model, dtype, thinking mode, engine, prompt configuration and set of tasks run (the newest
    such run unless --all), one column per task (95% CIs), knowledge gap, mean rank,
    throughput and memory. Incomplete runs are listed apart."""
    if not results.is_dir():
        fail(f"{results}: no such results folder" if not results.exists()
             else f"{results}: not a folder")
    try:
        board = load_leaderboard(results, suite, all_runs, metric, sort)
    except HarnessError as err:
        fail(str(err), err.exit_code)
        return
    if fmt is None:
        fmt = BoardFormat.table if sys.stdout.isatty() else BoardFormat.md
    if fmt is BoardFormat.table:
        from harness.board.terminal import terminal_view
        from harness.cli.common import console

        console.print(terminal_view(board, wide), markup=False, highlight=False)  # warns too
        return
    typer.echo(render_board(board, fmt))
    if board.skipped:  # on stderr as well, whatever the format: never dropped silently
        say(f"warning: {skipped_line(board.skipped)}", err=True)
