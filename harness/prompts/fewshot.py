"""Few-shot examples: drawn deterministically from other facts, never leaking the item's own."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from harness.prompts.items import Item
from harness.suite.schema import TaskDef


def pick_examples(task: TaskDef, item: Item, pool: Sequence[Item], k: int,
                  seed: int) -> list[Item]:
    """K examples for `item` from `pool` (items of the same task): never the item's own fact;
    for closed-book tasks never the item's document either."""
    if k <= 0:
        return []
    candidates = [
        other for other in pool
        if other.fact_id != item.fact_id and (task.with_document or other.document != item.document)
    ]
    digest = hashlib.sha256(f"{task.name}\0{item.fact_id}\0{seed}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return rng.sample(candidates, min(k, len(candidates)))
