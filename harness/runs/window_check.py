"""Before the model runs: every request's tokens against the model's context window.

Over-long items are refused, one line per task, unless the run chose a truncation policy
(`--truncate left|middle`); then each item's cut is recorded in its sample
(`truncated_tokens`). Nothing is ever cut silently (`engine/window.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.engine.types import GenRequest, LoglikRequest
from harness.engine.window import pair_overflow, prompt_overflow
from harness.errors import HarnessError


@dataclass(frozen=True)
class TaskRequests:
    """One task's requests, grouped per item (its repeats, or its choices)."""

    name: str
    per_item: Sequence[Sequence[GenRequest]] | Sequence[Sequence[LoglikRequest]]


def _lengths(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    if not texts:
        return []
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [len(row) for row in ids]


def item_overflows(tokenizer: Any, context: int, task: TaskRequests) -> list[int]:
    """Tokens each item is over the context (0 where it fits): its worst request's."""
    flat = [(i, r) for i, group in enumerate(task.per_item) for r in group]
    over = [0] * len(task.per_item)
    gens = [(i, r) for i, r in flat if isinstance(r, GenRequest)]
    pairs = [(i, r) for i, r in flat if isinstance(r, LoglikRequest)]
    for (i, r), n in zip(gens, _lengths(tokenizer, [r.prompt for _, r in gens]), strict=True):
        over[i] = max(over[i], prompt_overflow(n, r.max_new_tokens, context))
    whole = _lengths(tokenizer, [r.context + r.continuation for _, r in pairs])
    for (i, _), n in zip(pairs, whole, strict=True):
        over[i] = max(over[i], pair_overflow(n, 0, context))  # n - 1 tokens are fed
    return over


def check_windows(tokenizer: Any, context: int | None, tasks: Sequence[TaskRequests],
                  policy: str | None) -> dict[str, list[int]]:
    """Each task's per-item overflow; HarnessError listing every task that has over-long items
    when no policy was chosen. Without a tokenizer or a known context, nothing is counted
    (a server then refuses what it cannot take, and that error is reported)."""
    if tokenizer is None or context is None:
        return {t.name: [0] * len(t.per_item) for t in tasks}
    overflows = {t.name: item_overflows(tokenizer, context, t) for t in tasks}
    if policy is None:
        lines = []
        for name, over in overflows.items():
            long = [o for o in over if o > 0]
            if long:
                items = "item exceeds" if len(long) == 1 else "items exceed"
                lines.append(f"{name}: {len(long)} {items} the model's {context:,}-token context "
                             f"(longest by {max(long):,} tokens)")
        if lines:
            raise HarnessError("; ".join(lines) + ": use --truncate left|middle or a "
                               "longer-context model (or a smaller --max-new-tokens)")
    return overflows
