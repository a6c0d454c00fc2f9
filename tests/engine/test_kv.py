"""Cache layers that reserve room: decode steps write in place, content survives regrowth; a
prefix's own pass writes its row of a shared layer."""

from __future__ import annotations

import pytest
import torch

from harness.engine.hf.kv import ReservedLayer, RowWriter


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
