"""Hand back to the operating system the memory that the C allocator keeps after a batch's
tensors are freed (glibc's `malloc_trim`), so that what one batch left behind does not add to
a later batch's peak: on a CPU that is part of the process's peak RSS beside the weights."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to hand back
        return None
    return trim


def release_freed(device: str) -> bool:
    """On a CPU, return the heap's free pages; whether the C library could."""
    trim = _malloc_trim() if device == "cpu" else None
    if trim is None:
        return False
    trim(0)
    return True
