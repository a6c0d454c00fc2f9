"""Shared CLI pieces: consoles, the error line and checks of paths given on the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from harness.suite.builtin import SEED_SUITE_NAME
from harness.suite.loader import Suite, SuiteLoadError, load_suite

DEFAULT_SUITE = Path(SEED_SUITE_NAME)  # the shipped seed suite, wherever the command runs
UNWRAPPED = 1_000_000  # columns of a console whose stream is not a terminal: nothing wraps


def _console(stderr: bool = False) -> Console:
    """A console as wide as the terminal; piped or redirected (`harness tasks list | cat`),
    so wide that no line is wrapped or cut (rich's tables take only the width they need)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else UNWRAPPED)


console = _console()
err_console = _console(stderr=True)


def say(text: str, *, err: bool = False) -> None:
    """Print `text` as written: no markup, no highlighting, never wrapped."""
    (err_console if err else console).print(text, highlight=False, markup=False, soft_wrap=True)


def error_line(message: str) -> None:
    """Print one `error: MESSAGE` line on stderr."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one error line on stderr and exit."""
    error_line(message)
    sys.exit(code)


def require_folder(path: Path | None, option: str) -> None:
    """Exit 2 with one line when `option`'s folder is an existing file (before any work)."""
    if path is not None and path.exists() and not path.is_dir():
        fail(f"{option} {path}: a file, not a folder")


def load_suite_or_exit(path: Path) -> Suite:
    """Load a suite; on loading problems print every one (an error line each) and exit 2."""
    try:
        return load_suite(path)
    except SuiteLoadError as err:
        for problem in err.problems:
            error_line(problem)
        raise typer.Exit(2) from None
