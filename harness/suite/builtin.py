"""Suites shipped inside the package (harness/suites/NAME): usable by name from any folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SEED_SUITE_NAME = "kr-news-2025-07"


def builtin_root() -> Path:
    """The folder of the shipped suites."""
    return Path(str(resources.files("harness") / "suites"))


def builtin_names() -> list[str]:
    root = builtin_root()
    return sorted(p.parent.name for p in root.glob("*/suite.yaml")) if root.is_dir() else []


def resolve_suite_path(path: Path | str) -> Path:
    """`path` as given when it exists; a bare name of a shipped suite (`kr-news-2025-07`) that
    is not a folder here is that suite; anything else is returned unchanged."""
    given = Path(path)
    if given.exists() or len(given.parts) != 1:
        return given
    if given.name in builtin_names():
        return builtin_root() / given.name
    return given
