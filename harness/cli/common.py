"""Shared CLI pieces: consoles and the error boundary."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from harness.suite.loader import Suite, SuiteLoadError, load_suite

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True,
                      soft_wrap=True)
    sys.exit(code)


def load_suite_or_exit(path: Path) -> Suite:
    """Load a suite; on loading problems print every one (a line each) and exit 2."""
    try:
        return load_suite(path)
    except SuiteLoadError as err:
        for problem in err.problems:
            err_console.print(problem, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
