"""Write a site into a fresh folder beside its destination, then swap it in by renames: a
reader (or a failure half-way) sees the old site or the new one, never a mix."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SITE_ENTRIES = ("index.html", "runs", "pairs")  # what a build writes; anything else is kept


@contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """A new empty folder beside `out_dir` to build in; when the block ends without an
    error it becomes `out_dir` (the user's own files there carried over), else it is removed
    and `out_dir` is left as it was."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.build-"))
    try:
        yield stage
        os.chmod(stage, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the site from others
        swap_in(stage, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def swap_in(stage: Path, out_dir: Path) -> None:
    """Replace `out_dir` by `stage`: two renames (the old site is moved aside first, then
    removed); entries of `out_dir` a build does not write move over to the new site."""
    if not out_dir.exists():
        os.replace(stage, out_dir)
        return
    for entry in out_dir.iterdir():
        if entry.name not in SITE_ENTRIES and not (stage / entry.name).exists():
            os.replace(entry, stage / entry.name)
    old = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.old-"))
    os.replace(out_dir, old / "site")
    os.replace(stage, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
