"""Small faults of `harness run`: repeated tasks, unwritable results, counts when interrupted."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.runs.preflight import preflight
from harness.runs.runner import RunOptions
from tests.conftest import SEED_SUITE


def test_a_repeated_task_runs_once_in_the_order_given() -> None:
    plan = preflight(RunOptions(model="m", suite=SEED_SUITE, tasks=("mc", "tf", "mc", "tf")))
    assert [t.name for t in plan.tasks] == ["mc", "tf"]
    assert plan.options.tasks == ("mc", "tf")  # same signature as `--task mc --task tf`


def test_unwritable_results_refused_before_the_model_loads(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    options = RunOptions(model=str(tmp_path / "no-such-model"), suite=SEED_SUITE,
                         tasks=("mc",), results_dir=blocker / "results")
    with pytest.raises(HarnessError, match="not writable"):  # not the model's error
        preflight(options)
    assert not (tmp_path / "file").is_dir()


class _CtrlCAfter:
    """A progress display whose user presses Ctrl-C after `calls` updates."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, amount: int) -> None:
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt


def test_an_interrupted_run_counts_only_what_was_computed(tmp_path: Path,
                                                          random_model: Path) -> None:
    import sqlite3

    from harness.results.store import read_run
    from harness.runs.runner import run

    cache = tmp_path / "cache"
    options = RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=("closed_qa",), limit=6,
                         batch_size=2, results_dir=tmp_path / "results", cache_dir=cache)
    with pytest.raises(KeyboardInterrupt):
        run(options, _CtrlCAfter(3))
    record = read_run(next((tmp_path / "results").iterdir()))
    with sqlite3.connect(cache / "requests.sqlite") as db:
        stored = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert record.status == "interrupted"
    assert 0 < stored < 6  # stopped part-way through the task's 6 requests
    assert (record.cache.hits, record.cache.computed) == (0, stored)
