"""`harness report`: a self-contained static HTML site of a results folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import fail, require_folder, say
from harness.errors import HarnessError


def report_command(
    results: Annotated[Path, typer.Option(help="Folder holding run folders.")] = Path("results"),
    out: Annotated[Path, typer.Option(help="Folder to write the site to.")] = Path("report"),
    suite: Annotated[str | None, typer.Option(help="Only runs of this suite.")] = None,
) -> None:
    """Leaderboard, per-task charts, knowledge gap, breakdowns by answer type and document,
    one page per run with every item, one page per pair of models. No network needed to
    view it: CSS, JS and charts (SVG) are inline."""
    require_folder(out, "--out")
    try:
        from harness.report.builder import build_report  # matplotlib: only here

        index = build_report(results, out, suite,
                             warn=lambda line: say(f"warning: {line}", err=True))
    except HarnessError as err:
        fail(str(err), err.exit_code)
    typer.echo(f"report: {index}")


def register(app: typer.Typer) -> None:
    """Add the `report` command to `app`."""
    app.command("report")(report_command)
