"""Cache layers that reserve room: decode steps write in place, content survives regrowth; a
prefix's own pass writes its row of a shared layer."""

from __future__ import annotations

import pytest
import torch
from transformers.cache_utils import DynamicLayer

from harness.engine.hf.kv import ReservedLayer, RowWriter, join_rows


def test_reserved_layer_grows_in_place() -> None:
    torch.manual_seed(0)
    layer = ReservedLayer(reserve=4)
    first = torch.randn(2, 1, 3, 4)
    keys, values = layer.update(first, -first)
    start = keys.data_ptr()
    steps = [torch.randn(2, 1, 1, 4) for _ in range(5)]
    for step in steps[:4]:  # within the reserve: the same buffer
        keys, values = layer.update(step, -step)
        assert keys.data_ptr() == start
    keys, values = layer.update(steps[4], -steps[4])  # past it: a new buffer, same content
    expected = torch.cat([first, *steps], dim=2)
    assert keys.data_ptr() != start
    assert torch.equal(keys, expected) and torch.equal(values, -expected)
    assert layer.get_seq_length() == 8


def test_adopted_rows_get_room_and_one_copy() -> None:
    layer = ReservedLayer()
    rows = torch.arange(24.0).reshape(2, 1, 3, 4)
    layer.adopt(rows, rows + 1, room=2)
    assert layer.get_seq_length() == 3 and torch.equal(layer.keys, rows)
    start = layer.keys.data_ptr()
    keys, values = layer.update(torch.zeros(2, 1, 2, 4), torch.zeros(2, 1, 2, 4))
    assert keys.data_ptr() == start and keys.shape[-2] == 5
    assert torch.equal(values[:, :, :3], rows + 1) and not keys[:, :, 3:].any()


def test_prefix_with_room_lends_its_buffer() -> None:
    prefix = ReservedLayer(reserve=3)
    rows = torch.arange(24.0).reshape(2, 1, 3, 4)
    prefix.update(rows, rows)
    borrower = ReservedLayer()
    assert prefix.lend_to(borrower, room=3)
    keys, _ = borrower.update(torch.ones(2, 1, 3, 4), torch.ones(2, 1, 3, 4))
    assert keys.data_ptr() == prefix.keys.data_ptr()  # no copy
    assert torch.equal(keys[:, :, :3], rows) and torch.equal(prefix.keys, rows)
    assert not prefix.lend_to(ReservedLayer(), room=1)  # lent once: later borrowers copy
    other = ReservedLayer(reserve=3)
    other.update(rows, rows)
    assert not other.lend_to(ReservedLayer(), room=4)  # not enough room: the caller copies


def test_row_writers_fill_rows_of_one_padded_layer_and_hold_nothing_of_their_own() -> None:
    """Each prefix's own pass writes its rows of the shared layer, reads its keys as computed,
    and keeps views of the shared buffer only (no cache of its own beside it)."""
    shared = ReservedLayer(reserve=2)
    long, short = torch.randn(1, 2, 5, 4), torch.randn(1, 2, 3, 4)
    for row, keys in enumerate((long, short)):
        writer = RowWriter(shared, row, rows=2, width=5)
        got, _ = writer.update(keys, -keys)
        assert got is keys and writer.get_seq_length() == keys.shape[2]
        assert writer.keys.untyped_storage().data_ptr() == shared.keys.untyped_storage().data_ptr()
        with pytest.raises(ValueError, match="one pass"):
            writer.update(keys, -keys)
    assert shared.keys.shape == (2, 2, 5, 4) and torch.equal(shared.keys[0], long[0])
    assert torch.equal(shared.values[1, :, :3], -short[0]) and not shared.keys[1, :, 3:].any()
    assert shared.lend_to(ReservedLayer(), room=2)  # the reserve is there for the next pass


def test_joined_rows_are_left_padded_into_one_buffer_with_room() -> None:
    """Rows joining a running decode: each side right-aligned to the wider one, pads zero (a
    masked position still meets a zero weight, so it must be finite), the same values as
    padding and concatenating, then room to grow in place; a plain layer gets no room."""
    torch.manual_seed(0)
    running, joining = ReservedLayer(), ReservedLayer()
    old, new = torch.randn(2, 1, 5, 4), torch.randn(3, 1, 3, 4)
    running.adopt(old, -old, room=0)
    joining.adopt(new, -new, room=0)
    join_rows(running, joining, width=5, room=2)
    padded = torch.cat([old, torch.cat([torch.zeros(3, 1, 2, 4), new], dim=2)])
    assert torch.equal(running.keys, padded) and torch.equal(running.values, -padded)
    start = running.keys.data_ptr()
    keys, _ = running.update(torch.ones(5, 1, 2, 4), torch.ones(5, 1, 2, 4))
    assert keys.data_ptr() == start and keys.shape[-2] == 7  # grew into its room
    plain, other = DynamicLayer(), DynamicLayer()  # type: ignore[no-untyped-call]
    plain.update(new, -new)
    other.update(old, -old)
    join_rows(plain, other, width=5, room=4)
    assert plain.keys.shape == (5, 1, 5, 4) and torch.equal(plain.keys[3:], old)
    assert not plain.keys[:3, :, :2].any() and torch.equal(plain.values[:3, :, 2:], -new)


def test_a_reclaimed_buffer_is_lent_again_with_its_rows_intact() -> None:
    """Log-likelihood passes over every group in order borrow the prefix's buffer one after
    another: each pass's tokens go after the rows, and the buffer comes back after it."""
    prefix = ReservedLayer(reserve=3)
    rows = torch.arange(24.0).reshape(2, 1, 3, 4)
    prefix.update(rows, rows)
    start = prefix.keys.data_ptr()
    for fill in (1.0, 2.0):
        borrower = ReservedLayer()
        assert prefix.lend_to(borrower, room=3)
        tokens = torch.full((2, 1, 3, 4), fill)
        keys, _ = borrower.update(tokens, tokens)
        assert keys.data_ptr() == start and torch.equal(keys[:, :, 3:], tokens)
        assert prefix.reclaim(borrower) and borrower.keys is None
        assert torch.equal(prefix.keys, rows) and torch.equal(prefix.values, rows)
    outgrown = ReservedLayer()
    assert prefix.lend_to(outgrown, room=3)
    outgrown.update(torch.ones(2, 1, 4, 4), torch.ones(2, 1, 4, 4))  # past the room: regrown
    assert not prefix.reclaim(outgrown) and not prefix.lend_to(ReservedLayer(), room=1)
