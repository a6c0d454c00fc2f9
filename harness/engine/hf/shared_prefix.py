"""Rows that continue one cached prefix read it in place, instead of each holding a copy.

Open-book generation runs several questions after one document: each row's cache used to
start with its own copy of the document's keys and values. Here a row's cache holds only
its own tokens, and attention is split in two: over its group's prefix cache (one copy for
all rows continuing it) and over the row's own keys. Both parts' scores are normalised by
one softmax, which is the same attention as over the concatenated keys; memory no longer
grows with rows × document, and a decode step reads each document once per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch


@dataclass
class SharedPrefix:
    """The prefix cache rows continue: layer i's keys/values are (groups, kv heads, P, dim),
    each group's prefix right-padded (its first `lengths[g]` positions are real)."""

    cache: Any
    lengths: list[int]  # each group's prefix length
    rows: torch.Tensor  # (rows,): each row's group
    calls: int = 0  # attention calls that read it (the engine checks the model passes it on)

    def select(self, index: torch.Tensor) -> SharedPrefix:
        """Rows `index` only (rows that finished leave)."""
        return SharedPrefix(self.cache, self.lengths, self.rows.index_select(0, index))

    def extend(self, other: SharedPrefix) -> SharedPrefix:
        """These rows, then `other`'s (rows joining a running decode)."""
        if other.cache is not self.cache:
            raise ValueError("rows continuing different prefix caches cannot decode together")
        return SharedPrefix(self.cache, self.lengths, torch.cat([self.rows, other.rows]))

    @cached_property
    def row_groups(self) -> list[int]:
        """Each row's group, read from `rows` once (on a GPU each read waits for the device)."""
        groups: list[int] = self.rows.tolist()
        return groups

    @cached_property
    def span(self) -> tuple[int, int]:
        """The first and one past the last group these rows continue: decode steps read the
        prefix cache's groups in this range (a view), not each group on its own."""
        return min(self.row_groups), max(self.row_groups) + 1

    @cached_property
    def members(self) -> list[tuple[int, torch.Tensor | slice]]:
        """Each group present and its rows (a slice when it has them all); worked out once
        for these rows, not in every layer's attention call."""
        groups = sorted(set(self.row_groups))
        if len(groups) == 1:
            return [(groups[0], slice(None))]
        return [(g, (self.rows == g).nonzero().flatten()) for g in groups]

    @cached_property
    def width(self) -> int:
        """The longest prefix these rows read."""
        return max(self.lengths[g] for g, _ in self.members)

    @cached_property
    def slots(self) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Each row's place in a (groups of the span, slots) grid: its group (from the span's
        first) and its rank among its group's rows, and the most rows any group has. Worked
        out once for these rows, not in every layer's attention call."""
        first, _ = self.span
        seen: dict[int, int] = {}
        ranks = []
        for g in self.row_groups:
            ranks.append(seen.get(g, 0))
            seen[g] = ranks[-1] + 1
        device = self.rows.device
        return (self.rows - first, torch.tensor(ranks, dtype=torch.long, device=device),
                max(seen.values()))

    @cached_property
    def bias(self) -> torch.Tensor:
        """(groups of the span, 1, 1, width) float32: 0 at each group's real prefix positions,
        -inf after them."""
        first, last = self.span
        lengths = torch.tensor(self.lengths[first:last], device=self.rows.device)
        real = torch.arange(self.width, device=self.rows.device)[None, :] < lengths[:, None]
        zeros = torch.zeros(real.shape, dtype=torch.float32, device=self.rows.device)
        return zeros.masked_fill(~real, float("-inf"))[:, None, None, :]

    @cached_property
    def real(self) -> torch.Tensor:
        """(rows, width) bool: the positions of each row's prefix that are real tokens."""
        lengths = torch.tensor(self.lengths, device=self.rows.device).index_select(0, self.rows)
        return torch.arange(self.width, device=self.rows.device)[None, :] < lengths[:, None]


def _own_mask(mask: torch.Tensor | None, batch: int, length: int, keys: int,
              device: torch.device) -> torch.Tensor:
    """(batch, 1, length, keys) bool over the row's own keys; None from the mask function
    means plainly causal (the last `length` keys are the queries)."""
    if mask is None:
        causal = torch.ones((length, keys), dtype=torch.bool, device=device).tril(keys - length)
        return causal.expand(batch, 1, length, keys)
    if mask.dtype != torch.bool:
        mask = mask == 0  # an additive mask: 0 where attending
    return mask.expand(batch, 1, length, keys)


def stacked_sdpa(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 mask: torch.Tensor, scaling: float | None) -> torch.Tensor:
    """SDPA with each key/value head's query heads stacked as extra query rows, the mask
    (rows, 1, L, keys) repeated to match: no copies of key/value heads (`repeat_kv`).
    Returns (rows, L, heads, dim)."""
    batch, heads, length, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    mask = mask.expand(batch, groups, length, mask.shape[-1]).reshape(
        batch, 1, groups * length, mask.shape[-1])
    out = torch.nn.functional.scaled_dot_product_attention(
        query.reshape(batch, kv_heads, groups * length, dim), key, value, attn_mask=mask,
        scale=scaling)
    return out.reshape(batch, heads, length, dim).transpose(1, 2).contiguous()


