"""A bounded background load for measuring on a machine that is doing something else, as a
user's laptop always is: N processes that each keep one core busy until the measurement ends
(or a time limit passes, so nothing outlives a killed bench)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOAD_LIMIT_S = 4 * 3600.0  # a spinning process stops by itself after this


def _spin(until: float, stop: Any) -> None:
    count = 0
    while time.time() < until and not stop.is_set():
        for _ in range(100_000):
            count += 1


@contextmanager
def busy_load(cores: int, limit_s: float = LOAD_LIMIT_S) -> Iterator[int]:
    """Keep `cores` cores busy for the body's duration; yields the number of load processes."""
    if cores <= 0:
        yield 0
        return
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    until = time.time() + limit_s
    workers = [spawn.Process(target=_spin, args=(until, stop), daemon=True) for _ in range(cores)]
    for worker in workers:
        worker.start()
    try:
        yield len(workers)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
