"""First-come claims on character ranges of a text, in time linear in the claimed lengths
(the finders of numbers and dates keep the earliest-priority match of overlapping ones)."""

from __future__ import annotations


class Occupancy:
    """Which characters of a text of `size` characters are already taken."""

    def __init__(self, size: int) -> None:
        self._taken = bytearray(size + 1)

    def claim(self, start: int, end: int) -> bool:
        """Take [start, end) if no character of it is taken yet; True when taken now."""
        if self._taken.find(1, start, max(end, start + 1)) != -1:
            return False
        self._taken[start:end] = b"\x01" * (end - start)
        return True
