"""Concurrent starts: processes released together at a barrier never share a run folder."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from harness.results.records import ModelRecord, RunRecord, Settings, SuiteRecord
from harness.results.store import prepare_run_dir, read_run, write_run

WORKERS, TRIALS = 4, 16
SIGNATURE = "sig-of-the-evaluation"


def unfinished_run(results: Path, status: str = "running") -> Path:
    """A run folder of the evaluation SIGNATURE left unfinished (as after kill -9)."""
    run_dir = results / "20260101-000000-model-suite"
    run_dir.mkdir(parents=True)
    write_run(run_dir, RunRecord(
        run_id=run_dir.name, status=status, signature=SIGNATURE,  # type: ignore[arg-type]
        started=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), harness_version="0",
        harness_git_sha="x",
        model=ModelRecord(model_id="m", source="local", path="/m", revision="r",
                          architecture="A", parameters=1, dtype="float32", device="cpu",
                          device_name="cpu", trust_remote_code=False, chat_template_sha=None),
        suite=SuiteRecord(name="suite", version="1", content_hash="h", path="/s", tasks=[]),
        settings=Settings(chat_template=False, thinking=False, system_prompt=None,
                          num_fewshot=None, fewshot_as_multiturn=True, max_new_tokens=None,
                          batch_size=None, prefix_reuse=True, limit=None)))
    return run_dir


def _resumer(root: str, start: Barrier, held: Barrier, out: Any) -> None:
    from harness.runs import rundir

    scan = rundir.find_runs

    def scanned_together(results: Path) -> list[tuple[Path, RunRecord]]:
        """The worst schedule: every worker has listed the unfinished runs before any acts."""
        runs = scan(results)
        start.wait(timeout=60)
        return runs

    rundir.find_runs = scanned_together  # type: ignore[assignment]
    for trial in range(TRIALS):
        start.wait(timeout=60)
        try:
            run_dir, previous = rundir.open_run_dir(Path(root) / str(trial), "model", "suite",
                                                    SIGNATURE, resume=True)
            out.put((trial, str(run_dir), previous is not None))
        except Exception as err:  # noqa: BLE001 - the failure is what the test reports
            out.put((trial, f"{type(err).__name__}: {err}", False))
            continue
        finally:
            held.wait(timeout=60)  # every worker holds its folder, as a running run does
        rundir.release_run_dir(run_dir)


def _creator(root: str, start: Barrier, out: Any) -> None:
    make = Path.mkdir
    first = [True]

    def mkdir_together(self: Path, *args: Any, **kwargs: Any) -> None:
        """The worst schedule: every worker has chosen its name before any creates it."""
        if self.name == "same-run-id" and first[0]:
            first[0] = False
            start.wait(timeout=60)
        make(self, *args, **kwargs)

    Path.mkdir = mkdir_together  # type: ignore[method-assign]
    for trial in range(TRIALS):
        first[0] = True
        start.wait(timeout=60)
        try:
            out.put((trial, str(prepare_run_dir(Path(root) / str(trial), "same-run-id"))))
        except Exception as err:  # noqa: BLE001 - the failure is what the test reports
            out.put((trial, f"{type(err).__name__}: {err}"))


def _in_processes(target: Any, *args: Any) -> list[tuple[Any, ...]]:
    ctx = mp.get_context("spawn")
    start, held, out = ctx.Barrier(WORKERS), ctx.Barrier(WORKERS), ctx.Queue()
    extra = (start, held) if target is _resumer else (start,)
    procs = [ctx.Process(target=target, args=(*args, *extra, out)) for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    rows = [out.get(timeout=120) for _ in range(WORKERS * TRIALS)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return rows


def test_one_resumer_takes_an_unfinished_run(tmp_path: Path) -> None:
    for trial in range(TRIALS):
        unfinished_run(tmp_path / str(trial))
    rows = _in_processes(_resumer, str(tmp_path))
    for trial in range(TRIALS):
        taken = [(folder, resumed) for t, folder, resumed in rows if t == trial]
        folders = [folder for folder, _ in taken]
        assert len(set(folders)) == WORKERS, f"trial {trial}: shared folders {folders}"
        assert sum(resumed for _, resumed in taken) == 1


def test_simultaneous_starts_get_their_own_folders(tmp_path: Path) -> None:
    rows = _in_processes(_creator, str(tmp_path))
    for trial in range(TRIALS):
        folders = [folder for t, folder in rows if t == trial]
        assert all(Path(f).is_dir() for f in folders), folders
        assert len(set(folders)) == WORKERS


def test_a_complete_run_is_never_taken(tmp_path: Path) -> None:
    """A resumer that finds a folder finished meanwhile (complete) leaves it alone."""
    from harness.runs.rundir import open_run_dir, release_run_dir

    run_dir = unfinished_run(tmp_path)
    first, previous = open_run_dir(tmp_path, "model", "suite", SIGNATURE, resume=True)
    assert first == run_dir and previous is not None
    second, again = open_run_dir(tmp_path, "model", "suite", SIGNATURE, resume=True)
    assert second != run_dir and again is None  # held by the first: a new folder
    record = read_run(run_dir)
    record.status = "complete"
    write_run(run_dir, record)
    release_run_dir(first)
    release_run_dir(second)
    third, _ = open_run_dir(tmp_path, "model", "suite", SIGNATURE, resume=True)
    assert third != run_dir and read_run(run_dir).status == "complete"
    release_run_dir(third)


def test_a_stale_lock_file_does_not_block_resuming(tmp_path: Path) -> None:
    """A lock left by a process that is gone (its pid now another live process's, as after a
    container restart) holds nothing: the OS lock is released when its holder exits."""
    import os

    from harness.runs.rundir import LOCK, open_run_dir, release_run_dir

    run_dir = unfinished_run(tmp_path)
    (run_dir / LOCK).write_text(str(os.getppid()), encoding="utf-8")
    taken, previous = open_run_dir(tmp_path, "model", "suite", SIGNATURE, resume=True)
    assert taken == run_dir and previous is not None
    release_run_dir(taken)
