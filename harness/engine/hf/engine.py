"""The transformers engine: batched log-likelihoods and generation with prefix reuse."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import Any

import torch

from harness.engine.hf.generation import Generator
from harness.engine.hf.loglik import LoglikScorer
from harness.engine.hf.passes import Passes
from harness.engine.hf.tokens import Tokens
from harness.engine.interface import GenSink, LoglikSink, Progress
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)

DEFAULT_CONTEXT = 4096  # a config that states no context length


def context_length(model: Any) -> int:
    """The model's context window, as its config states it."""
    return int(getattr(model.config, "max_position_embeddings", DEFAULT_CONTEXT)
               or DEFAULT_CONTEXT)


class HFEngine:
    """Runs requests on a loaded transformers causal LM (implements `Engine`).

    Log-likelihoods follow lm-eval's tokenization rules (trailing context spaces move to the
    continuation; the continuation's tokens are those of context+continuation after the
    context's own tokens), so scores can be cross-checked with `HFLM.loglikelihood`. A model
    with `sdpa` attention is switched to grouped SDPA (`attention.py`): the same attention,
    without copying key/value heads in masked passes; its generated rows then read their
    prompt's shared prefix cache in place (`shared_prefix.py`) instead of each copying it.
    """

    name = "hf"
    choice_refusal: str | None = None

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo, *,
                 batch_size: int | None = None, prefix_reuse: bool = True,
                 truncate: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        if info.device == "cpu":
            torch.set_num_threads(os.cpu_count() or 1)
        self.tokens = Tokens(tokenizer, model)
        self.passes = Passes(model, info, self.tokens.pad_id, batch_size=batch_size,
                             prefix_reuse=prefix_reuse)
        self.max_length = context_length(model)
        self.truncate = truncate
        self.scorer = LoglikScorer(self.passes, self.tokens, self.max_length, truncate)
        self.generator = Generator(self.passes, self.tokens, self.max_length, truncate)

    @property
    def stats(self) -> EngineStats:
        return self.passes.stats

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        return self.tokens.encode_pairs([LoglikRequest(context, continuation)])[0]

    @torch.inference_mode()
    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        return self.scorer.run(requests, progress, sink)

    @torch.inference_mode()
    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        return self.generator.run(requests, progress, sink)

    def describe(self) -> dict[str, Any]:
        return {"batch_size": self.passes.batch_size, "prefix_reuse": self.passes.prefix_reuse,
                "attention": self.passes.attention, "truncate": self.truncate}

    def close(self) -> None:
        """Drop the model; its memory is returned once nothing else holds it."""
        self.model = None
        self.passes.model = None
        gc.collect()
        if self.info.device.startswith("cuda"):
            torch.cuda.empty_cache()
