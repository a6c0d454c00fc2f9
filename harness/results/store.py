"""Write and read run folders: results/<run-id>/run.json + samples.jsonl, written atomically."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from harness.errors import HarnessError
from harness.results.records import RunRecord, Sample

RUN_FILE, SAMPLES_FILE = "run.json", "samples.jsonl"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and a rename; a full
    disk or a file-size limit is one error line (the old file, if any, is left whole)."""
    try:
        _atomic_write(path, text)
    except OSError as err:
        fix = {errno.ENOSPC: "free space on its disk", errno.EDQUOT: "free space (disk quota)",
               errno.EFBIG: "raise the file-size limit (ulimit -f) or write elsewhere"
               }.get(err.errno or 0, "check the folder's permissions and space")
        raise HarnessError(f"{path}: cannot write ({err.strerror or err}); {fix}") from None


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide results from others
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def git_sha() -> str:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def new_run_id(model_id: str, suite: str, when: dt.datetime) -> str:
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", Path(model_id.rstrip("/")).name or model_id)[:40]
    return f"{when:%Y%m%d-%H%M%S}-{slug}-{suite}"


def check_writable(results_dir: Path, create: bool = True) -> None:
    """Prove a file can be written in `results_dir` (made first when `create`; else in the
    nearest folder that exists, where it would be made); one error line otherwise."""
    probe = results_dir
    if not create:
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
    try:
        if create:
            results_dir.mkdir(parents=True, exist_ok=True)
        elif not probe.is_dir():
            raise NotADirectoryError(20, "Not a directory")
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".probe"):
            pass
    except OSError as err:
        raise HarnessError(f"results dir {results_dir}: not writable ({err.strerror}); "
                           "choose another with --results") from None


def prepare_run_dir(results_dir: Path, run_id: str) -> Path:
    """A new, empty folder `results_dir/run_id` (or `run_id-2`, `-3`...): created atomically,
    so processes starting together never share one."""
    check_writable(results_dir)
    for suffix in range(1, 10_000):
        run_dir = results_dir / (run_id if suffix == 1 else f"{run_id}-{suffix}")
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise HarnessError(f"{run_dir}: cannot create the run folder ({err.strerror})"
                               ) from None
        return run_dir
    raise HarnessError(f"{results_dir}: 9,999 run folders named {run_id}; remove old ones")


def write_run(run_dir: Path, record: RunRecord) -> None:
    atomic_write(run_dir / RUN_FILE, record.model_dump_json(indent=2) + "\n")


def write_samples(run_dir: Path, samples: Iterable[Sample]) -> None:
    lines = [s.model_dump_json() for s in samples]
    atomic_write(run_dir / SAMPLES_FILE, "\n".join(lines) + ("\n" if lines else ""))


def read_run(run_dir: Path) -> RunRecord:
    path = run_dir / RUN_FILE
    try:
        return RunRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as err:
        first = str(err).splitlines()[0]
        raise HarnessError(f"{path}: not a readable run record ({first})") from None


def read_samples(run_dir: Path) -> list[Sample]:
    path = run_dir / SAMPLES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise HarnessError(f"{path}: cannot read ({err.strerror})") from None
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                samples.append(Sample.model_validate_json(line))
            except ValidationError as err:
                raise HarnessError(f"{path}:{number}: bad sample ({err.errors()[0]['msg']})"
                                   ) from None
    return samples


def find_runs(results_dir: Path) -> list[tuple[Path, RunRecord]]:
    """Every readable run under `results_dir`, oldest first; unreadable folders are skipped."""
    runs = []
    for run_file in sorted(results_dir.glob(f"*/{RUN_FILE}")):
        try:
            runs.append((run_file.parent, read_run(run_file.parent)))
        except HarnessError:
            continue
    return sorted(runs, key=lambda pair: pair[1].started)
