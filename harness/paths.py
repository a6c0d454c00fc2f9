"""Where fact-harness keeps its own files: one folder in the user's cache."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/fact-harness`, else `~/.cache/fact-harness`: the request cache and
    the compiled kernels live under it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fact-harness"
