"""fact-harness: evaluate local causal LMs on task suites built from the facts of documents.

Python API (lazy: `import harness` loads neither torch nor the results models):
`harness.evaluate(model=..., suite=..., tasks=[...], **options) -> RunResult`,
`harness.load_results(run_dir)`, `harness.load_runs(results_dir)`,
`harness.leaderboard(results_dir)`; see harness/api.py."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

import harness.evaluate as _evaluate_package  # docstrings only: these cost nothing
import harness.leaderboard as _leaderboard_package

__version__ = "0.1.0"

_API = ("RunResult", "load_results", "load_runs")
__all__ = ["RunResult", "__version__", "evaluate", "leaderboard", "load_results", "load_runs"]

if TYPE_CHECKING:
    from harness.api import RunResult, load_results, load_runs


class _CallablePackage(types.ModuleType):
    """`harness.evaluate` and `harness.leaderboard` are both subpackages (harness.evaluate.
    runner, ...) and the API's functions: calling the package calls harness.api's function of
    the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from harness import api

        return getattr(api, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


_evaluate_package.__class__ = _CallablePackage
_leaderboard_package.__class__ = _CallablePackage
evaluate = _evaluate_package
leaderboard = _leaderboard_package


def __getattr__(name: str) -> Any:
    if name in _API:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
