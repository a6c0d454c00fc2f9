"""`harness compare RUN_A RUN_B`: paired per-task differences with CIs and McNemar tests."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import fail
from harness.compare.comparison import compare_runs
from harness.compare.formats import to_json, to_markdown
from harness.compare.resolve import resolve_run
from harness.errors import HarnessError


class CompareFormat(str, Enum):
    md = "md"
    json = "json"


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run folder, or run id under --results.",
                                         show_default=False)],
    run_b: Annotated[str, typer.Argument(help="Run folder, or run id under --results.",
                                         show_default=False)],
    results: Annotated[Path, typer.Option(help="Folder holding run folders.")] = Path("results"),
    fmt: Annotated[CompareFormat, typer.Option("--format", help="md or json.")] = (
        CompareFormat.md),
    flips: Annotated[bool, typer.Option(
        "--flips", help="List the items one run got right and the other wrong.")] = False,
) -> None:
    """Per task shared by both runs: A − B in % correct with a paired bootstrap 95% CI
    (clustered by fact), the exact McNemar p-value and a verdict at α=0.05. Runs on different
    suite contents are refused."""
    try:
        comparison = compare_runs(resolve_run(run_a, results), resolve_run(run_b, results))
    except HarnessError as err:
        fail(str(err), err.exit_code)
    text = to_json(comparison, flips) if fmt is CompareFormat.json else \
        to_markdown(comparison, flips)
    typer.echo(text)


def register(app: typer.Typer) -> None:
    """Add the `compare` command to `app`."""
    app.command("compare")(compare_command)
