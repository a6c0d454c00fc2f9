"""Knowledge gap: open-book minus closed-book score on the same facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.board.cells import Cell


@dataclass(frozen=True)
class GapPair:
    open_task: str
    closed_task: str

    @property
    def label(self) -> str:
        return f"{self.open_task} − {self.closed_task}"


def closed_counterpart(task: str, tasks: Sequence[str]) -> str | None:
    """The closed-book task of open-book `task`: open_qa -> closed_qa, mc_open -> mc."""
    if "open" not in task:
        return None
    candidates = (task.replace("open", "closed"), task.replace("_open", ""),
                  task.replace("open_", ""))
    return next((c for c in candidates if c != task and c in tasks), None)


def gap_pairs(tasks: Sequence[str]) -> list[GapPair]:
    pairs = []
    for task in tasks:
        closed = closed_counterpart(task, tasks)
        if closed:
            pairs.append(GapPair(task, closed))
    return pairs


def gap_value(cells: Mapping[str, Cell], pair: GapPair) -> float | None:
    """Open minus closed, when both are present and measured with the same metric."""
    opened, closed = cells.get(pair.open_task), cells.get(pair.closed_task)
    if opened is None or closed is None or opened.metric != closed.metric:
        return None
    return opened.value - closed.value
