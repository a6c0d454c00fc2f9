"""fact-harness: evaluate local causal LMs on task suites built from the facts of documents.

Python API (lazy: `import harness` loads neither torch nor the results models):
`harness.evaluate(model=..., suite=..., tasks=[...], **options) -> RunResult`,
`harness.load_results(run_dir)`, `harness.load_runs(results_dir)`,
`harness.leaderboard(results_dir)`; see harness/api.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["RunResult", "__version__", "evaluate", "leaderboard", "load_results", "load_runs"]

if TYPE_CHECKING:
    from harness.api import RunResult, load_results, load_runs
    from harness.board.board import Leaderboard


def evaluate(model: str | Path, **options: Any) -> RunResult:
    """Evaluate `model` on a suite (`harness.api.evaluate`: suite, tasks and `harness run`'s
    options as keywords); returns the run folder's data."""
    from harness import api

    return api.evaluate(model, **options)


def leaderboard(results_dir: str | Path = "results", **options: Any) -> Leaderboard:
    """The leaderboard of a results folder (`harness.api.leaderboard`)."""
    from harness import api

    return api.leaderboard(results_dir, **options)


def __getattr__(name: str) -> Any:
    if name in ("RunResult", "load_results", "load_runs"):
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
