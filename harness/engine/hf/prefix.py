"""Group token sequences that share a long prefix, so the prefix is computed once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass(frozen=True)
class PrefixGroup:
    prefix_len: int  # tokens shared by every member (each member keeps >= 1 token of its own)
    members: tuple[int, ...]  # indices into the original list


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Tokens two sequences share from their start."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def group_by_prefix(
    sequences: Sequence[Sequence[int]], *, enabled: bool = True, min_share: float = 0.5
) -> list[PrefixGroup]:
    """Sort sequences and cut them into runs whose common prefix is worth sharing.

    Neighbours (in token order) join a run while their common prefix covers at least
    `min_share` of the shorter one: the items of one open-book document share the document,
    the choices of one question share the question, unrelated questions stay apart. With
    `enabled=False` every sequence is its own group with no prefix (the plain path).
    """
    if not enabled:
        return [PrefixGroup(0, (i,)) for i in range(len(sequences))]
    order = sorted(range(len(sequences)), key=lambda i: tuple(sequences[i]))
    groups: list[PrefixGroup] = []
    run: list[int] = []
    shared = 0
    for index in order:
        if run:
            prev = sequences[run[-1]]
            common = common_prefix(prev, sequences[index])
            new_shared = min(shared, common)
            shorter = min(len(prev), len(sequences[index]))
            if common >= max(1, min_share * shorter) and new_shared >= min_share * shared:
                run.append(index)
                shared = new_shared
                continue
            groups.append(_close(run, shared, sequences))
        run, shared = [index], len(sequences[index])
    if run:
        groups.append(_close(run, shared, sequences))
    return groups


def _close(run: list[int], shared: int, sequences: Sequence[Sequence[int]]) -> PrefixGroup:
    if len(run) == 1:
        return PrefixGroup(0, tuple(run))
    shortest = min(len(sequences[i]) for i in run)
    return PrefixGroup(max(0, min(shared, shortest - 1)), tuple(run))


@dataclass(frozen=True)
class Prefix:
    """The KV cache of several groups' prefixes, computed in one right-padded pass."""

    cache: Any
    mask: torch.Tensor  # (groups, longest prefix): 1 where a prefix token is
    lengths: torch.Tensor  # (groups,): each prefix's length (its rows' first position)


@dataclass(frozen=True)
class Batch:
    """Groups whose prefixes run together; `members` are (group index, request index)."""

    prefix_lens: list[int]
    members: list[tuple[int, int]]
    max_prefix: int
    leaders: list[int] = field(default_factory=list)  # a request of each group

    def prefix_of(self, group: int) -> int:
        return self.prefix_lens[group] if self.prefix_lens else 0
