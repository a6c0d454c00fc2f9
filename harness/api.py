"""The Python API, for notebooks and CI: `harness.evaluate`, `harness.load_results`,
`harness.load_runs`, `harness.leaderboard`. Importing it loads no model code (torch is
imported when `evaluate` runs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.board.board import Leaderboard
from harness.errors import HarnessError
from harness.results.records import RunRecord, Sample
from harness.results.store import find_runs, read_run, read_samples
from harness.runs.options import RunOptions
from harness.suite.builtin import SEED_SUITE_NAME
from harness.suite.messages import did_you_mean

__all__ = ["RunResult", "evaluate", "leaderboard", "load_results", "load_runs"]


@dataclass(frozen=True)
class RunResult:
    """A run folder's data, typed: `record` (run.json), `samples` (samples.jsonl, read when
    first asked for) and `scores` (each task's primary metric)."""

    run_dir: Path
    record: RunRecord

    @cached_property
    def samples(self) -> list[Sample]:
        return read_samples(self.run_dir)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def scores(self) -> dict[str, float]:
        """Task name -> the value of its primary metric."""
        return {name: task.primary.value for name, task in self.record.tasks.items()}


def _options(model: str, suite: str | Path, tasks: Sequence[str],
             options: dict[str, Any]) -> RunOptions:
    fields = {f.name for f in dataclasses.fields(RunOptions)} - {"model", "suite", "tasks"}
    for name in options:
        if name not in fields:
            raise HarnessError(f"evaluate(): unknown option {name!r}"
                               f"{did_you_mean(name, sorted(fields))} (options: "
                               f"{', '.join(sorted(fields))})")
    for name in ("results_dir", "cache_dir"):
        if isinstance(options.get(name), str):
            options[name] = Path(options[name])
    return RunOptions(model=str(model), suite=Path(suite), tasks=tuple(tasks), **options)


def evaluate(model: str | Path, suite: str | Path = SEED_SUITE_NAME,
             tasks: Sequence[str] = (), *, log_to: Sequence[str] = (),
             **options: Any) -> RunResult:
    """Evaluate `model` (a local folder or hub id) on `suite` (a folder or a shipped suite's
    name), every task unless `tasks`; `options` are `harness run`'s, named as RunOptions
    fields (limit=5, num_fewshot=2, results_dir="results", cache_dir=None, ...). Logs the
    finished run to each tracker in `log_to` ("mlflow", "wandb", "tensorboard", "trackio").
    Raises HarnessError on bad input, as the CLI's one-line errors."""
    from harness.runs.runner import run  # torch: only when a model is evaluated
    from harness.tracking.log import check_trackers

    check_trackers(list(log_to))  # before the model loads
    run_dir = run(_options(str(model), suite, tasks, dict(options)))
    if log_to:
        from harness.tracking import log_run

        for backend in log_to:
            log_run(run_dir, backend)
    return load_results(run_dir)


def load_results(run_dir: str | Path) -> RunResult:
    """The run in `run_dir` (a folder holding run.json)."""
    path = Path(run_dir)
    return RunResult(path, read_run(path))


def load_runs(results_dir: str | Path = "results") -> list[RunResult]:
    """Every readable run under `results_dir`, oldest first."""
    return [RunResult(path, record) for path, record in find_runs(Path(results_dir))]


def leaderboard(results_dir: str | Path = "results", suite: str | None = None, *,
                metric: str | None = None, sort: str | None = None,
                include_all: bool = False) -> Leaderboard:
    """The leaderboard of the runs under `results_dir` (`.boards`: one table per suite
    version; `harness.board.formats.to_markdown(board)` renders it)."""
    from harness.board.table import load_leaderboard

    return load_leaderboard(Path(results_dir), suite, include_all, metric, sort)
