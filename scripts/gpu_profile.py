"""Profile our engine on the mc regime (1.2B shape, bf16, CUDA): where a forward's time goes.

Usage (on a CUDA machine, repo root on PYTHONPATH): python3 scripts/gpu_profile.py [REGIME]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

import torch

from harness.bench.engines import run_lm_eval, run_ours
from harness.bench.run import _info, random_model
from harness.bench.workload import workload
from harness.refmodels.build import corpus
from harness.refmodels.tokenizer import train_tokenizer
from harness.suite.loader import load_suite


def main() -> None:
    regime = sys.argv[1] if len(sys.argv) > 1 else "mc"
    suite = load_suite("tasks/kr-news-2025-07")
    tok = train_tokenizer(corpus(suite))
    model = random_model("exaone-1.2b", tok, torch.bfloat16, "cuda")
    info = _info(model, "exaone-1.2b", torch.bfloat16, "cuda")
    work = workload(suite, tok, regime, 48, 16)
    run_ours(model, tok, info, work, 16)
    run_lm_eval(model, tok, info, work, 16)
    profiler = cProfile.Profile()
    profiler.enable()
    ours = run_ours(model, tok, info, work, 16)
    profiler.disable()
    start = time.perf_counter()
    theirs = run_lm_eval(model, tok, info, work, 16)
    print(f"{regime}: ours {ours.seconds:.3f} s, lm-eval {theirs.seconds:.3f} s "
          f"({time.perf_counter() - start:.3f} s)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("harness|masking|cache_utils", 25)


if __name__ == "__main__":
    main()
