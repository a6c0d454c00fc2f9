"""A private copy of the demo results, to edit through the results format."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture()
def results_copy(demo_results: Path, tmp_path: Path) -> Path:
    """A copy of the demo results folder (real runs of the reference models), free to edit."""
    dest = tmp_path / "results"
    shutil.copytree(demo_results, dest)
    return dest
