"""`harness bench`: the same items through our engine and lm-eval's HFLM, measured side by side."""

from __future__ import annotations

import contextlib
import multiprocessing
import platform
import statistics
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.bench.engines import Measurement, bare_forward_tokens_per_s, run_lm_eval, run_ours
from harness.bench.load import busy_load
from harness.bench.reference import (
    Distance,
    Reference,
    distance,
    max_abs_delta,
    run_reference,
    same_share,
)
from harness.bench.workload import Workload, workload
from harness.engine.loading import LoadOptions, device_name, load_model, pick_device, pick_dtype
from harness.engine.types import ModelInfo
from harness.prompts.chat import has_chat_template
from harness.refmodels.build import corpus
from harness.refmodels.configs import EXAONE_VOCAB, SHAPES, SMALL_VOCAB_SHAPES, exaone4_config
from harness.refmodels.tokenizer import train_tokenizer
from harness.suite.loader import Suite, load_suite

TARGETS = {"mc_open": 5.0, "open_qa": 5.0, "mc": 1.5, "closed_qa": 2.0}
PREFILL_BOUND = ("mc", "mc_open")
CEILING_TARGET = 0.9  # of the bare-forward ceiling, on the prefill-bound regimes
CEILING_PAIRS = 3  # prefill-bound regimes: (ours, bare forward) timed side by side this often


@dataclass(frozen=True)
class Ceiling:
    """Our computed tokens/s and the bare-forward ceilings, timed one right after the other."""

    tokens_per_s: float
    ceiling_tokens_per_s: float  # logits at the same share of positions as ours computed
    last_ceiling_tokens_per_s: float  # logits at the last position only


@dataclass(frozen=True)
class BenchConfig:
    shape: str = "small"
    regimes: tuple[str, ...] = ("mc", "mc_open", "open_qa", "closed_qa")
    limit: int = 8
    dtype: str = "auto"
    device: str = "auto"
    batch_size: int | None = 8
    max_new_tokens: int = 16
    suite: Path = Path("tasks/kr-news-2025-07")
    reference: bool | None = None  # each request alone too; None: in half precision only
    model: str | None = None  # a trained model (folder or hub id) instead of a random shape
    chat: bool | None = None  # prompts through the chat template; None: a trained model's, if any
    busy_cores: int = 0  # cores kept busy by a bounded load while measuring (a used laptop)
    pairs: int = 1  # (lm-eval, ours) measured this often per regime, alternating


def pair_ratio(ours: Measurement, theirs: Measurement) -> float:
    return ours.items_per_s / theirs.items_per_s if theirs.items_per_s else 0.0


Pair = tuple[Measurement, Measurement, Ceiling]  # ours, lm-eval's, our ceiling


