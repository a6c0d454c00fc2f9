"""Choose the run folder: a new one, or the unfinished one of the same evaluation (resume).

A run holds an OS lock (`flock`) on its folder's run.lock for as long as it runs: the kernel
releases it when the process ends in any way (kill -9 included), and two processes can never
hold it together, so two resumers never take the same folder."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from contextlib import suppress
from pathlib import Path

from harness.errors import HarnessError
from harness.results.records import RunRecord
from harness.results.store import find_runs, new_run_id, prepare_run_dir, read_run

LOCK = "run.lock"
_held: dict[Path, int] = {}  # run folder -> the open lock file this process holds


def _try_lock(run_dir: Path) -> bool:
    """Take the folder's lock without waiting; False when another process holds it."""
    path = run_dir / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise HarnessError(f"{path}: cannot create the run's lock file ({err.strerror}); "
                           "the results folder must be writable") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:  # released and removed meanwhile
            raise BlockingIOError
    except OSError:
        os.close(fd)
        return False
    with suppress(OSError):  # for people; the lock is the flock
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
    _held[run_dir] = fd
    return True


def release_run_dir(run_dir: Path) -> None:
    """Drop this process's lock on `run_dir` (and its lock file)."""
    fd = _held.pop(run_dir, None)
    if fd is not None:
        (run_dir / LOCK).unlink(missing_ok=True)  # still held: nobody can take it meanwhile
        os.close(fd)


def _take_unfinished(run_dir: Path, signature: str) -> RunRecord | None:
    """The folder's record when this process could lock it and it is still unfinished (read
    again under the lock: another process may have completed it since the scan)."""
    if not _try_lock(run_dir):
        return None
    try:
        record = read_run(run_dir)
    except HarnessError:
        record = None
    if record is None or record.status == "complete" or record.signature != signature:
        release_run_dir(run_dir)
        return None
    return record


def open_run_dir(results_dir: Path, model: str, suite: str, signature: str,
                 *, resume: bool) -> tuple[Path, RunRecord | None]:
    """(folder, the unfinished record it resumes or None), locked for this process until
    `release_run_dir`."""
    if resume and results_dir.is_dir():
        for run_dir, record in reversed(find_runs(results_dir)):
            if record.signature == signature and record.status != "complete":
                taken = _take_unfinished(run_dir, signature)
                if taken is not None:
                    return run_dir, taken
    run_dir = prepare_run_dir(results_dir, new_run_id(model, suite, dt.datetime.now(
        dt.timezone.utc)))
    if not _try_lock(run_dir):  # a new folder is ours alone; a lock fails only on odd file
        raise HarnessError(f"{run_dir}: cannot lock the new run folder")  # systems
    return run_dir, None
