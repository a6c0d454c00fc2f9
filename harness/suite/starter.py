"""`harness tasks new NAME`: a minimal valid suite (one document, two facts, every regime),
copied from the commented files in harness/suite/starter/."""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from harness.errors import HarnessError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _copy(source: Traversable, target: Path, name: str) -> list[Path]:
    written = []
    for entry in source.iterdir():
        if entry.name.startswith((".", "__")):
            continue
        path = target / entry.name
        if entry.is_dir():
            path.mkdir()
            written += _copy(entry, path, name)
        else:
            path.write_text(entry.read_text(encoding="utf-8").replace("__NAME__", name),
                            encoding="utf-8")
            written.append(path)
    return written


def new_suite(folder: Path) -> list[Path]:
    """Create `folder` holding the starter suite named after it; the files written."""
    name = folder.resolve().name
    if not re.match(NAME_PATTERN, name):
        raise HarnessError(f"{folder}: the folder's name {name!r} is the suite's name: use "
                           "letters, digits, '.', '_' and '-' (starting with a letter or digit)")
    if folder.exists():
        raise HarnessError(f"{folder}: already exists; choose a new folder name")
    folder.mkdir(parents=True)
    return sorted(_copy(resources.files("harness.suite") / "starter", folder, name))
