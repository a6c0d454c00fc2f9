"""Count what each engine asks of torch per regime: model forwards and dispatched operators.

A CPU proxy for a GPU, where a 1.2B forward's time is its kernel launches and the Python
around them, not its arithmetic (`results/bench/exaone-1.2b-bf16-NVIDIA_H200.md`). Runs
both engines on the same items of a randomly initialised shape (default `thin`: the 1.2B's
30 layers at width 128) in bfloat16 on this CPU and prints, per regime, each engine's
forwards and operators (views included) and the ratio. `--as-gpu` makes our engine choose
what it chooses on a GPU: decode steps over shared documents in one grid of every group
(`shared_prefix.grid_step`), and documents of any length in one batch (`pad_splits` off).

Usage (repo root): .venv/bin/python scripts/dispatch_count.py [--as-gpu] [--limit 48]
    [--shape thin] [--regime open_qa ...]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from harness.bench.dispatches import Dispatches
from harness.bench.engines import Measurement, run_lm_eval, run_ours
from harness.bench.run import BenchConfig, _setup, _work
from harness.engine.hf import engine as hf
from harness.engine.hf import shared_prefix


def as_gpu() -> None:
    """Our engine's GPU choices, on this CPU."""
    shared_prefix.per_group_step = shared_prefix.grid_step  # type: ignore[assignment]
    init = hf.HFEngine.__init__

    def gpu_init(self: hf.HFEngine, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.passes.pad_splits = False
    hf.HFEngine.__init__ = gpu_init  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="thin")
    parser.add_argument("--limit", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--regime", nargs="*", default=["mc", "mc_open", "open_qa", "closed_qa"])
    parser.add_argument("--as-gpu", action="store_true")
    args = parser.parse_args()
    if args.as_gpu:
        as_gpu()
    config = BenchConfig(shape=args.shape, limit=args.limit, batch_size=args.batch_size,
                         max_new_tokens=args.max_new_tokens, dtype="bfloat16", device="cpu",
                         tune_kernels=False)
    suite, tokenizer, model, info = _setup(config)
    forwards = [0]
    model.register_forward_pre_hook(lambda *_: forwards.__setitem__(0, forwards[0] + 1))
    engines: dict[str, Callable[[Any], Measurement]] = {
        "ours": lambda work: run_ours(model, tokenizer, info, work, args.batch_size,
                                      tune_kernels=False),
        "lm-eval": lambda work: run_lm_eval(model, tokenizer, info, work, args.batch_size)}
    print(f"shape {args.shape}, bfloat16 on this CPU, {args.limit} items, batch "
          f"{args.batch_size}, {args.max_new_tokens} new tokens"
          f"{', ours as on a GPU' if args.as_gpu else ''}")
    print("| regime | ours forwards | ours ops | lm-eval forwards | lm-eval ops | "
          "lm-eval ops / ours |")
    print("|---|---|---|---|---|---|")
    for regime in args.regime:
        work = _work(config, suite, tokenizer, regime)
        counts: dict[str, tuple[int, int]] = {}
        for name, run in engines.items():
            run(_work(config, suite, tokenizer, regime, 1, 2))  # first calls: set-up work
            forwards[0] = 0
            with Dispatches() as seen:
                run(work)
            counts[name] = forwards[0], seen.ops
        (ours_f, ours_ops), (their_f, their_ops) = counts["ours"], counts["lm-eval"]
        print(f"| {regime} | {ours_f} | {ours_ops} | {their_f} | {their_ops} | "
              f"{their_ops / ours_ops:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
