"""The backends `harness run --engine NAME` can drive, each opened from the run's options as
an `Engine` (engine/interface.py). A backend added here needs nothing else of the runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.engine.interface import Engine
from harness.engine.types import ModelInfo
from harness.errors import HarnessError
from harness.runs.options import RunOptions

Opener = Callable[[RunOptions], Engine]


def _load(options: RunOptions) -> tuple[Any, Any, ModelInfo]:
    from harness.engine.loading import LoadOptions, load_model

    return load_model(options.model, LoadOptions(options.device, options.dtype,
                                                 options.revision, options.trust_remote_code,
                                                 options.device_map, options.max_memory))


def open_hf(options: RunOptions) -> Engine:
    from harness.engine.hf import HFEngine

    model, tokenizer, info = _load(options)
    if options.device_map is None:
        return HFEngine(model, tokenizer, info, batch_size=options.batch_size,
                        prefix_reuse=options.prefix_reuse, truncate=options.truncate)
    from harness.engine.device_map import (
        MULTI_DEVICE_FALLBACK,
        Placed,
        execution_devices,
        placement,
    )

    split = getattr(model, "hf_device_map", None) or {"": info.device}  # absent: one device
    devices = execution_devices(split)
    fallback = (MULTI_DEVICE_FALLBACK.format(devices=", ".join(devices))
                if len(devices) > 1 and options.prefix_reuse else None)
    engine = HFEngine(model, tokenizer, info, batch_size=options.batch_size,
                      prefix_reuse=options.prefix_reuse and fallback is None,
                      truncate=options.truncate)
    return Placed(engine, {"device_map": options.device_map, "max_memory": options.max_memory,
                           "placement": placement(split), "fallback": fallback})


def open_lm_eval(options: RunOptions) -> Engine:
    from harness.engine.lmeval import LmEvalEngine, require_lm_eval

    require_lm_eval()  # before the model loads
    for value, name in ((options.max_thinking_tokens, "--max-thinking-tokens"),
                        (options.max_answer_tokens, "--max-answer-tokens")):
        if value is not None:
            raise HarnessError(f"{name}: lm-eval cannot close a thinking block at a budget; "
                               "use --engine hf")
    if options.truncate is not None:
        raise HarnessError(f"--truncate {options.truncate}: lm-eval cuts over-long prompts "
                           "its own way; use --engine hf")
    model, tokenizer, info = _load(options)
    return LmEvalEngine(model, tokenizer, info, batch_size=options.batch_size)


def open_llamacpp(options: RunOptions) -> Engine:
    from harness.engine.llamacpp import open_gguf

    if options.dtype != "auto" or options.revision or options.trust_remote_code:
        raise HarnessError("--engine llamacpp: a GGUF file fixes its own types and code; drop "
                           "--dtype, --revision and --trust-remote-code")
    return open_gguf(options.model, tokenizer=options.tokenizer, device=options.device,
                     prefix_reuse=options.prefix_reuse, truncate=options.truncate)


def open_served(options: RunOptions) -> Engine:
    from harness.engine.openai.opener import open_openai

    return open_openai(options)


BACKENDS: dict[str, Opener] = {"hf": open_hf, "lm-eval": open_lm_eval, "llamacpp": open_llamacpp,
                               "openai": open_served}


def check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise HarnessError(f"--engine {name}: expected one of {', '.join(BACKENDS)}")


def open_engine(options: RunOptions) -> Engine:
    """The run's backend, loaded (`HarnessError` with one line when it cannot be)."""
    check_backend(options.engine)
    return BACKENDS[options.engine](options)
