"""Choices made by timing, kept per machine so that every later process makes the same ones.

The engine picks some ways of computing by timing them where they run: the product each
linear shape runs (`kernels.py`), whether the head screen beats the plain head
(`head_screen.py`). The candidates compute the same values only to float32 rounding, so a
choice that differed from one process to the next would let two runs of one command on one
machine score differently (by ~1e-8, or by a greedy token at a near-tie). So the first choice
made for a key is written to one file per machine (the CPU, torch and the compiled kernels'
sources: `native.machine_key()`), under a file lock, and every later process (and any
running one that has not chosen yet) reads it instead of timing again. Delete the file
(`~/.cache/fact-harness/kernels/choices-*.json`) to time again.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.engine import native


class Choices:
    """Key -> chosen name; kept in `path` (None: in this object only, as tests want)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.known: dict[str, str] = {}
        self.timed: list[str] = []  # the keys this object chose by timing (not read back)
        self._lock = threading.Lock()

    @classmethod
    def for_machine(cls) -> Choices:
        return cls(native.kernels_dir() / f"choices-{native.machine_key()}.json")

    def settle(self, key: str, choose: Callable[[], str],
               valid: Callable[[str], bool] = lambda _name: True) -> str:
        """The choice kept for `key` (one `valid` says can still run), else `choose()`'s,
        kept from now on. Two processes asking at once: one chooses, the other reads it."""
        known = self.known.get(key)
        if known is not None and valid(known):
            return known
        with self._lock, self._locked():
            stored = self._read().get(key)
            if stored is not None and valid(stored):
                self.known[key] = stored
                return stored
            name = choose()
            self.known[key] = name
            self.timed.append(key)
            self._write(key, name)
            return name

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path.with_suffix(".lock"), "a+")  # noqa: SIM115
        except OSError as error:  # a read-only cache: choices last this process only
            _warn_once(f"kernel choices not kept ({error})")
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _read(self) -> dict[str, str]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError) as error:  # cut short or edited: chosen again
            _warn_once(f"{self.path}: unreadable, choices timed again ({error})")
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def _write(self, key: str, name: str) -> None:
        if self.path is None:
            return
        data = {**self._read(), key: name}
        try:
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False,
                                             suffix=".part") as out:
                json.dump(dict(sorted(data.items())), out, indent=1)
            os.replace(out.name, self.path)
        except OSError as error:
            _warn_once(f"kernel choices not kept ({error})")


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logging.getLogger(__name__).warning(message)
