"""A/B of our engine between two checkouts (or two engine settings) on the bench's workloads:
each side in a fresh process on the same seeded random model, alternating, several pairs;
prints items/s of each side, the ratio, max |Δ loglik| and the share of identical texts.

It decides whether code earns its place: run this checkout against another (`--other-tree`,
say one where an engine component is still present) with that side's constructor options
(`--other-options '{"tune_kernels": false}'`), on a quiet machine and with `--busy-cores 1`;
or one component of another checkout on and off (`--this-tree ../old --other-tree ../old`),
or one environment variable (`--this-env '{"NAME": "1"}' --other-tree .`). Each side's peak
RSS is its VmHWM over the timed run (Linux).

Usage: python scripts/engine_ab.py --other-tree ../old --shape exaone-1.2b --regime open_qa \
           --limit 16 --pairs 3 [--busy-cores 1] [--out results/bench/NAME.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.bench.load import busy_load  # noqa: E402

SIDE = r"""
import json, sys, time
from pathlib import Path
from harness.bench.run import BenchConfig, _setup, _work
from harness.engine.hf import HFEngine
args = json.loads(sys.argv[1])
config = BenchConfig(shape=args["shape"], regimes=(args["regime"],), limit=args["limit"],
                     dtype="float32", device="cpu", batch_size=args["batch_size"],
                     max_new_tokens=args["max_new_tokens"], suite=Path(args["suite"]))
suite, tokenizer, model, info = _setup(config)
def once(work):
    engine = HFEngine(model, tokenizer, info, batch_size=args["batch_size"], **args["options"])
    start = time.perf_counter()
    logliks = [r.logprob for r in engine.loglikelihood(work.loglik)] if work.loglik else []
    texts = [r.text for r in engine.generate(work.generate)] if work.generate else []
    return time.perf_counter() - start, logliks, texts
once(_work(config, suite, tokenizer, args["regime"], 1, 2))  # warm-up (and first-call costs)
work = _work(config, suite, tokenizer, args["regime"])
Path("/proc/self/clear_refs").write_text("5")  # the peak RSS from here on (Linux)
seconds, logliks, texts = once(work)
status = Path("/proc/self/status").read_text().split("VmHWM:")[1].split()
print(json.dumps({"seconds": seconds, "items": work.items, "logliks": logliks, "texts": texts,
                  "peak_gb": int(status[0]) * 1024 / 1e9}))
"""


def side(tree: Path, args: dict[str, Any], extra_env: dict[str, str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), **extra_env}
    out = subprocess.run([sys.executable, "-c", SIDE, json.dumps(args)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--this-tree", type=Path, default=ROOT)
    parser.add_argument("--other-tree", type=Path, required=True)
    parser.add_argument("--this-options", default="{}")
    parser.add_argument("--other-options", default="{}")
    parser.add_argument("--this-env", default="{}", help="environment variables, as JSON")
    parser.add_argument("--other-env", default="{}")
    parser.add_argument("--shape", default="small")
    parser.add_argument("--regime", action="append", required=True)
    parser.add_argument("--limit", type=int, default=16)
    parser.add_argument("--batch-size", type=lambda v: None if v == "auto" else int(v),
                        default=8, help="rows per pass, or auto (a memory budget)")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--busy-cores", type=int, default=0)
    parser.add_argument("--out", type=Path)
    a = parser.parse_args()
    lines = [f"shape {a.shape}, float32, cpu, batch size {a.batch_size}, limit {a.limit}, "
             f"{a.pairs} pairs, busy cores {a.busy_cores}; this: {a.this_tree} "
             f"{a.this_options} {a.this_env}; other: {a.other_tree} {a.other_options} "
             f"{a.other_env}", "",
             "| regime | this items/s | other items/s | this ÷ other (median pair; the lower "
             "of two) | range "
             "| max abs Δ loglik | same text | peak RSS this / other |",
             "|---|---|---|---|---|---|---|---|"]
    with busy_load(a.busy_cores):
        for regime in a.regime:
            base = {"shape": a.shape, "regime": regime, "limit": a.limit,
                    "batch_size": a.batch_size, "max_new_tokens": a.max_new_tokens,
                    "suite": str(ROOT / "tasks" / "kr-news-2025-07")}
            pairs = []
            for k in range(a.pairs):
                first_other = k % 2 == 1  # alternate which side runs first
                runs = {}
                for name in (("other", "this") if first_other else ("this", "other")):
                    tree = a.this_tree if name == "this" else a.other_tree
                    options = json.loads(a.this_options if name == "this" else a.other_options)
                    env = json.loads(a.this_env if name == "this" else a.other_env)
                    runs[name] = side(tree, {**base, "options": options}, env)
                    print(f"{regime} pair {k + 1} {name}: {runs[name]['seconds']:.1f} s, "
                          f"peak RSS {runs[name]['peak_gb']:.2f} GB", file=sys.stderr)
                pairs.append((runs["this"], runs["other"]))
            ratios = [(t["items"] / t["seconds"]) / (o["items"] / o["seconds"]) for t, o in pairs]
            mid = sorted(range(len(ratios)), key=lambda i: ratios[i])[(len(ratios) - 1) // 2]
            this, other = pairs[mid]
            delta = max((abs(x - y) for x, y in zip(this["logliks"], other["logliks"],
                                                    strict=True)), default=None)
            same = (statistics.mean(x == y for x, y in zip(this["texts"], other["texts"],
                                                          strict=True))
                    if this["texts"] else None)
            lines.append(
                f"| {regime} | {this['items'] / this['seconds']:.3f} "
                f"| {other['items'] / other['seconds']:.3f} | {ratios[mid]:.2f}x "
                f"| {min(ratios):.2f}–{max(ratios):.2f}x "
                f"| {'–' if delta is None else f'{delta:.2e}'} "
                f"| {'–' if same is None else f'{same:.0%}'} "
                f"| {this['peak_gb']:.2f} / {other['peak_gb']:.2f} GB |")
            text = "\n".join(lines)
            if a.out:
                a.out.write_text(text + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
