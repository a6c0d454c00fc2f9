"""How a data-parallel run's work is split across ranks (`runs/distributed.py`): units
that keep a shared prefix on one rank, their token cost, and a balanced assignment that
every rank computes alike."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from harness.engine.types import GenRequest

if TYPE_CHECKING:
    from harness.runs.runner import PlannedTask

CHARS_PER_TOKEN = 4  # cost estimate for a backend without a tokenizer


@dataclass(frozen=True)
class Unit:
    """Items of one task that go to one rank together."""

    task: int  # index into the run's planned tasks
    items: tuple[int, ...]
    cost: int  # estimated tokens: distinct prompt tokens (prefixes once) + new-token budgets


def _texts(requests: Sequence[Any]) -> list[str]:
    return [r.prompt if isinstance(r, GenRequest) else r.context + r.continuation
            for r in requests]


def _distinct_tokens(rows: list[list[int]]) -> int:
    """Tokens a trie of `rows` holds: what prefix reuse computes at best."""
    total, previous = 0, list[int]()
    for row in sorted(rows):
        common = 0
        for a, b in zip(previous, row, strict=False):
            if a != b:
                break
            common += 1
        total += len(row) - common
        previous = row
    return total


def _unit_cost(tokenizer: Any, requests: list[Any]) -> int:
    texts = _texts(requests)
    budget = sum(r.max_new_tokens for r in requests if isinstance(r, GenRequest))
    if tokenizer is None:
        rows = [[ord(c) for c in text[::CHARS_PER_TOKEN]] for text in texts]
    else:
        rows = [list(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    return _distinct_tokens(rows) + budget


def work_units(planned: Sequence[PlannedTask], tokenizer: Any) -> list[Unit]:
    """The run's units: per open-book task, one per document; per closed-book task, one per
    item."""
    units = []
    for t, one in enumerate(planned):
        groups: dict[str, list[int]] = {}
        for i, item in enumerate(one.items):
            key = item.document if one.task.with_document else item.item_id
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            requests = [r for i in members for r in one.requests.per_item[i]]
            units.append(Unit(t, tuple(members), _unit_cost(tokenizer, requests)))
    return units


def assign(units: Sequence[Unit], ranks: int) -> list[list[Unit]]:
    """Longest first, each onto the least loaded rank (ties: the lowest rank); the same on
    every rank."""
    loads = [0] * ranks
    shares: list[list[Unit]] = [[] for _ in range(ranks)]
    for unit in sorted(units, key=lambda u: (-u.cost, u.task, u.items[0])):
        rank = min(range(ranks), key=lambda r: (loads[r], r))
        loads[rank] += unit.cost
        shares[rank].append(unit)
    return shares


def plan_digest(planned: Sequence[PlannedTask]) -> str:
    """Every request of the run, hashed: ranks that render prompts differently disagree."""
    digest = hashlib.sha256()
    for one in planned:
        for group in one.requests.per_item:
            for request in group:
                digest.update(json.dumps(asdict(request), sort_keys=True).encode())
    return digest.hexdigest()[:16]
