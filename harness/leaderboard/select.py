"""Which runs make the leaderboard: complete runs, newest per row key; incomplete runs apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.results.records import RunRecord
from harness.results.store import find_runs

RowKey = tuple[str, str, bool, str, str]
SuiteKey = tuple[str, str, str]


@dataclass(frozen=True)
class Row:
    """One run as a leaderboard row."""

    run: RunRecord
    run_dir: Path

    @property
    def key(self) -> tuple[str, str, bool, str, str, str, str, str]:
        """(model, dtype, thinking, suite name, suite version, content hash, engine, prompt
        configuration): runs prompted or decoded differently are different rows."""
        r = self.run
        return (r.model.model_id, r.model.dtype, r.settings.thinking, r.suite.name,
                r.suite.version, r.suite.content_hash, r.settings.engine,
                r.settings.prompt_config)

    @property
    def row_key(self) -> RowKey:
        """The key within one suite table: (model, dtype, thinking, engine, prompt config)."""
        r = self.run
        return (r.model.model_id, r.model.dtype, r.settings.thinking, r.settings.engine,
                r.settings.prompt_config)

    @property
    def suite_key(self) -> SuiteKey:
        s = self.run.suite
        return (s.name, s.version, s.content_hash)


@dataclass(frozen=True)
class Selection:
    """Complete runs to rank and incomplete runs (running or failed) to list apart."""

    rows: list[Row] = field(default_factory=list)
    incomplete: list[Row] = field(default_factory=list)


def select_runs(results_dir: Path, suite: str | None = None,
                include_all: bool = False) -> Selection:
    """Runs under `results_dir` (of suite `suite` when given): every complete run when
    `include_all`, else the newest complete run per row key."""
    chosen: dict[object, Row] = {}
    incomplete: list[Row] = []
    for index, (run_dir, run) in enumerate(find_runs(results_dir)):
        if suite and run.suite.name != suite:
            continue
        row = Row(run, run_dir)
        if run.status != "complete":
            incomplete.append(row)
            continue
        chosen[(row.key, index) if include_all else row.key] = row
    return Selection(list(chosen.values()), incomplete)


def leaderboard_rows(results_dir: Path, suite: str | None = None,
                     include_all: bool = False) -> list[Row]:
    """Complete runs, newest per row key unless `include_all`."""
    return select_runs(results_dir, suite, include_all).rows
