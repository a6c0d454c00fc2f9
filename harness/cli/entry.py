"""The `harness` console script's first step: `--version` answers before any command module
(and torch) is imported, and Ctrl-C while they import is one line, exit 130."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from harness import __version__

        print(f"fact-harness {__version__}")
        sys.exit(0)
    try:
        from harness.cli.main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    run()
