"""The report of the demo results, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.builder import build_report


@pytest.fixture(scope="session")
def report_index(demo_results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """index.html of the report of the reference models' runs."""
    return build_report(demo_results, tmp_path_factory.mktemp("report") / "site")
