"""Choose the run folder: a new one, or the unfinished one of the same evaluation (resume)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from harness.errors import HarnessError
from harness.results.records import RunRecord
from harness.results.store import find_runs, new_run_id, prepare_run_dir

LOCK = "run.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked(run_dir: Path) -> bool:
    lock = run_dir / LOCK
    try:
        pid = int(lock.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return False
    return pid != os.getpid() and _alive(pid)


def _lock(run_dir: Path) -> None:
    (run_dir / LOCK).write_text(str(os.getpid()), encoding="utf-8")


def release_run_dir(run_dir: Path) -> None:
    (run_dir / LOCK).unlink(missing_ok=True)


def open_run_dir(results_dir: Path, model: str, suite: str, signature: str,
                 *, resume: bool) -> tuple[Path, RunRecord | None]:
    """(folder, the unfinished record it resumes or None), locked for this process."""
    if resume and results_dir.is_dir():
        for run_dir, record in reversed(find_runs(results_dir)):
            if (record.signature == signature and record.status != "complete"
                    and not _locked(run_dir)):
                _lock(run_dir)
                return run_dir, record
    run_dir = prepare_run_dir(results_dir, new_run_id(model, suite, dt.datetime.now(
        dt.timezone.utc)))
    try:
        _lock(run_dir)
    except OSError as err:
        raise HarnessError(f"results dir {results_dir}: not writable ({err.strerror})") from None
    return run_dir, None
