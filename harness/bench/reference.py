"""The unbatched reference of a bench: every request run alone, and each engine's distance
from it.

In bfloat16 or float16 a request's numbers depend on what it runs with (the rows and
padding of its batch change the kernels' rounding) and lm-eval rounds its log-softmax and
its sums to the model's dtype, so "max |Δ loglik|" between the two engines no longer tells
whether both compute the same thing. The reference runs each request alone: a
log-likelihood from one unpadded forward with a float32 log-softmax (tokenised as lm-eval
tokenises the pair), a generation through lm-eval's HFLM at batch size 1 (no padding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from harness.bench.engines import Measurement, run_lm_eval
from harness.bench.workload import Workload
from harness.engine.types import LoglikRequest, ModelInfo


@dataclass(frozen=True)
class Reference:
    logliks: list[float]
    texts: list[str]


@dataclass(frozen=True)
class Distance:
    """How far each engine is from the reference: (ours, lm-eval)."""

    max_delta: tuple[float, float] | None  # max |Δ loglik|
    same_texts: tuple[float, float] | None  # share of texts equal to the reference's


def lone_logliks(model: Any, tokenizer: Any, info: ModelInfo,
                 requests: Sequence[LoglikRequest]) -> list[float]:
    """Each request's log-likelihood from a forward of its tokens alone (no batch, no
    padding, no cache), log-softmax in float32."""
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1, device=info.device,
              max_length=int(model.config.max_position_embeddings))
    out = []
    with torch.inference_mode():
        for request in requests:
            context, continuation = lm._encode_pair(request.context, request.continuation)
            ids = torch.tensor([(context + continuation)[:-1]], device=info.device)
            logits = model(input_ids=ids, logits_to_keep=len(continuation)).logits[0].float()
            target = torch.tensor(continuation, device=info.device)[:, None]
            out.append(float(torch.log_softmax(logits, dim=-1).gather(1, target).sum()))
    return out


def run_reference(model: Any, tokenizer: Any, info: ModelInfo, work: Workload) -> Reference:
    logliks = lone_logliks(model, tokenizer, info, work.loglik) if work.loglik else []
    texts = (run_lm_eval(model, tokenizer, info, replace(work, loglik=[]), 1).texts
             if work.generate else [])
    return Reference(logliks, texts)


def max_abs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """The largest |Δ| between two runs' log-likelihoods of the same requests."""
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def same_share(a: Sequence[str], b: Sequence[str]) -> float:
    """The share of the same requests whose texts are equal in two runs."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def distance(ours: Measurement, theirs: Measurement, reference: Reference) -> Distance:
    logliks, texts = reference.logliks, reference.texts
    return Distance(
        (max_abs_delta(ours.logliks, logliks), max_abs_delta(theirs.logliks, logliks))
        if logliks else None,
        (same_share(ours.texts, texts), same_share(theirs.texts, texts)) if texts else None)
