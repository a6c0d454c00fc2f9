"""The cache root: `$XDG_CACHE_HOME` when absolute, else the home folder's, else a temporary
folder of the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import paths


def test_an_absolute_xdg_cache_home_is_used(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert paths.cache_root() == tmp_path / "fact-harness"


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.cache_root() == tmp_path / ".cache" / "fact-harness"


def test_no_home_at_all_falls_back_to_a_temporary_folder(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    monkeypatch.setattr(paths.tempfile, "gettempdir", lambda: str(tmp_path))
    root = paths.cache_root()
    assert root.parent == tmp_path and root.name.startswith("fact-harness-")
