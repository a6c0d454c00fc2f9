"""Few-shot examples: drawn deterministically from other facts, never leaking the item's own."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from harness.suite.items import Item
from harness.suite.schema import TaskDef


def _candidates(task: TaskDef, item: Item, pool: Sequence[Item]) -> list[Item]:
    return [other for other in pool if other.fact_id != item.fact_id
            and (task.with_document or other.document != item.document)]


def examples_room(task: TaskDef, pool: Sequence[Item]) -> int:
    """The most examples every item of `pool` can be given (the fewest candidates any has)."""
    if task.with_document:  # every other item qualifies
        return max(0, len(pool) - 1)
    per_document: dict[str, int] = {}
    for item in pool:
        per_document[item.document] = per_document.get(item.document, 0) + 1
    return min((len(pool) - n for n in per_document.values()), default=0)


def pick_examples(task: TaskDef, item: Item, pool: Sequence[Item], k: int,
                  seed: int) -> list[Item]:
    """K examples for `item` from `pool` (items of the same task): never the item's own fact;
    for closed-book tasks never the item's document either."""
    if k <= 0:
        return []
    candidates = _candidates(task, item, pool)
    digest = hashlib.sha256(f"{task.name}\0{item.fact_id}\0{seed}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return rng.sample(candidates, min(k, len(candidates)))
