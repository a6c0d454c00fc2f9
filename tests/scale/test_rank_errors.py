"""One clear line when ranks cannot share a run: more ranks than units of work, ranks that
disagree on the run, accelerate's --cpu launcher (one process), a device map with ranks."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import ROOT, SEED_SUITE
from tests.scale.launch import BIN, env, free_port, run, single, torchrun


def _error_lines(stderr: str) -> list[str]:
    return sorted({line for line in stderr.splitlines() if line.startswith("error: ")})


def test_more_ranks_than_work(tmp_path: Path, random_model: Path) -> None:
    # one open-book task, one fact: one document, one unit of work for two ranks
    out = run(torchrun(2, "--model", str(random_model), "--suite", str(SEED_SUITE), "--task",
                       "open_qa", "--limit", "1", "--results", str(tmp_path), "--no-cache"),
              check=False)
    assert out.returncode != 0
    assert _error_lines(out.stderr) == [
        "error: 2 ranks, but this run has only 1 units of work (an open-book document's items, "
        "or one closed-book item, go to one rank): launch at most 1 processes "
        "(--num_processes), or give a larger --limit or more tasks"]
    assert not list(tmp_path.iterdir())  # no run folder


def test_ranks_that_disagree(tmp_path: Path, random_model: Path) -> None:
    """Two ranks started by hand (as a launcher would) with different --limit."""
    port = str(free_port())
    procs = []
    for rank, limit in ((0, "2"), (1, "3")):
        rank_env = {**env(), "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
                    "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
        procs.append(subprocess.Popen(
            single("--model", str(random_model), "--suite", str(SEED_SUITE), "--task", "mc",
                   "--limit", limit, "--results", str(tmp_path), "--no-cache"),
            cwd=ROOT, env=rank_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 2 for p in procs)
    for _, stderr in outs:
        assert _error_lines(stderr) == [
            "error: rank 1 disagrees with rank 0 on the run (run signature or prompts differ: "
            "options, model files or suite differ between ranks); launch every rank with the "
            "same command, model and suite"]


def test_accelerate_cpu_flag_refused(tmp_path: Path, random_model: Path) -> None:
    out = run([str(BIN / "accelerate"),
               "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "harness", "run",
               "--model", str(random_model), "--suite", str(SEED_SUITE), "--limit", "1",
               "--results", str(tmp_path), "--no-cache"], check=False)
    assert out.returncode != 0
    assert _error_lines(out.stderr) == [
        "error: accelerate launch --cpu started one process: accelerate starts several CPU "
        "processes only through mpirun (--mpirun_hostfile); use torchrun --nproc_per_node N -m "
        "harness run …, or accelerate launch --multi_gpu --num_processes N on a machine without "
        "GPUs"]


def test_device_map_with_ranks(tmp_path: Path, random_model: Path) -> None:
    out = run(torchrun(2, "--model", str(random_model), "--suite", str(SEED_SUITE), "--limit",
                       "1", "--device-map", "auto", "--results", str(tmp_path), "--no-cache"),
              check=False)
    assert out.returncode != 0
    assert _error_lines(out.stderr) == [
        "error: --device-map auto with 2 ranks: a model split across devices runs in one "
        "process; launch one process (--num_processes 1) or drop --device-map"]
