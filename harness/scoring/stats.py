"""Paired tests for comparing two models on the same items."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import comb

import numpy as np

from harness.scoring.metrics import bootstrap_means


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar test: `b` and `c` are the discordant pair counts (items only model
    A got right, items only model B got right); the p-value of a binomial(b + c, 1/2) test,
    computed exactly and capped at 1.0."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(b, c) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def paired_bootstrap_diff(
    a: Sequence[float],
    b: Sequence[float],
    clusters: Sequence[str] | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(mean(a) - mean(b), 95% low, 95% high): a paired cluster bootstrap of per-item
    differences, resampling clusters (e.g. fact ids) with replacement."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} vs {len(b)}")
    if len(a) == 0:
        raise ValueError("paired samples are empty")
    diffs = [float(x) - float(y) for x, y in zip(a, b, strict=True)]
    means = bootstrap_means(diffs, clusters, resamples=resamples, seed=seed)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(np.mean(diffs)), float(low), float(high)
