"""Cross-check our engine's multiple-choice log-likelihoods against lm-eval's HFLM.

For every item of the choice tasks (mc, mc_open, tf and their _ko versions) of the suite, on a
reference model in float32 on CPU with plain prompts (no chat template):

1. the per-choice log-likelihoods of `HFEngine.loglikelihood` (prefix reuse on) and of lm-eval's
   `HFLM.loglikelihood` on the same (context, continuation) strings agree within the tolerance;
2. acc and acc_norm are identical: ours from `judge_choices`, lm-eval's with the argmax rules
   of its `process_results` (argmax loglik; argmax loglik / characters of the choice), item by
   item and in aggregate;
3. our scores do not depend on the batch size: batch sizes 1, 8 and auto give the same
   log-likelihoods (within the tolerance) and the same predictions.

Prints, per task, items and requests, max |delta loglik| (ours vs lm-eval, and across batch
sizes) and acc/acc_norm of both engines; exits 1 when any check fails.

Usage: python scripts/crosscheck_lmeval.py [--model models/tiny-exaone4-random]
       [--suite tasks/kr-news-2025-07] [--task mc ...] [--limit N] [--tolerance 1e-4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CHOICE_TASKS = ("mc", "mc_open", "tf", "mc_ko", "tf_ko")
BATCH_SIZES: tuple[int | None, ...] = (1, 8, None)  # None: our automatic batch size


@dataclass
class TaskCheck:
    task: str
    items: int
    requests: int
    max_delta: float  # |ours - lm-eval| over all requests
    batch_delta: float  # |batch size b - batch size 1| over all requests and batch sizes
    acc: tuple[float, float]  # (ours, lm-eval)
    acc_norm: tuple[float, float]
    preds_equal: bool  # every item's pred and pred_norm identical between the engines
    batch_preds_equal: bool  # every item's pred and pred_norm identical across batch sizes
    greedy_equal: bool  # is_greedy identical between the engines
    seconds: float = 0.0

    def failures(self, tolerance: float) -> list[str]:
        problems = []
        if self.max_delta > tolerance:
            problems.append(f"max |delta loglik| {self.max_delta:.3g} > {tolerance:g}")
        if self.acc[0] != self.acc[1] or self.acc_norm[0] != self.acc_norm[1]:
            problems.append(f"acc/acc_norm differ: ours {self.acc[0]:.4f}/{self.acc_norm[0]:.4f}"
                            f", lm-eval {self.acc[1]:.4f}/{self.acc_norm[1]:.4f}")
        if not self.preds_equal:
            problems.append("per-item predictions differ between the engines")
        if self.batch_delta > tolerance:
            problems.append(f"batch sizes change logliks by {self.batch_delta:.3g}")
        if not self.batch_preds_equal:
            problems.append("batch sizes change predictions")
        return problems


@dataclass
class Report:
    model: str
    checks: list[TaskCheck] = field(default_factory=list)

    @property
    def max_delta(self) -> float:
        return max((c.max_delta for c in self.checks), default=0.0)

    @property
    def batch_delta(self) -> float:
        return max((c.batch_delta for c in self.checks), default=0.0)

    def failures(self, tolerance: float) -> list[str]:
        return [f"{c.task}: {p}" for c in self.checks for p in c.failures(tolerance)]


def lm_eval_predictions(logliks: Sequence[float], choices: Sequence[str]) -> tuple[int, int]:
    """(pred, pred_norm) as lm-eval's ConfigurableTask.process_results computes them."""
    import numpy as np

    lls = np.asarray(logliks)
    completion_len = np.array([float(len(c)) for c in choices])
    return int(np.argmax(lls)), int(np.argmax(lls / completion_len))


def _our_scores(engine: Any, requests: Sequence[Any]) -> list[Any]:
    return list(engine.loglikelihood(requests))


