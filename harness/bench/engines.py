"""Run one workload through our engine or lm-eval's HFLM, timed, with peak memory."""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from harness.bench.workload import Workload
from harness.engine.hf import HFEngine
from harness.engine.hf.heap import release_freed
from harness.engine.types import ModelInfo


@dataclass
class Measurement:
    engine: str
    regime: str
    items: int
    seconds: float
    computed_tokens: int
    logliks: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    peak_rss_bytes: int = 0
    peak_gpu_bytes: int = 0
    logit_rows: int = 0  # positions whose logits were computed (ours; the head's work)
    positions: int = 0  # positions the model ran, padding included (either engine)
    decode_seconds: float = 0.0  # of `seconds`, in passes of one position per row

    @property
    def decode_share(self) -> float:
        return self.decode_seconds / self.seconds if self.seconds else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def reset_peak_memory(device: str) -> None:
    """Reset the kernel's resident-set high-water mark (and CUDA's peak) for this process,
    after handing memory freed by earlier work (model building, warm-up) back to the system."""
    gc.collect()
    release_freed("cpu")
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        with contextlib.suppress(OSError):
            clear.write_text("5")
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()


def peak_memory(device: str) -> tuple[int, int]:
    rss = 0
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) * 1024
    gpu = int(torch.cuda.max_memory_allocated()) if device.startswith("cuda") else 0
    return rss, gpu


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class ForwardMeter:
    """Counts the positions (rows x tokens, padding included) of every forward call of a
    model while registered, the work an engine had the model do whatever its bookkeeping,
    and times the calls that run one position per row: decode steps, whose number and
    batch no prompt sharing changes (a randomly initialised model never stops early)."""

    def __init__(self, model: Any, device: str) -> None:
        self.positions = 0
        self.decode_seconds = 0.0
        self.decode_calls = 0
        self._device = device
        self._started: float | None = None
        self._handles = [model.register_forward_pre_hook(self._before, with_kwargs=True),
                         model.register_forward_hook(self._after, with_kwargs=True)]

    def _before(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None and kwargs.get("inputs_embeds") is not None:
            ids = kwargs["inputs_embeds"][..., 0]
        if not isinstance(ids, torch.Tensor):
            return
        self.positions += int(ids.numel())
        if ids.dim() == 2 and ids.shape[1] == 1:
            _sync(self._device)
            self._started = time.perf_counter()

    def _after(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
               output: Any) -> None:
        if self._started is not None:
            _sync(self._device)
            self.decode_seconds += time.perf_counter() - self._started
            self.decode_calls += 1
            self._started = None

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()


def run_ours(model: Any, tokenizer: Any, info: ModelInfo, work: Workload,
             batch_size: int | None) -> Measurement:
    engine = HFEngine(model, tokenizer, info, batch_size=batch_size, prefix_reuse=True)
    reset_peak_memory(info.device)
    _sync(info.device)
    meter = ForwardMeter(model, info.device)
    start = time.perf_counter()
    logliks = [r.logprob for r in engine.loglikelihood(work.loglik)] if work.loglik else []
    texts = [r.text for r in engine.generate(work.generate)] if work.generate else []
    _sync(info.device)
    seconds = time.perf_counter() - start
    rss, gpu = peak_memory(info.device)
    meter.close()
    return Measurement("ours", work.regime, work.items, seconds, engine.stats.computed_tokens,
                       logliks, texts, rss, gpu, engine.stats.logit_rows, meter.positions,
                       meter.decode_seconds)


def run_lm_eval(model: Any, tokenizer: Any, info: ModelInfo, work: Workload,
                batch_size: int | None) -> Measurement:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size or "auto",
              device=info.device, max_length=int(model.config.max_position_embeddings))
    reset_peak_memory(info.device)
    _sync(info.device)
    meter = ForwardMeter(model, info.device)
    start = time.perf_counter()
    logliks: list[float] = []
    texts: list[str] = []
    computed = 0
    if work.loglik:
        instances = [Instance("loglikelihood", {}, (r.context, r.continuation), i)
                     for i, r in enumerate(work.loglik)]
        logliks = [float(ll) for ll, _ in lm.loglikelihood(instances, disable_tqdm=True)]
        computed = sum(len(tokenizer(r.context + r.continuation,
                                     add_special_tokens=False)["input_ids"]) - 1
                       for r in work.loglik)
    if work.generate:
        instances = [Instance("generate_until", {}, (r.prompt, {
            "until": list(r.stop), "max_gen_toks": r.max_new_tokens, "do_sample": False}), i)
            for i, r in enumerate(work.generate)]
        texts = [str(t) for t in lm.generate_until(instances, disable_tqdm=True)]
    _sync(info.device)
    seconds = time.perf_counter() - start
    rss, gpu = peak_memory(info.device)
    meter.close()
    return Measurement("lm-eval", work.regime, work.items, seconds, computed, logliks, texts,
                       rss, gpu, positions=meter.positions, decode_seconds=meter.decode_seconds)


def bare_forward_tokens_per_s(model: Any, device: str, rows: int, length: int, keep: int = 1,
                              repeats: int = 3) -> float:
    """Tokens/s of a plain batched `model(input_ids)` that computes the logits of its last
    `keep` positions only: with `keep=1`, as a prefill does. A scorer needs logits at every
    scored position, so the ceiling for our log-likelihood work keeps the same share of
    positions as our engine did; full per-position logits (a plain `model(input_ids)`) would
    make the ceiling slower than it need be (the vocabulary is 102400 wide)."""
    ids = torch.randint(0, int(model.config.vocab_size), (rows, length), device=device)
    with torch.inference_mode():
        model(input_ids=ids[:, : min(length, 16)], logits_to_keep=1)  # warm-up
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            model(input_ids=ids, logits_to_keep=keep)
        _sync(device)
    return rows * length * repeats / (time.perf_counter() - start)
