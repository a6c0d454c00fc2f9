"""The backends `harness run --engine NAME` can drive, each opened from the run's options as
an `Engine` (engine/interface.py). A backend added here needs nothing else of the runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.engine.interface import Engine
from harness.engine.types import ModelInfo
from harness.errors import HarnessError
from harness.evaluate.options import RunOptions

Opener = Callable[[RunOptions], Engine]


def _load(options: RunOptions) -> tuple[Any, Any, ModelInfo]:
    from harness.engine.loading import LoadOptions, load_model

    return load_model(options.model, LoadOptions(options.device, options.dtype,
                                                 options.revision, options.trust_remote_code))


def open_hf(options: RunOptions) -> Engine:
    from harness.engine.hf import HFEngine

    model, tokenizer, info = _load(options)
    return HFEngine(model, tokenizer, info, batch_size=options.batch_size,
                    prefix_reuse=options.prefix_reuse, truncate=options.truncate)


def open_lm_eval(options: RunOptions) -> Engine:
    from harness.engine.lmeval import LmEvalEngine, require_lm_eval

    require_lm_eval()  # before the model loads
    if options.max_thinking_tokens is not None:
        raise HarnessError("--max-thinking-tokens: lm-eval cannot close a thinking block at a "
                           "budget; use --engine hf")
    if options.truncate is not None:
        raise HarnessError(f"--truncate {options.truncate}: lm-eval cuts over-long prompts "
                           "its own way; use --engine hf")
    model, tokenizer, info = _load(options)
    return LmEvalEngine(model, tokenizer, info, batch_size=options.batch_size)


def open_served(options: RunOptions) -> Engine:
    from harness.engine.openai.opener import open_openai

    return open_openai(options)


BACKENDS: dict[str, Opener] = {"hf": open_hf, "lm-eval": open_lm_eval, "openai": open_served}


def check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise HarnessError(f"--engine {name}: expected one of {', '.join(BACKENDS)}")


def open_engine(options: RunOptions) -> Engine:
    """The run's backend, loaded (`HarnessError` with one line when it cannot be)."""
    check_backend(options.engine)
    return BACKENDS[options.engine](options)
