"""The heap's free pages go back to the operating system after a batch (glibc)."""

from __future__ import annotations

import psutil
import pytest
import torch

from harness.engine.hf.heap import _malloc_trim, release_freed


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library is not glibc: no malloc_trim")
def test_freed_tensors_leave_the_process_rss() -> None:
    # 64 KiB tensors come from the heap, not their own mappings; each small one kept after
    # them pins the heap's top, so freeing the large ones leaves free pages inside it
    large, pins = [], []
    for _ in range(3000):
        large.append(torch.ones(16 * 1024))
        pins.append(torch.ones(4))
    process = psutil.Process()
    held = process.memory_info().rss
    large.clear()
    kept = process.memory_info().rss
    assert release_freed("cpu")
    released = process.memory_info().rss
    freed = 3000 * 64 * 1024
    assert held - kept < freed / 2, "the allocator handed the memory back by itself"
    assert kept - released > freed / 2
    assert pins


def test_nothing_to_release_off_the_cpu() -> None:
    assert not release_freed("cuda:0")
