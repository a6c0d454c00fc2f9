"""The terminal leaderboard fits the width (short model names, --wide for the rest), and
unreadable runs are listed under a warning in every format."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from harness.board.table import load_leaderboard
from harness.board.terminal import short_model_name, terminal_view
from tests.conftest import SEED_SUITE, harness_cli


@pytest.fixture(scope="module")
def small_results(tmp_path_factory: pytest.TempPathFactory, random_model: Path,
                  memorizer_model: Path) -> Path:
    results = tmp_path_factory.mktemp("results")
    for model in (random_model, memorizer_model):
        harness_cli("run", "--model", str(model), "--suite", str(SEED_SUITE), "--results",
                    str(results), "--task", "closed_qa", "--task", "open_qa", "--task", "mc",
                    "--task", "closed_qa_ko", "--limit", "3", "--no-cache",
                    check=True)  # no cache: whatever ran before, these runs measure throughput
    return results


def _render(results: Path, width: int, wide: bool = False) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(
        terminal_view(load_leaderboard(results), wide))
    return out.getvalue()


def test_short_model_names() -> None:
    assert short_model_name("/work/models/tiny-exaone4-random/") == "tiny-exaone4-random"
    assert short_model_name("LGAI-EXAONE/EXAONE-4.0-1.2B") == "EXAONE-4.0-1.2B"


@pytest.mark.parametrize("width", [80, 120])
def test_table_fits_the_terminal(small_results: Path, width: int) -> None:
    text = _render(small_results, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "tiny-exaone4-random" in text and "tiny-exaone4-memorizer" in text
    assert str(small_results.parent) not in text  # the short names, not the full paths
    assert "items/s" not in text and "--wide" in text


def test_wide_adds_throughput_and_json_keeps_full_ids(small_results: Path) -> None:
    assert "items/s" in _render(small_results, 250, wide=True)
    data = json.loads(harness_cli("leaderboard", "--results", str(small_results), "--format",
                                  "json", check=True).stdout)
    assert all(Path(row["model"]).is_absolute() for row in data["suites"][0]["rows"])


def test_unreadable_run_is_named_in_every_format(small_results: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(small_results, results)
    broken = sorted(results.glob("*/run.json"))[0]
    broken.write_text(broken.read_text(encoding="utf-8")[:200], encoding="utf-8")
    expected = f"skipped 1 run: {broken}: truncated JSON"
    for fmt in ("md", "csv", "json", "html", "table"):
        result = harness_cli("leaderboard", "--results", str(results), "--format", fmt,
                             check=True)
        shown = result.stdout + result.stderr
        assert expected in shown, fmt
    data = json.loads(harness_cli("leaderboard", "--results", str(results), "--format", "json",
                                  check=True).stdout)
    assert data["skipped"] == [f"{broken}: truncated JSON"]
    assert len(data["suites"][0]["rows"]) == 1  # the readable run is still ranked
