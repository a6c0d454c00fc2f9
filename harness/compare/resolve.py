"""RUN_A / RUN_B arguments: a run folder, or a run id under the results folder."""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.results.store import RUN_FILE


def resolve_run(arg: str, results_dir: Path) -> Path:
    """The run folder `arg` names: a folder holding run.json, else `results_dir/arg`."""
    for candidate in (Path(arg), results_dir / arg):
        if (candidate / RUN_FILE).is_file():
            return candidate
    raise HarnessError(f"{arg}: not a run folder, nor a run id under {results_dir}")
