"""Entry point of the `harness` command."""

from __future__ import annotations

import os
import sys

import typer

from harness import __version__
from harness.cli import bench, compare, interop, leaderboard, report, run, score, tasks
from harness.cli.common import fail
from harness.errors import HarnessError

app = typer.Typer(
    help="fact-harness: evaluate local causal LMs on suites built from the facts of documents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("run")(run.run_command)
app.command("leaderboard")(leaderboard.leaderboard_command)
app.command("bench")(bench.bench_command)
app.add_typer(tasks.app, name="tasks")


for module in (score, compare, report, interop):
    module.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fact-harness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    if debug:
        os.environ["HARNESS_DEBUG"] = "1"


def main() -> None:
    """Console script: one clear line and exit 2 for user errors (traceback with --debug)."""
    try:
        app()
    except HarnessError as err:
        if os.environ.get("HARNESS_DEBUG") or "--debug" in sys.argv:
            raise
        fail(str(err), err.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)
