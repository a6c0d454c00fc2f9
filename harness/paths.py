"""Where fact-harness keeps its own files: one folder in the user's cache."""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/fact-harness`, else `~/.cache/fact-harness`: the request cache and
    the compiled kernels live under it. A relative `$XDG_CACHE_HOME` is ignored (as the XDG
    spec says); with no home folder at all (a container's arbitrary user), a folder of the
    user's own under the system's temporary one."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "fact-harness"
    try:
        return Path.home() / ".cache" / "fact-harness"
    except RuntimeError:  # no $HOME and no passwd entry
        return Path(tempfile.gettempdir()) / f"fact-harness-{_user()}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"
