"""A rank killed with kill -9: the run resumes from the request cache with 1 rank (killed
again), then with 2, into the same run folder, nothing recomputed, results those of one
uninterrupted process."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import SEED_SUITE, stored
from tests.scale.launch import (
    assert_same_results,
    only_run,
    rank_pid,
    run,
    single,
    start,
    torchrun,
)


def _kill_when(proc: subprocess.Popen[bytes], cache: Path, entries: int, rank: int) -> int:
    """kill -9 the rank once the cache holds `entries` results; the results stored then."""
    deadline = time.monotonic() + 600
    while stored(cache) < entries and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    pid = rank_pid(proc, rank) if rank else proc.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=120)  # the launcher stops the other rank
    assert proc.returncode != 0
    return stored(cache)


def test_kill_rank_then_resume_with_1_then_2(tmp_path: Path, random_model: Path) -> None:
    cache, results = tmp_path / "cache", tmp_path / "results"
    args = ("--model", str(random_model), "--suite", str(SEED_SUITE), "--task", "closed_qa",
            "--task", "mc", "--limit", "24", "--batch-size", "2",
            "--results", str(results), "--cache-dir", str(cache))
    started = time.monotonic()
    first = _kill_when(start(torchrun(2, *args)), cache, 12, rank=1)
    run_dir, record, _ = only_run(results)
    assert record.status == "running"  # rank 0 died with its rank: nothing marked complete
    second = _kill_when(start(single(*args)), cache, first + 12, rank=0)
    assert second > first
    run(torchrun(2, *args))
    resumed_dir, resumed, samples = only_run(results)
    assert resumed_dir == run_dir and resumed.status == "complete" and resumed.resumed == 2
    total = sum(t.n * (4 if t.regime == "mc" else 1) for t in resumed.tasks.values())
    assert resumed.cache.hits == second and resumed.cache.computed == total - second
    assert resumed.distributed is not None and resumed.distributed.world_size == 2
    print(f"killed: 2 ranks at {first} results stored, 1 rank at {second}; resumed with 2 "
          f"ranks: {resumed.cache.computed} computed, {total} in all "
          f"({time.monotonic() - started:.0f} s)")

    fresh = tmp_path / "fresh"
    run(single(*args[:-4], "--results", str(fresh), "--no-cache"))
    _, clean, clean_samples = only_run(fresh)
    assert_same_results((clean, clean_samples), (resumed, samples))
