"""Shared CLI pieces: consoles and the error boundary."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True,
                      soft_wrap=True)
    sys.exit(code)
