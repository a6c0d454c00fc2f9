"""The Python API: harness.evaluate / load_results / load_runs / leaderboard, on the tiny
random model with a limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness.board.formats import to_markdown
from harness.errors import HarnessError
from harness.results.store import read_run
from tests.conftest import ROOT


def test_import_harness_loads_no_torch() -> None:
    code = ("import sys, harness; harness.load_results; harness.leaderboard; "
            "print('torch' in sys.modules, callable(harness.evaluate))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "True"]


def test_evaluate_returns_the_run_folder_typed(tmp_path: Path, random_model: Path) -> None:
    result = harness.evaluate(model=str(random_model), suite="kr-news-2025-07",
                              tasks=["closed_qa", "mc"], limit=3, results_dir=tmp_path)
    assert result.status == "complete"
    assert result.run_dir.parent == tmp_path
    assert set(result.scores) == {"closed_qa", "mc"}
    assert result.record == read_run(result.run_dir)
    assert len(result.samples) == 6 and {s.task for s in result.samples} == {"closed_qa", "mc"}
    for task, value in result.scores.items():  # the score is the samples' mean, recomputed
        verdicts = [s.verdict == "correct" for s in result.samples if s.task == task]
        assert value == pytest.approx(sum(verdicts) / len(verdicts))
    again = harness.load_results(result.run_dir)
    assert again.record == result.record
    assert [r.run_id for r in harness.load_runs(tmp_path)] == [result.run_id]
    board = harness.leaderboard(tmp_path)
    assert len(board.boards) == 1 and len(board.boards[0].rows) == 1
    assert "tiny-exaone4-random" in to_markdown(board)


def test_evaluate_refuses_an_unknown_option_with_a_suggestion(random_model: Path) -> None:
    with pytest.raises(HarnessError, match=r"unknown option 'max_tokens'; did you mean "
                                           r"'max_new_tokens'\?"):
        harness.evaluate(model=str(random_model), max_tokens=3)
