"""Launching `python -m harness run` as several ranks (torchrun, accelerate launch) in tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil

from harness.results.records import RunRecord, Sample
from harness.results.store import read_run, read_samples
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
HARNESS = ["-m", "harness", "run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env() -> dict[str, str]:
    """The test's environment, with this checkout first on the path (ranks import it)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"}


def torchrun(ranks: int, *args: str) -> list[str]:
    return [str(BIN / "torchrun"), "--nproc_per_node", str(ranks), "--master_port",
            str(free_port()), *HARNESS, *args]


def accelerate(ranks: int, *args: str) -> list[str]:
    """accelerate launch: several CPU ranks go through its multi-process launcher (its --cpu
    flag starts one process unless mpirun is used)."""
    return [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", str(ranks),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(free_port()), *HARNESS, *args]


def single(*args: str) -> list[str]:
    return [sys.executable, *HARNESS, *args]


def run(command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env(),
                            timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def rank_pid(launcher: subprocess.Popen[bytes], rank: int) -> int | None:
    """The process id of one rank among the launcher's children (its RANK variable)."""
    for child in psutil.Process(launcher.pid).children(recursive=True):
        try:
            if child.environ().get("RANK") == str(rank) and "harness" in child.cmdline():
                return int(child.pid)
        except psutil.Error:
            continue
    return None


def only_run(results: Path) -> tuple[Path, RunRecord, list[Sample]]:
    """The one run folder under `results`: its record and samples (none before any are
    written: a run killed early)."""
    (run_dir,) = [p.parent for p in results.glob("*/run.json")]
    samples = read_samples(run_dir) if (run_dir / "samples.jsonl").exists() else []
    return run_dir, read_run(run_dir), samples


def assert_same_results(a: tuple[RunRecord, list[Sample]],
                        b: tuple[RunRecord, list[Sample]]) -> float:
    """Item by item: outputs, predictions, verdicts equal; log-likelihoods within fp32 batch
    noise; every task's primary metric equal and its other metrics within that noise. Returns
    the largest log-likelihood difference."""
    (run_a, samples_a), (run_b, samples_b) = a, b
    assert list(run_a.tasks) == list(run_b.tasks)
    for name, task in run_a.tasks.items():
        other = run_b.tasks[name]
        assert (task.n, task.primary) == (other.n, other.primary), name
        assert task.metrics.keys() == other.metrics.keys()
        for key, value in task.metrics.items():
            assert abs(value - other.metrics[key]) <= 1e-4 * max(1.0, abs(value)), (name, key)
    assert len(samples_a) == len(samples_b)
    worst = 0.0
    for x, y in zip(samples_a, samples_b, strict=True):
        assert x.model_dump(exclude={"logliks"}) == y.model_dump(exclude={"logliks"})
        if x.logliks is not None and y.logliks is not None:
            worst = max([worst, *(abs(p - q) for p, q in zip(x.logliks, y.logliks,
                                                             strict=True))])
    assert worst < 1e-3
    return worst
