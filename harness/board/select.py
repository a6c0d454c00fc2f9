"""Which runs make the leaderboard: complete runs, newest per row key; incomplete runs apart.

A row key names the model setup and the items it ran (its tasks and `--limit`), so a run on
fewer items or tasks never hides one on more: it is a row of its own (in a table of its own
when its `--limit` differs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.board.skipped import unreadable_runs
from harness.errors import HarnessError
from harness.results.records import RunRecord
from harness.results.store import find_runs

SuiteKey = tuple[str, str, str, int | None]  # name, version, content hash, --limit


@dataclass(frozen=True)
class Row:
    """One run as a leaderboard row."""

    run: RunRecord
    run_dir: Path

    @property
    def key(self) -> tuple[object, ...]:
        """(suite key, model, dtype, thinking, engine, prompt configuration, tasks run): runs
        prompted or decoded differently, or run on other items, are different rows."""
        r = self.run
        return (*self.suite_key, r.model.model_id, r.model.dtype, r.settings.thinking,
                r.settings.engine, r.settings.prompt_config, tuple(sorted(r.tasks)))

    @property
    def suite_key(self) -> SuiteKey:
        """The table a run belongs to: suite name, version, content hash and `--limit`."""
        s = self.run.suite
        return (s.name, s.version, s.content_hash, self.run.settings.limit)


@dataclass(frozen=True)
class Selection:
    """Complete runs to rank and incomplete runs (running or failed) to list apart."""

    rows: list[Row] = field(default_factory=list)
    incomplete: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unreadable run folders, with the reason


def select_runs(results_dir: Path, suite: str | None = None,
                include_all: bool = False) -> Selection:
    """Runs under `results_dir` (of suite `suite` when given): every complete run when
    `include_all`, else the newest complete run per row key."""
    chosen: dict[object, Row] = {}
    incomplete: list[Row] = []
    suites: set[str] = set()
    for index, (run_dir, run) in enumerate(find_runs(results_dir)):
        suites.add(run.suite.name)
        if suite and run.suite.name != suite:
            continue
        row = Row(run, run_dir)
        if run.status != "complete":
            incomplete.append(row)
            continue
        chosen[(row.key, index) if include_all else row.key] = row
    if suite and suites and suite not in suites:
        raise HarnessError(f"--suite {suite}: no run of that suite in {results_dir} (its runs' "
                           f"suites: {', '.join(sorted(suites))})")
    return Selection(list(chosen.values()), incomplete, unreadable_runs(results_dir))


def leaderboard_rows(results_dir: Path, suite: str | None = None,
                     include_all: bool = False) -> list[Row]:
    """Complete runs, newest per row key unless `include_all`."""
    return select_runs(results_dir, suite, include_all).rows
