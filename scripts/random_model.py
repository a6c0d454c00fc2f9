"""Save a randomly initialised model of one of the bench's shapes as a model folder, with the
suite's trained tokenizer: something `harness run --model DIR` loads as it loads any model
(speed does not depend on the weights; a random model never stops before its budget).

Usage: python scripts/random_model.py --shape exaone-1.2b --out /tmp/exaone-1.2b-random
       [--dtype bfloat16]   (as EXAONE's own checkpoint is stored; float32 by default)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from harness.bench.run import random_model  # noqa: E402
from harness.refmodels.build import corpus  # noqa: E402
from harness.refmodels.configs import SHAPES  # noqa: E402
from harness.refmodels.tokenizer import train_tokenizer  # noqa: E402
from harness.suite.loader import load_suite  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="exaone-1.2b")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--suite", type=Path, default=ROOT / "tasks" / "kr-news-2025-07")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                        help="the dtype the weights are saved in (EXAONE's own are bfloat16)")
    args = parser.parse_args()
    tokenizer = train_tokenizer(corpus(load_suite(args.suite)))
    model = random_model(args.shape, tokenizer, getattr(torch, args.dtype), "cpu")
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    print(f"saved {args.shape} ({sum(p.numel() for p in model.parameters()) / 1e6:.0f}M "
          f"parameters, {args.dtype}) to {args.out}")


if __name__ == "__main__":
    main()
