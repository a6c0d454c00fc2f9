"""Runs that did not complete: listed apart with their status, never ranked."""

from __future__ import annotations

from dataclasses import dataclass

from harness.board.select import Row


@dataclass(frozen=True)
class IncompleteRun:
    run_id: str
    model_id: str
    suite: str
    status: str
    tasks_done: list[str]
    tasks_planned: list[str]

    @property
    def progress(self) -> str:
        return f"{len(self.tasks_done)}/{len(self.tasks_planned)} tasks"


def describe(row: Row) -> IncompleteRun:
    r = row.run
    return IncompleteRun(r.run_id, r.model.model_id,
                         f"{r.suite.name} v{r.suite.version} ({r.suite.content_hash})",
                         r.status, list(r.tasks), list(r.suite.tasks))