def check_task(model: Any, tokenizer: Any, info: Any, lm: Any, suite: Any, task_name: str,
               limit: int | None) -> TaskCheck:
    from lm_eval.api.instance import Instance

    from harness.engine.hf import HFEngine
    from harness.engine.types import LoglikResult
    from harness.runs.judging import judge_choices
    from harness.runs.requests import PromptStyle, choice_requests
    from harness.suite.items import build_items

    started = time.perf_counter()
    task = suite.task(task_name)
    items = build_items(suite, task, limit)
    style = PromptStyle(chat=False, thinking=False, system_prompt=None)
    contexts, requests = choice_requests(tokenizer, task, items, style)
    by_batch = {size: _our_scores(HFEngine(model, tokenizer, info, batch_size=size,
                                           prefix_reuse=True), requests)
                for size in BATCH_SIZES}
    ours = by_batch[BATCH_SIZES[0]]
    instances = [Instance("loglikelihood", {}, (r.context, r.continuation), i)
                 for i, r in enumerate(requests)]
    theirs = [LoglikResult(float(ll), bool(greedy), 0)
              for ll, greedy in lm.loglikelihood(instances, disable_tqdm=True)]
    our_samples, _, our_metrics = judge_choices(items, contexts, ours)
    batch_samples = {size: judge_choices(items, contexts, results)[0]
                     for size, results in by_batch.items()}
    lm_preds = []
    cursor = 0
    for item in items:
        lls = [r.logprob for r in theirs[cursor : cursor + len(item.choices)]]
        cursor += len(item.choices)
        lm_preds.append(lm_eval_predictions(lls, item.choices))
    golds = [item.label for item in items]
    n = max(1, len(items))
    ours_preds = [(s.pred, s.pred_norm) for s in our_samples]
    return TaskCheck(
        task=task_name, items=len(items), requests=len(requests),
        max_delta=max((abs(a.logprob - b.logprob) for a, b in zip(ours, theirs, strict=True)),
                      default=0.0),
        batch_delta=max((abs(a.logprob - b.logprob) for results in by_batch.values()
                         for a, b in zip(ours, results, strict=True)), default=0.0),
        acc=(our_metrics["acc"], sum(p == g for (p, _), g in zip(lm_preds, golds,
                                                                 strict=True)) / n),
        acc_norm=(our_metrics["acc_norm"], sum(p == g for (_, p), g in zip(lm_preds, golds,
                                                                           strict=True)) / n),
        preds_equal=ours_preds == lm_preds,
        batch_preds_equal=all([(s.pred, s.pred_norm) for s in samples] == ours_preds
                              for samples in batch_samples.values()),
        greedy_equal=[r.is_greedy for r in ours] == [r.is_greedy for r in theirs],
        seconds=time.perf_counter() - started,
    )


def crosscheck(model_path: Path, suite_path: Path, tasks: Sequence[str] = CHOICE_TASKS,
               limit: int | None = None, lm_batch_size: int = 16,
               log: Any = None) -> Report:
    """Run the checks on `tasks` (first `limit` facts each) of the suite."""
    from lm_eval.models.huggingface import HFLM

    from harness.engine.loading import LoadOptions, load_model
    from harness.suite.loader import load_suite

    suite = load_suite(suite_path)
    model, tokenizer, info = load_model(str(model_path),
                                        LoadOptions(device="cpu", dtype="float32"))
    # lm-eval loads its own copy from the folder: nothing of ours is shared with it
    lm = HFLM(pretrained=str(model_path), dtype="float32", device="cpu",
              batch_size=lm_batch_size)
    report = Report(model=str(model_path))
    for name in tasks:
        check = check_task(model, tokenizer, info, lm, suite, name, limit)
        report.checks.append(check)
        if log:
            log(check)
    return report


def _row(check: TaskCheck) -> str:
    return (f"{check.task:<8} {check.items:>5} {check.requests:>8} {check.max_delta:>12.3e} "
            f"{check.batch_delta:>12.3e} {check.acc[0]:>9.4f} {check.acc[1]:>9.4f} "
            f"{check.acc_norm[0]:>9.4f} {check.acc_norm[1]:>9.4f} "
            f"{'yes' if check.preds_equal else 'NO':>6} {check.seconds:>6.1f}s")


HEADER = (f"{'task':<8} {'items':>5} {'requests':>8} {'max|d| lm':>12} {'max|d| bs':>12} "
          f"{'acc ours':>9} {'acc lm':>9} {'norm ours':>9} {'norm lm':>9} {'preds=':>6}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "tiny-exaone4-random")
    parser.add_argument("--suite", type=Path, default=ROOT / "tasks" / "kr-news-2025-07")
    parser.add_argument("--task", action="append", help="choice task (repeatable); default: "
                        + ", ".join(CHOICE_TASKS))
    parser.add_argument("--limit", type=int, default=None, help="only the first N facts")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--lm-batch-size", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"model {args.model} (float32, cpu, plain prompts), suite {args.suite}")
    sizes = ", ".join(str(b or "auto") for b in BATCH_SIZES)
    print(f"ours: HFEngine prefix reuse, batch sizes {sizes}; lm-eval: HFLM batch size "
          f"{args.lm_batch_size}")
    print(HEADER)
    report = crosscheck(args.model, args.suite, tuple(args.task or CHOICE_TASKS), args.limit,
                        args.lm_batch_size, log=lambda check: print(_row(check), flush=True))
    items = sum(c.items for c in report.checks)
    requests = sum(c.requests for c in report.checks)
    print(f"overall: {items} items, {requests} requests; max |delta loglik| ours vs lm-eval "
          f"{report.max_delta:.3e}, across batch sizes {report.batch_delta:.3e} "
          f"(tolerance {args.tolerance:g})")
    greedy = [c.task for c in report.checks if not c.greedy_equal]
    if greedy:
        print(f"note: is_greedy differs on {', '.join(greedy)} (a near-tie argmax)")
    failures = report.failures(args.tolerance)
    for failure in failures:
        print(f"FAIL {failure}")
    print("crosscheck: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
