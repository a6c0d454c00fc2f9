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
    def members(self) -> list[tuple[int, torch.Tensor | slice]]:
        """Each group present and its rows (a slice when it has them all); worked out once
        for these rows, not in every layer's attention call."""
        groups = sorted(set(self.rows.tolist()))
        if len(groups) == 1:
            return [(groups[0], slice(None))]
        return [(g, (self.rows == g).nonzero().flatten()) for g in groups]

    @cached_property
    def width(self) -> int:
        """The longest prefix these rows read."""
        return max(self.lengths[g] for g, _ in self.members)

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
    float32, a key/value head's query heads stacked. Longer passes attend over a per-layer
    copy (`_over_copies`) that is freed at once, so no row keeps one."""
    shared.calls += 1
    batch, heads, length, dim = query.shape
    kv_heads, own = key.shape[1], key.shape[2]
    groups = heads // kv_heads
    layer = shared.cache.layers[module.layer_idx]
    own_mask = _own_mask(attention_mask, batch, length, own, query.device)
    if length > 1:
        return _over_copies(query, key, value, own_mask, scaling, shared, layer)
    members, width = shared.members, shared.width
    q = (query.float() * scaling).reshape(batch, kv_heads, groups * length, dim)
    scores = q.new_full((batch, kv_heads, groups * length, width + own), float("-inf"))
    for g, rows in members:  # rows of one group: their queries against one prefix copy
        size = shared.lengths[g]
        qg = q[rows].transpose(0, 1).reshape(kv_heads, -1, dim)
        part = qg @ layer.keys[g, :, :size].float().transpose(-1, -2)
        scores[rows, :, :, :size] = part.reshape(kv_heads, -1, groups * length, size
                                                 ).transpose(0, 1)
    own_mask = own_mask.expand(batch, groups, length, own).reshape(batch, 1, groups * length,
                                                                   own)
    scores[..., width:] = (q @ key.float().transpose(-1, -2)).masked_fill_(~own_mask,
                                                                           float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    out = probs[..., width:] @ value.float()
    for g, rows in members:
        size = shared.lengths[g]
        pg = probs[rows][..., :size].transpose(0, 1).reshape(kv_heads, -1, size)
        part = (pg @ layer.values[g, :, :size].float()).reshape(kv_heads, -1, groups * length,
                                                                 dim)
        out[rows] += part.transpose(0, 1)
    out = out.reshape(batch, heads, length, dim).to(query.dtype)
    return out.transpose(1, 2).contiguous()
