"""The one interface every backend implements, and what the runner knows of a backend.

A backend takes log-likelihood requests and generation requests (`engine/types.py`) and
returns their results in request order; it says which model it runs (`info`), counts the
tokens it ran (`stats`), and frees what it holds on `close()`. The runner (`runs/runner.py`)
drives any backend through this protocol only: the HF engine (`engine/hf/`), lm-eval's HFLM
(`interop/lmeval_engine.py`) and the backends other modules register.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)

Progress = Callable[[int], None]  # called with the number of requests just finished
LoglikSink = Callable[[int, LoglikResult], None]  # (request index, result) as each is done
GenSink = Callable[[int, GenResult], None]


@runtime_checkable
class Engine(Protocol):
    """A model behind requests. `name` keys the request cache together with `info` (two
    backends never share cached results); `tokenizer` renders prompts (chat template,
    few-shot turns) and is None where the backend formats prompts itself; a backend whose
    log-likelihoods cannot be trusted (a server that failed its probe) says why in
    `choice_refusal`, and the runner drops its choice tasks before the run."""

    name: str
    info: ModelInfo
    tokenizer: Any
    choice_refusal: str | None  # why this backend cannot score log-likelihoods (None: it can)

    @property
    def stats(self) -> EngineStats:
        """Tokens run so far (read into run.json per task)."""
        ...

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        """Sum of log-probabilities of each continuation after its context, and whether the
        continuation is the greedy one."""
        ...

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        """Each prompt's continuation, under the request's budget, stop strings and sampling."""
        ...

    def describe(self) -> dict[str, Any]:
        """What run.json records of the backend beyond the model (settings that decide its
        numbers, a server's address, a probe's outcome); never a secret."""
        ...

    def close(self) -> None:
        """Free the model and whatever else the backend holds; the engine is unusable after."""
        ...
