"""The heap's free pages go back to the operating system after a batch (glibc)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.engine.hf.heap import _malloc_trim, release_freed

FREE_PAGES_PROBE = r"""
import ctypes, psutil, torch
from harness.engine.hf.heap import release_freed
# a fresh process, and free() told not to trim the heap by itself (glibc's M_TRIM_THRESHOLD):
# whatever goes back to the system goes back through release_freed
ctypes.CDLL("libc.so.6").mallopt(-1, 2**30)
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
print(held, kept, process.memory_info().rss, len(pins))
"""


@pytest.mark.skipif(_malloc_trim() is None, reason="the C library is not glibc: no malloc_trim")
def test_freed_tensors_leave_the_process_rss() -> None:
    out = subprocess.run([sys.executable, "-c", FREE_PAGES_PROBE], capture_output=True,
                         text=True, check=True, timeout=300)
    held, kept, released, _ = map(int, out.stdout.split())
    freed = 3000 * 64 * 1024
    assert held - kept < freed / 2, "the allocator handed the memory back by itself"
    assert kept - released > freed / 2


def test_nothing_to_release_off_the_cpu() -> None:
    assert not release_freed("cuda:0")