def _over_copies(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 own_mask: torch.Tensor, scaling: float, shared: SharedPrefix, layer: Any
                 ) -> torch.Tensor:
    """A pass of several tokens: attention over a copy of each row's prefix made for this
    layer only and freed after it (the kernel's fused path is faster here than split scores)."""
    rows, width = shared.rows, shared.width
    keys = torch.cat([layer.keys[:, :, :width].index_select(0, rows), key], dim=2)
    values = torch.cat([layer.values[:, :, :width].index_select(0, rows), value], dim=2)
    batch, _, length, _ = query.shape
    mask = torch.cat([shared.real[:, None, None, :].expand(batch, 1, length, width), own_mask],
                     dim=-1)
    return stacked_sdpa(query, keys, values, mask, scaling)


def shared_prefix_attention(module: Any, query: torch.Tensor, key: torch.Tensor,
                            value: torch.Tensor, attention_mask: torch.Tensor | None,
                            scaling: float, shared: SharedPrefix) -> torch.Tensor:
    """Attention of `query` (rows, heads, L, dim) over its group's prefix and its own `key`/
    `value` (rows, kv heads, S, dim); returns (rows, L, heads, dim) as attention layers do.
    One-token passes (decode steps) read each prefix once for all its rows: scores in
    float32, a key/value head's query heads stacked; per group on a CPU, in one grid of
    every group elsewhere (`per_group_step`, `grid_step`: the same numbers). Longer passes
    attend over a per-layer copy (`_over_copies`) that is freed at once, so no row keeps
    one."""
    shared.calls += 1
    batch, _, length, _ = query.shape
    layer = shared.cache.layers[module.layer_idx]
    own_mask = _own_mask(attention_mask, batch, length, key.shape[2], query.device)
    if length > 1:
        return _over_copies(query, key, value, own_mask, scaling, shared, layer)
    step = per_group_step if query.is_cpu else grid_step
    return step(query, key, value, own_mask, scaling, shared, layer)


def per_group_step(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                   own_mask: torch.Tensor, scaling: float, shared: SharedPrefix, layer: Any
                   ) -> torch.Tensor:
    """A decode step on a CPU: each group's rows against its prefix, in a loop over the
    groups, reading only each prefix's real positions. Compute, not the number of
    operations, bounds a CPU's step: for a 1.2B-shaped layer (16 rows after 1-4 documents
    of 700-1300 tokens, 2 cores) this form took 0.5-1.0x the time of `grid_step`."""
    batch, heads, _, dim = query.shape
    kv_heads, own = key.shape[1], key.shape[2]
    groups = heads // kv_heads
    members, width = shared.members, shared.width
    q = (query.float() * scaling).reshape(batch, kv_heads, groups, dim)
    scores = q.new_full((batch, kv_heads, groups, width + own), float("-inf"))
    for g, rows in members:  # rows of one group: their queries against one prefix copy
        size = shared.lengths[g]
        qg = q[rows].transpose(0, 1).reshape(kv_heads, -1, dim)
        part = qg @ layer.keys[g, :, :size].float().transpose(-1, -2)
        scores[rows, :, :, :size] = part.reshape(kv_heads, -1, groups, size).transpose(0, 1)
    scores[..., width:] = (q @ key.float().transpose(-1, -2)).masked_fill_(~own_mask,
                                                                           float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    out = probs[..., width:] @ value.float()
    for g, rows in members:
        size = shared.lengths[g]
        pg = probs[rows][..., :size].transpose(0, 1).reshape(kv_heads, -1, size)
        part = (pg @ layer.values[g, :, :size].float()).reshape(kv_heads, -1, groups, dim)
        out[rows] += part.transpose(0, 1)
    return out.reshape(batch, heads, 1, dim).to(query.dtype).transpose(1, 2).contiguous()


def grid_step(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
              own_mask: torch.Tensor, scaling: float, shared: SharedPrefix, layer: Any
              ) -> torch.Tensor:
    """A decode step on a GPU, where each operation's launch, not its arithmetic, bounds a
    step: the rows' queries are placed in a (group, slot) grid, so one product per layer
    reads every group's prefix (padded to the longest) and the number of operations does
    not grow with the groups (in float32 53 per layer for 1, 2 or 4 groups, where the loop
    runs 62, 97 and 167)."""
    batch, heads, _, dim = query.shape
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    first, last = shared.span
    width = shared.width
    group, rank, slots = shared.slots
    q = (query.float() * scaling).reshape(batch, kv_heads, groups, dim)
    grid = q.new_zeros((last - first, kv_heads, slots, groups, dim))
    grid[group, :, rank] = q
    keys = layer.keys[first:last, :, :width].float()
    prefix = (grid.view(last - first, kv_heads, slots * groups, dim) @ keys.transpose(-1, -2)
              ).add_(shared.bias)
    prefix = prefix.view(last - first, kv_heads, slots, groups, width)[group, :, rank]
    mine = (q @ key.float().transpose(-1, -2)).masked_fill_(~own_mask, float("-inf"))
    probs = torch.softmax(torch.cat([prefix, mine], dim=-1), dim=-1)
    out = probs[..., width:] @ value.float()
    placed = probs.new_zeros((last - first, kv_heads, slots, groups, width))
    placed[group, :, rank] = probs[..., :width]
    values = layer.values[first:last, :, :width].float()
    read = (placed.view(last - first, kv_heads, slots * groups, width) @ values).view(
        last - first, kv_heads, slots, groups, dim)
    out += read[group, :, rank]
    return out.reshape(batch, heads, 1, dim).to(query.dtype).transpose(1, 2).contiguous()
