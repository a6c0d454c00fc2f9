"""Build the offline reference models (tiny EXAONE 4 architecture) for demos and tests: a random
model, the memorizer, and the drafter that `harness build --drafter` tests use.

Usage: python scripts/build_reference_models.py [--suite tasks/kr-news-2025-07]
       [--out models] [--steps 600] [--force]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.refmodels.build import build_reference_models
from harness.refmodels.drafter import build_drafter_model
from harness.suite.loader import load_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="tasks/kr-news-2025-07")
    parser.add_argument("--out", default="models")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    suite = load_suite(args.suite)
    build_reference_models(suite, Path(args.out), steps=args.steps, force=args.force)
    build_drafter_model(suite, Path(args.out), force=args.force)  # for harness build --drafter


if __name__ == "__main__":
    main()
