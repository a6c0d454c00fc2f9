"""KV caches whose layers grow in place: room for the tokens still to come is reserved once, so
a decode step writes its token instead of copying the whole cache (`torch.cat`, as
transformers' `DynamicLayer` does at every step)."""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicLayer


class ReservedLayer(DynamicLayer):  # type: ignore[no-untyped-call]
    """A `DynamicLayer` backed by a buffer with `reserve` spare positions; `keys`/`values` are
    views of it. Tensors assigned from outside (a gathered prefix, rows kept after some
    finished) are copied into a new buffer at the next update."""

    def __init__(self, reserve: int = 0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.reserve = reserve
        self._buffers: tuple[torch.Tensor, torch.Tensor] | None = None

    def _owned(self, needed: int) -> bool:
        if self._buffers is None:
            return False
        keys, current = self._buffers[0], self.keys
        return (current is not None and current.data_ptr() == keys.data_ptr()
                and current.shape[0] == keys.shape[0] and needed <= keys.shape[-2])

    def adopt(self, keys: torch.Tensor, values: torch.Tensor, room: int) -> None:
        """Start from another cache's rows: one copy into a buffer with `room` free positions."""
        self.take(*stacked([(keys, values)], keys.shape[-2], room), keys.shape[-2])

    def take(self, keys: torch.Tensor, values: torch.Tensor, length: int) -> None:
        """Continue from buffers whose first `length` positions hold the rows (the rest:
        room to grow)."""
        if not self.is_initialized:
            self.lazy_initialization(keys, values)
        self._buffers = (keys, values)
        self.keys, self.values = keys[:, :, :length], values[:, :, :length]

    def put_row(self, row: int, rows: int, width: int, keys: torch.Tensor,
                values: torch.Tensor) -> None:
        """Copy one row's `keys`/`values` (1, kv heads, length, dim) into row `row` of this
        layer, which holds `rows` rows right-padded to `width` with `reserve` spare positions
        (allocated at the first row put; pad positions hold zeros, which callers mask: a
        masked position's value still meets a zero weight, so it must be finite)."""
        if self._buffers is None or self.keys is None:
            self.lazy_initialization(keys, values)
            shape = (rows, keys.shape[1], width + self.reserve, keys.shape[-1])
            self._buffers = (keys.new_zeros(shape),
                             values.new_zeros((*shape[:3], values.shape[-1])))
            self.keys = self._buffers[0][:, :, :width]
            self.values = self._buffers[1][:, :, :width]
        length = keys.shape[-2]
        self._buffers[0][row, :, :length] = keys[0]
        self._buffers[1][row, :, :length] = values[0]

    def lend_to(self, other: ReservedLayer, room: int) -> bool:
        """Let `other` continue from these rows in this layer's own buffer (no copy) when it
        has `room` spare positions. A buffer is lent once (until `reclaim`): this layer keeps
        reading its own rows, but later borrowers get a copy, so no two caches write the same
        positions."""
        if self.keys is None or not self._owned(self.keys.shape[-2] + room):
            return False
        assert self._buffers is not None and self.values is not None
        other.lazy_initialization(self.keys, self.values)
        other._buffers, self._buffers = self._buffers, None
        other.keys, other.values = self.keys, self.values
        return True

    def reclaim(self, other: ReservedLayer) -> bool:
        """Take back the buffer lent to `other` once its pass is done with it (its tokens
        after these rows are dropped), so that the next pass may borrow it too instead of
        copying the rows; whether it was still `other`'s to give (not regrown elsewhere)."""
        if (self._buffers is not None or other._buffers is None or self.keys is None
                or other._buffers[0].data_ptr() != self.keys.data_ptr()):
            return False
        self._buffers, other._buffers = other._buffers, None
        other.keys = other.values = None
        return True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        length = self.get_seq_length()
        total = length + key_states.shape[-2]
        buffers = self._buffers if self._owned(total) else None
        if buffers is None:
            shape = (*key_states.shape[:2], total + self.reserve, key_states.shape[-1])
            buffers = (key_states.new_empty(shape),
                       value_states.new_empty((*shape[:3], value_states.shape[-1])))
            if length and self.keys is not None and self.values is not None:
                buffers[0][:, :, :length] = self.keys
                buffers[1][:, :, :length] = self.values
            self._buffers = buffers
        keys, values = buffers
        keys[:, :, length:total] = key_states
        values[:, :, length:total] = value_states
        self.keys, self.values = keys[:, :, :total], values[:, :, :total]
        return self.keys, self.values


class RowWriter(DynamicLayer):
    """A layer of one prefix's own pass (a CPU runs prefixes of different lengths one pass
    each): its keys/values go straight into row `row` of `target` (`put_row`), and the pass
    reads them as computed, so it never builds a whole cache of its own beside the shared
    one (that copy was the peak of an open-book run). One pass only: a second update raises."""

    def __init__(self, target: ReservedLayer, row: int, rows: int, width: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.target, self.row, self.rows, self.width = target, row, rows, width

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if self.get_seq_length():
            raise ValueError("a row writer takes one pass")
        self.lazy_initialization(key_states, value_states)
        self.target.put_row(self.row, self.rows, self.width, key_states, value_states)
        assert self.target.keys is not None and self.target.values is not None
        span = (slice(self.row, self.row + 1), slice(None), slice(0, key_states.shape[-2]))
        self.keys, self.values = self.target.keys[span], self.target.values[span]
        return key_states, value_states


def assign(layer: Any, keys: torch.Tensor, values: torch.Tensor, room: int) -> None:
    """Replace a growable layer's rows (releasing its old buffer), with `room` to grow."""
    if isinstance(layer, ReservedLayer):
        layer.adopt(keys, values, room)
    else:
        layer.keys, layer.values = keys, values


def stacked(parts: list[tuple[torch.Tensor, torch.Tensor]], width: int, room: int
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys and values buffers holding `parts`' rows one after another, each part
    right-aligned to `width` positions (left pads zero: callers mask them, and a masked
    value still meets a zero weight, so it must be finite), then `room` free positions:
    one allocation each, no padded or concatenated copy on the way."""
    rows = sum(keys.shape[0] for keys, _ in parts)
    keys, values = (tensor.new_empty((rows, tensor.shape[1], width + room, tensor.shape[-1]))
                    for tensor in parts[0])
    start = 0
    for part_keys, part_values in parts:
        end, pad = start + part_keys.shape[0], width - part_keys.shape[-2]
        for buffer, tensor in ((keys, part_keys), (values, part_values)):
            buffer[start:end, :, :pad] = 0
            buffer[start:end, :, pad:width] = tensor
        start = end
    return keys, values


def join_rows(layer: Any, other: Any, width: int, room: int) -> None:
    """Give a growable layer `other`'s rows after its own, both left-padded to `width`, with
    `room` to grow, in one new buffer (its old one released)."""
    keys, values = stacked([(layer.keys, layer.values), (other.keys, other.values)], width,
                           room if isinstance(layer, ReservedLayer) else 0)
    if isinstance(layer, ReservedLayer):
        layer.take(keys, values, width)
    else:
        layer.keys, layer.values = keys, values


def growable(layer: Any) -> bool:
    """Plain growing layers (not sliding-window or static ones): rows can be gathered, dropped
    and joined by assigning `keys`/`values`."""
    return type(layer) in (DynamicLayer, ReservedLayer)


def new_cache(config: Any, reserve: int) -> Any:
    """An empty cache for `config`; its layers reserve `reserve` positions when the model's
    layers are all plain growing ones."""
    from transformers import DynamicCache

    cache = DynamicCache(config=config)
    if all(growable(layer) for layer in cache.layers):
        cache.layers = [ReservedLayer(reserve) for _ in cache.layers]
    return cache
