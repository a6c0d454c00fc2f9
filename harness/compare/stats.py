"""One task of a paired comparison: difference with a paired bootstrap CI, exact McNemar."""

from __future__ import annotations

from dataclasses import dataclass

from harness.compare.pairing import PairedTask
from harness.results.records import Sample
from harness.scoring.stats import mcnemar_exact, paired_bootstrap_diff

ALPHA = 0.05


@dataclass(frozen=True)
class TaskComparison:
    task: str
    n: int
    a: float
    b: float
    diff: float
    ci_low: float
    ci_high: float
    a_only: int  # items only A got right
    b_only: int  # items only B got right
    p_value: float

    @property
    def verdict(self) -> str:
        if self.p_value >= ALPHA or self.a_only == self.b_only:
            return "no significant difference"
        return "A better" if self.a_only > self.b_only else "B better"


def correct(sample: Sample) -> float:
    return float(sample.verdict == "correct")


def compare_task(paired: PairedTask, *, resamples: int = 1000, seed: int = 0) -> TaskComparison:
    """A − B on % correct over the shared items, 95% CI clustered by fact; McNemar p."""
    a = [correct(x) for x, _ in paired.pairs]
    b = [correct(y) for _, y in paired.pairs]
    clusters = [x.fact_id for x, _ in paired.pairs]
    diff, low, high = paired_bootstrap_diff(a, b, clusters, resamples=resamples, seed=seed)
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x > y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y > x)
    n = len(a)
    return TaskComparison(paired.task, n, sum(a) / n, sum(b) / n, diff, low, high, a_only,
                          b_only, mcnemar_exact(a_only, b_only))
