"""kill -9 in the middle of a run, then the same command: nothing recomputed, same results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.results.store import read_run, read_samples
from tests.conftest import ROOT, SEED_SUITE, harness_cli, stored


def test_sigkill_then_resume(tmp_path: Path, random_model: Path) -> None:
    cache, results = tmp_path / "cache", tmp_path / "results"
    args = ["run", "--model", str(random_model), "--suite", str(SEED_SUITE), "--task",
            "closed_qa", "--task", "mc", "--batch-size", "2", "--results", str(results),
            "--cache-dir", str(cache)]
    command = [sys.executable, "-c", "from harness.cli.main import main; main()", *args]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while stored(cache) < 40 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = stored(cache)
    run_dirs = list(results.iterdir())
    assert len(run_dirs) == 1 and read_run(run_dirs[0]).status == "running"

    harness_cli(*args, check=True)
    resumed_dir = next(p.parent for p in results.glob("*/run.json"))
    assert resumed_dir == run_dirs[0]  # the same run folder was finished
    resumed = read_run(resumed_dir)
    total = sum(r.n * (4 if r.regime == "mc" else 1) for r in resumed.tasks.values())
    assert resumed.status == "complete" and resumed.resumed == 1
    assert resumed.cache.hits == stored_before  # every stored request was reused ...
    assert resumed.cache.computed == total - stored_before  # ... and none recomputed
    print(f"resume: {stored_before} requests stored before SIGKILL, "
          f"{resumed.cache.computed} computed after, {total} in all")

    fresh = tmp_path / "fresh"
    harness_cli("run", "--model", str(random_model), "--suite", str(SEED_SUITE), "--task",
                "closed_qa", "--task", "mc", "--batch-size", "2", "--results", str(fresh),
                "--no-cache", check=True)
    clean_dir = next(p.parent for p in fresh.glob("*/run.json"))
    clean = read_run(clean_dir)
    for name, result in clean.tasks.items():
        assert resumed.tasks[name].metrics == result.metrics
    a, b = read_samples(resumed_dir), read_samples(clean_dir)
    assert [(s.item_id, s.verdict, s.raw_output, s.pred) for s in a] == \
           [(s.item_id, s.verdict, s.raw_output, s.pred) for s in b]
