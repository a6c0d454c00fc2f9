"""lm-eval's HFLM behind our `Engine` interface (`--engine lm-eval`): the same prompts, the
same runner, cache and scorer as `--engine hf`, with lm-eval's model code computing each
request (its batching, padding and tokenization rules), for cross-checks and comparisons.

lm-eval is an optional extra (`pip install 'fact-harness[lm-eval]'`). HFLM computes each
request whole (no prefix reuse). It cannot force the end of a thinking block, so
`--max-thinking-tokens` is refused; with thinking, stop strings apply to the answer after
`</think>` once the text is back. Sampling uses HFLM's `do_sample`; per-request seeds are
not HFLM's: the whole run is seeded once, so sampled texts can differ from `--engine hf`.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

import torch

from harness.engine.hf.batching import rows_per_batch
from harness.engine.interface import GenSink, LoglikSink, Progress
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)
from harness.errors import HarnessError

THINK_END = "</think>"


def require_lm_eval() -> None:
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        raise HarnessError("--engine lm-eval needs lm-eval: pip install "
                           "'fact-harness[lm-eval]'") from None


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return text[:cut] if cut >= 0 else text


def answer_cut(text: str, request: GenRequest) -> str:
    """Stop strings applied as our engine applies them: to the answer after `</think>` when
    the request thinks, else to the whole text."""
    if not request.thinking:
        return cut_at_stop(text, request.stop)
    head, sep, answer = text.partition(THINK_END)
    if not sep:
        return text
    body = answer.lstrip()  # the answer starts after `</think>` and its blank lines
    return head + sep + answer[: len(answer) - len(body)] + cut_at_stop(body, request.stop)


class LmEvalEngine:
    """Runs requests through `lm_eval.models.huggingface.HFLM` on an already loaded model."""

    name = "lm-eval"
    choice_refusal: str | None = None

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo, *,
                 batch_size: int | None = None) -> None:
        require_lm_eval()
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.batch_size = batch_size
        self.stats = EngineStats()
        self.max_length = int(getattr(model.config, "max_position_embeddings", 4096) or 4096)

    def _lm(self, longest_tokens: int) -> Any:
        from lm_eval.models.huggingface import HFLM

        rows = rows_per_batch(self.model.config, longest_tokens, self.info, self.batch_size,
                              plain=True)
        return HFLM(pretrained=self.model, tokenizer=self.tokenizer, batch_size=rows,
                    device=self.info.device, max_length=self.max_length)

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        from lm_eval.api.instance import Instance

        if not requests:
            return []
        lm = self._lm(max(self._count(r.context + r.continuation) for r in requests))
        instances = [Instance("loglikelihood", {}, (r.context, r.continuation), i)
                     for i, r in enumerate(requests)]
        outputs = lm.loglikelihood(instances, disable_tqdm=True)
        results = []
        for i, (request, (logprob, greedy)) in enumerate(zip(requests, outputs, strict=True)):
            context_ids, continuation_ids = lm._encode_pair(request.context, request.continuation)
            tokens = len(context_ids) + len(continuation_ids) - 1
            self.stats.prompt_tokens += tokens
            self.stats.count_pass(tokens, tokens)  # every position's logits, each request whole
            result = LoglikResult(float(logprob), bool(greedy), len(continuation_ids))
            results.append(result)
            if sink:
                sink(i, result)
        if progress:
            progress(len(requests))
        return results

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        from lm_eval.api.instance import Instance

        if any(r.max_thinking_tokens is not None for r in requests):
            raise HarnessError("--max-thinking-tokens: lm-eval cannot close a thinking block "
                               "at a budget; use --engine hf")
        if not requests:
            return []
        budget = max(r.max_new_tokens for r in requests)
        lm = self._lm(max(self._count(r.prompt) for r in requests) + budget)
        seeds = {r.seed for r in requests if r.temperature > 0}
        if seeds:
            torch.manual_seed(min(seeds))
        instances = [Instance("generate_until", {}, (r.prompt, {
            "until": [] if r.thinking else list(r.stop), "max_gen_toks": r.max_new_tokens,
            **self._sampling(r)}), i) for i, r in enumerate(requests)]
        texts = [str(t) for t in lm.generate_until(instances, disable_tqdm=True)]
        results = []
        for i, (request, raw) in enumerate(zip(requests, texts, strict=True)):
            text = answer_cut(raw, request)
            prompt_tokens, generated = self._count(request.prompt), self._count(raw)
            self.stats.prompt_tokens += prompt_tokens
            self.stats.generated_tokens += generated
            self.stats.count_pass(prompt_tokens + generated, generated)
            finish = "length" if generated >= request.max_new_tokens else "stop"
            result = GenResult(text, prompt_tokens, generated, finish,
                               answer_tokens=self._count(text))
            results.append(result)
            if sink:
                sink(i, result)
        if progress:
            progress(len(requests))
        return results

    @staticmethod
    def _sampling(request: GenRequest) -> dict[str, Any]:
        if request.temperature <= 0:
            return {"do_sample": False}
        return {"do_sample": True, "temperature": request.temperature, "top_p": request.top_p,
                **({"top_k": request.top_k} if request.top_k else {})}

    def describe(self) -> dict[str, Any]:
        import lm_eval

        return {"lm_eval_version": getattr(lm_eval, "__version__", "unknown"),
                "batch_size": self.batch_size, "prefix_reuse": False}

    def close(self) -> None:
        self.model = None
        gc.collect()