def median_pair(pairs: list[Pair]) -> tuple[Pair, tuple[float, ...]]:
    """The pair of the median ratio (the upper middle one of an even count) and, with more
    than one pair, every pair's ratio in order."""
    ordered = sorted(pairs, key=lambda pair: pair_ratio(pair[0], pair[1]))
    ratios = tuple(pair_ratio(o, t) for o, t, _ in ordered) if len(ordered) > 1 else ()
    return ordered[len(ordered) // 2], ratios


@dataclass(frozen=True)
class RegimeResult:
    ours: Measurement
    theirs: Measurement
    ceiling: Ceiling
    max_delta: float | None
    same_texts: float | None
    reference: Distance | None = None  # each engine's distance from every request run alone
    ratios: tuple[float, ...] = ()  # every pair's ratio, sorted (with --pairs N > 1)

    @property
    def ratio(self) -> float:
        """This pair's: with several pairs, the pair of the median ratio was kept."""
        return pair_ratio(self.ours, self.theirs)

    @property
    def work_ratio(self) -> float:
        """Positions lm-eval had the model run ÷ those ours did (padding included)."""
        return self.theirs.positions / self.ours.positions if self.ours.positions else 0.0

    @property
    def free_prompt_bound(self) -> float | None:
        """lm-eval's time ÷ its time in decode steps: the ratio of an engine whose prompt
        passes cost nothing and whose decode steps (the same ones: same batch size, no early
        stop) cost what lm-eval's did. None without decode steps."""
        t = self.theirs
        return t.seconds / t.decode_seconds if t.decode_seconds else None

    @property
    def ceiling_fraction(self) -> float:
        c = self.ceiling
        return c.tokens_per_s / c.ceiling_tokens_per_s if c.ceiling_tokens_per_s else 0.0

    @property
    def last_ceiling_fraction(self) -> float:
        c = self.ceiling
        return c.tokens_per_s / c.last_ceiling_tokens_per_s if c.last_ceiling_tokens_per_s else 0.0


def random_model(shape: str, tokenizer: Any, dtype: torch.dtype, device: str) -> Any:
    """A randomly initialised Exaone4ForCausalLM of the shape (speed does not depend on
    weights); the real vocabulary size except for `SMALL_VOCAB_SHAPES` (the suite tokenizer's).
    On device "meta": shapes only. On a GPU the weights are drawn there (the same in every
    process: one seed, one device), as drawing the 1.2B shape's on the CPU takes ~20 s in
    each of the bench's processes."""
    from transformers import Exaone4ForCausalLM

    torch.manual_seed(0)
    vocab = len(tokenizer) if shape in SMALL_VOCAB_SHAPES else EXAONE_VOCAB
    config = exaone4_config(shape, vocab_size=vocab, max_positions=32768)
    drawn_on = device == "meta" or device.startswith("cuda")
    with torch.device(device) if drawn_on else contextlib.nullcontext():
        model: Any = Exaone4ForCausalLM(config)
    return model.to(dtype=dtype, device=device).eval()


def uses_chat(config: BenchConfig, tokenizer: Any) -> bool:
    """`config.chat`, or by default: a trained model's chat template when it has one (random
    shapes get plain prompts)."""
    if config.chat is not None:
        return config.chat
    return config.model is not None and has_chat_template(tokenizer)


def _work(config: BenchConfig, suite: Suite, tokenizer: Any, regime: str,
          limit: int | None = None, max_new_tokens: int | None = None) -> Workload:
    return workload(suite, tokenizer, regime, config.limit if limit is None else limit,
                    max_new_tokens or config.max_new_tokens, uses_chat(config, tokenizer))


def _info(model: Any, shape: str, dtype: torch.dtype, device: str) -> ModelInfo:
    return ModelInfo(
        model_id=f"random-exaone4-{shape}", source="random", path="", revision="random-seed-0",
        architecture=type(model).__name__, parameters=sum(p.numel() for p in model.parameters()),
        dtype=str(dtype).removeprefix("torch."), device=device, device_name=device_name(device),
        trust_remote_code=False, chat_template_sha=None)


def _compare(ours: Measurement, theirs: Measurement) -> tuple[float | None, float | None]:
    return (max_abs_delta(ours.logliks, theirs.logliks) if ours.logliks else None,
            same_share(ours.texts, theirs.texts) if ours.texts else None)


def _context_tokens(tokenizer: Any, work: Workload) -> int:
    texts = [r.context for r in work.loglik] or [r.prompt for r in work.generate]
    return int(statistics.median(len(tokenizer(t, add_special_tokens=False)["input_ids"])
                                 for t in texts))


def _setup(config: BenchConfig, weights: bool = True) -> tuple[Suite, Any, Any, ModelInfo]:
    """The suite, its trained tokenizer and the seeded random model (the same in every
    process), or `config.model` with its own tokenizer; without `weights`, the model's shapes
    only (on the meta device)."""
    device = pick_device(config.device)
    dtype = pick_dtype(config.dtype, device)
    suite: Suite = load_suite(config.suite)
    if config.model:  # without weights: the parent process, which only prints
        model, tokenizer, info = load_model(config.model, LoadOptions(
            device=device, dtype=str(dtype).removeprefix("torch.")), weights=weights)
        return suite, tokenizer, model, info
    tokenizer = train_tokenizer(corpus(suite))
    model = random_model(config.shape, tokenizer, dtype, device if weights else "meta")
    return suite, tokenizer, model, _info(model, config.shape, dtype, device)


def logits_kept(length: int, measured: Measurement) -> int:
    """Positions of a `length`-token row whose logits the ceiling computes: the share of
    computed positions whose logits our engine computed (scored positions, next tokens)."""
    if not measured.computed_tokens:
        return 1
    return max(1, min(length, round(length * measured.logit_rows / measured.computed_tokens)))


def reference(config: BenchConfig, regime: str) -> Reference:
    """Every request of the regime run alone (`reference.py`), in a process of its own."""
    suite, tokenizer, model, info = _setup(config)
    work = _work(config, suite, tokenizer, regime)
    return run_reference(model, tokenizer, info, work)


def wants_reference(config: BenchConfig, dtype: str) -> bool:
    """`config.reference`, or by default: in half precision, where batching changes results."""
    return config.reference if config.reference is not None else dtype != "float32"


def measure(engine: str, config: BenchConfig, regime: str) -> tuple[Measurement, Ceiling]:
    """One engine on one regime, after a warm-up; with ours, also the bare-forward ceilings:
    logits at the same share of positions as ours computed, timed right after a run of ours
    (on the prefill-bound regimes `CEILING_PAIRS` such pairs, keeping the pair with the
    median fraction: this VM's speed drifts between runs, and a pair's two timings drift
    together), then logits at the last position only. One pass each: at the 1.2B shape a
    ceiling pass over a batch of documents takes minutes on a CPU.

    Runs in a process of its own (see `bench`), so its peak RSS is this engine's alone."""
    suite, tokenizer, model, info = _setup(config)
    run = run_ours if engine == "ours" else run_lm_eval
    work = _work(config, suite, tokenizer, regime)
    # First calls of each shape cost extra on CUDA: warm up on the same work there.
    warm = work if info.device.startswith("cuda") else _work(config, suite, tokenizer, regime, 1, 2)
    run(model, tokenizer, info, warm, config.batch_size)
    measured = run(model, tokenizer, info, work, config.batch_size)
    if engine != "ours":
        return measured, Ceiling(0.0, 0.0, 0.0)
    rows = min(config.batch_size or 8, max(1, len(work.loglik) or len(work.generate)))
    length = _context_tokens(tokenizer, work)
    pairs = []
    for k in range(CEILING_PAIRS if regime in PREFILL_BOUND else 1):
        again = measured if k == 0 else run(model, tokenizer, info, work, config.batch_size)
        pairs.append((again.computed_tokens / again.seconds if again.seconds else 0.0,
                      bare_forward_tokens_per_s(model, info.device, rows, length,
                                                logits_kept(length, again), repeats=1)))
    pairs.sort(key=lambda pair: pair[0] / max(pair[1], 1e-9))
    ours, ceiling = pairs[len(pairs) // 2]
    return measured, Ceiling(ours, ceiling, bare_forward_tokens_per_s(model, info.device, rows,
                                                                      length, 1, repeats=1))


def bench(config: BenchConfig, log: Any = print,
          measured: Callable[[list[RegimeResult], dict[str, Any]], None] | None = None,
          ) -> tuple[list[RegimeResult], dict[str, Any]]:
    """Each (engine, regime) measured in a fresh process that builds the same seeded model:
    neither engine inherits the other's memory or warm caches (this process holds no weights).
    `measured` is called with the results so far after each regime (a run cut short by a
    time limit keeps what it measured)."""
    suite, tokenizer, shapes, info = _setup(config, weights=False)
    weights = sum(p.numel() * p.element_size() for p in shapes.parameters())
    meta = {"shape": config.shape, "model": config.model, "revision": info.revision,
            "chat": uses_chat(config, tokenizer),
            "dims": None if config.model else SHAPES[config.shape],
            "parameters": info.parameters,
            "weights_bytes": weights, "dtype": info.dtype, "device": info.device_name,
            "machine": f"{platform.machine()} {torch.get_num_threads()} threads",
            "batch_size": config.batch_size, "limit": config.limit,
            "max_new_tokens": config.max_new_tokens, "torch": torch.__version__,
            "regimes": len(config.regimes), "busy_cores": config.busy_cores,
            "pairs": max(1, config.pairs)}
    with busy_load(config.busy_cores):
        return _measure_regimes(config, suite, tokenizer, info, meta, log, measured)


def _measure_regimes(config: BenchConfig, suite: Suite, tokenizer: Any, info: ModelInfo,
                     meta: dict[str, Any], log: Any,
                     measured: Callable[[list[RegimeResult], dict[str, Any]], None] | None,
                     ) -> tuple[list[RegimeResult], dict[str, Any]]:
    results: list[RegimeResult] = []
    spawn = multiprocessing.get_context("spawn")
    for regime in config.regimes:
        work = _work(config, suite, tokenizer, regime)
        log(f"{regime}: {work.items} items, {len(work.loglik) or len(work.generate)} requests")
        pairs = []
        for k in range(max(1, config.pairs)):  # alternating: both drift with the machine
            if config.pairs > 1:
                log(f"{regime}: pair {k + 1} of {config.pairs}")
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                theirs, _ = pool.submit(measure, "lm-eval", config, regime).result()
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                ours, ceiling = pool.submit(measure, "ours", config, regime).result()
            pairs.append((ours, theirs, ceiling))
        (ours, theirs, ceiling), ratios = median_pair(pairs)
        delta, same = _compare(ours, theirs)
        alone = None
        if wants_reference(config, info.dtype):
            log(f"{regime}: every request alone (reference)")
            with ProcessPoolExecutor(1, mp_context=spawn) as pool:
                alone = distance(ours, theirs, pool.submit(reference, config, regime).result())
        results.append(RegimeResult(ours, theirs, ceiling, delta, same, alone, ratios))
        if measured is not None:
            measured(results, meta)
    return results, meta
