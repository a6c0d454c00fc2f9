"""The rows being decoded together. Finished rows leave and waiting rows join between steps
(continuous batching), so a batch never idles on its longest answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from harness.engine.hf.decode import RowDecoder
from harness.engine.hf.heap import release_freed
from harness.engine.hf.kv import assign, growable, join_rows
from harness.engine.hf.shared_prefix import SharedPrefix


def can_merge(cache: Any) -> bool:
    """Rows can join only a cache of plain growing layers (not sliding-window or static ones)."""
    return all(growable(layer) for layer in cache.layers)


def _left_pad(tensor: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    missing = width - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


@dataclass
class Running:
    cache: Any  # row i of every layer belongs to members[i]
    mask: torch.Tensor  # (rows, width): 1 where a real token is
    positions: torch.Tensor  # (rows, 1): position of each row's last token
    logits: torch.Tensor  # (rows, vocab): each row's next-token logits (a placeholder where
    # the step computed only the argmax: then every row is greedy)
    greedy: list[int]  # each row's argmax of its logits
    members: list[int]  # request index of each row
    decoders: list[RowDecoder]
    shared: SharedPrefix | None = None  # the prefix cache rows read in place (else copied)

    @property
    def size(self) -> int:
        return len(self.members)

    def finished(self) -> list[int]:
        return [row for row, d in enumerate(self.decoders) if d.finish]

    def room(self) -> int:
        """Positions the cache may still need: the most new tokens any row may yet take."""
        return max((d.req.max_new_tokens - len(d.ids) for d in self.decoders), default=0)

    def keep(self, rows: list[int]) -> None:
        """Drop every other row (its cache too)."""
        index = torch.tensor(rows, device=self.mask.device)
        self.mask = self.mask.index_select(0, index)
        self.positions = self.positions.index_select(0, index)
        self.logits = self.logits.index_select(0, index)
        self.greedy = [self.greedy[r] for r in rows]
        self.members = [self.members[r] for r in rows]
        self.decoders = [self.decoders[r] for r in rows]
        if self.shared is not None:
            self.shared = self.shared.select(index)
        for layer in self.cache.layers:
            assign(layer, layer.keys.index_select(0, index), layer.values.index_select(0, index),
                   self.room())
        release_freed(self.mask.device.type)  # the rows' old buffers

    def join(self, other: Running) -> None:
        """Add `other`'s rows; the shorter side is left-padded (masked) to the same width."""
        if (self.shared is None) != (other.shared is None):
            raise ValueError("rows reading a shared prefix cannot join rows holding copies")
        if self.shared is not None and other.shared is not None:
            self.shared = self.shared.extend(other.shared)
        width = max(self.mask.shape[1], other.mask.shape[1])
        self.mask = torch.cat([_left_pad(self.mask, width, 1), _left_pad(other.mask, width, 1)])
        self.positions = torch.cat([self.positions, other.positions])
        self.logits = torch.cat([self.logits, other.logits])
        self.greedy += other.greedy
        self.members += other.members
        self.decoders += other.decoders
        room = self.room()
        for mine, theirs in zip(self.cache.layers, other.cache.layers, strict=True):
            join_rows(mine, theirs, width, room)
            # this layer's old rows, handed back now: the next layer's larger buffers
            # cannot reuse them, so else the heap holds both caches by the last layer
            release_freed(self.mask.device.type)
