"""Entry point of the `harness` command."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer

from harness import __version__
from harness.cli import (
    bench,
    build,
    compare,
    convert,
    interop,
    leaderboard,
    report,
    run,
    score,
    tasks,
)
from harness.cli.common import fail, say
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
app.command("convert-gguf")(convert.convert_command)
app.add_typer(tasks.app, name="tasks")


for module in (score, compare, report, interop, build):
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


def _usage_error(err: typer.TyperException) -> NoReturn:
    """click's usage errors (a bad value, a missing argument, an unknown option or command)
    as plain lines: the command's usage, then `error: MESSAGE`; exit 2. Not rich's box."""
    if type(err).__name__ == "NoArgsIsHelpError":  # the help, already printed (as typer does)
        sys.exit(err.exit_code)
    ctx = getattr(err, "ctx", None)
    if ctx is not None:
        say(ctx.get_usage(), err=True)
    fail(err.format_message())


def main() -> None:
    """Console script: one clear line and exit 2 for user errors (traceback with --debug,
    which may come anywhere on the line, before or after the command)."""
    if "--debug" in sys.argv[1:]:
        os.environ["HARNESS_DEBUG"] = "1"
        sys.argv = [sys.argv[0], *(a for a in sys.argv[1:] if a != "--debug")]
    debug = bool(os.environ.get("HARNESS_DEBUG"))
    try:  # not standalone: click's errors come here, to be printed as ours are
        code = app(standalone_mode=False, prog_name="harness")  # help, --version, Exit: code
    except typer.TyperException as err:  # click's exceptions derive from it
        _usage_error(err)
    except typer.Abort:
        fail("aborted", 1)
    except HarnessError as err:
        if debug:
            raise
        fail(str(err), err.exit_code)
    except OSError as err:  # a path given on the command line: a file where a folder goes...
        if debug:
            raise
        fail(f"{err.filename}: {err.strerror}" if err.filename and err.strerror else str(err))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
