"""Aggregate metrics with cluster-bootstrap confidence intervals.

Items that share a cluster id (the same fact asked in several ways) are not independent, so the
bootstrap resamples whole clusters with replacement and recomputes the item-weighted mean. The
generator is seeded: the same inputs and seed always give the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from harness.scoring.judge import Judgement, Verdict

FloatArray = npt.NDArray[np.float64]


def _cluster_totals(
    values: Sequence[float], clusters: Sequence[str] | None
) -> tuple[FloatArray, FloatArray]:
    """Per-cluster sums and counts, clusters in order of first appearance."""
    if clusters is None:
        sums = np.asarray(values, dtype=np.float64)
        return sums, np.ones_like(sums)
    if len(clusters) != len(values):
        raise ValueError(f"{len(values)} values but {len(clusters)} cluster ids")
    index: dict[str, int] = {}
    for c in clusters:
        index.setdefault(c, len(index))
    ids = np.fromiter((index[c] for c in clusters), dtype=np.int64, count=len(clusters))
    vals = np.asarray(values, dtype=np.float64)
    sums = np.bincount(ids, weights=vals, minlength=len(index)).astype(np.float64)
    counts = np.bincount(ids, minlength=len(index)).astype(np.float64)
    return sums, counts


def bootstrap_means(
    values: Sequence[float],
    clusters: Sequence[str] | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> FloatArray:
    """The item-weighted mean of each of `resamples` cluster resamples."""
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    sums, counts = _cluster_totals(values, clusters)
    k = len(sums)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, k, size=(resamples, k))
    means: FloatArray = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    return means


def bootstrap_ci(
    values: Sequence[float],
    clusters: Sequence[str] | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile cluster-bootstrap interval for the mean of `values` (NaNs when empty)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if len(values) == 0:
        if clusters is not None and len(clusters) != 0:
            raise ValueError(f"0 values but {len(clusters)} cluster ids")
        return math.nan, math.nan
    means = bootstrap_means(values, clusters, resamples=resamples, seed=seed)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def generation_summary(
    judgements: Sequence[Judgement], clusters: Sequence[str]
) -> dict[str, float]:
    """Accuracy (correct / all), accuracy given attempted, not-attempted rate, mean token F1 and
    strict EM, n, and 95% cluster-bootstrap intervals for accuracy and F1. Rates are 0.0 when
    there is nothing to rate, and the intervals of an empty set are NaN."""
    if len(clusters) != len(judgements):
        raise ValueError(f"{len(judgements)} judgements but {len(clusters)} cluster ids")
    correct = [float(j.verdict is Verdict.CORRECT) for j in judgements]
    attempted = [j for j in judgements if j.verdict is not Verdict.NOT_ATTEMPTED]
    f1 = [j.f1 for j in judgements]
    acc_low, acc_high = bootstrap_ci(correct, clusters)
    f1_low, f1_high = bootstrap_ci(f1, clusters)
    return {
        "n": float(len(judgements)),
        "accuracy": _mean(correct),
        "accuracy_ci_low": acc_low,
        "accuracy_ci_high": acc_high,
        "accuracy_given_attempted": _mean(
            [float(j.verdict is Verdict.CORRECT) for j in attempted]
        ),
        "not_attempted_rate": _mean([float(j.verdict is Verdict.NOT_ATTEMPTED)
                                     for j in judgements]),
        "f1": _mean(f1),
        "f1_ci_low": f1_low,
        "f1_ci_high": f1_high,
        "strict_em": _mean([float(j.strict_em) for j in judgements]),
    }


def _softmax(logliks: Sequence[float]) -> FloatArray:
    x = np.asarray(logliks, dtype=np.float64)
    e = np.exp(x - x.max())
    probs: FloatArray = e / e.sum()
    return probs


def expected_calibration_error(
    confidences: Sequence[float], hits: Sequence[float], bins: int = 10
) -> float:
    """Equal-width-bin ECE: sum over bins of |bin| / n * |accuracy - mean confidence|."""
    if not confidences:
        return 0.0
    conf = np.asarray(confidences, dtype=np.float64)
    hit = np.asarray(hits, dtype=np.float64)
    which = np.minimum((conf * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            gap = abs(float(hit[mask].mean() - conf[mask].mean()))
            total += float(mask.sum()) / len(conf) * gap
    return total


def choice_metrics(
    logliks: Sequence[Sequence[float]],
    choice_lengths: Sequence[Sequence[int]],
    golds: Sequence[int],
    clusters: Sequence[str],
) -> dict[str, float]:
    """Multiple-choice metrics as lm-eval computes them: acc (argmax loglik), acc_norm (argmax
    loglik / choice length in characters), Brier score and 10-bin ECE on the softmax of the
    logliks over the choices, n, and 95% cluster-bootstrap intervals for acc and acc_norm."""
    n = len(logliks)
    if not len(choice_lengths) == len(golds) == len(clusters) == n:
        raise ValueError("logliks, choice_lengths, golds and clusters must have equal lengths")
    acc: list[float] = []
    acc_norm: list[float] = []
    brier: list[float] = []
    confidences: list[float] = []
    for k, (ll, lengths, gold) in enumerate(zip(logliks, choice_lengths, golds, strict=True)):
        if len(ll) == 0 or len(ll) != len(lengths):
            raise ValueError(f"item {k}: {len(ll)} logliks but {len(lengths)} choice lengths")
        if not 0 <= gold < len(ll):
            raise ValueError(f"item {k}: gold index {gold} out of range for {len(ll)} choices")
        if min(lengths) <= 0:
            raise ValueError(f"item {k}: choice lengths must be positive")
        lls = np.asarray(ll, dtype=np.float64)
        acc.append(float(int(np.argmax(lls)) == gold))
        acc_norm.append(float(int(np.argmax(lls / np.asarray(lengths, dtype=np.float64))) == gold))
        probs = _softmax(ll)
        onehot = np.zeros_like(probs)
        onehot[gold] = 1.0
        brier.append(float(((probs - onehot) ** 2).sum()))
        confidences.append(float(probs.max()))
    acc_low, acc_high = bootstrap_ci(acc, clusters)
    norm_low, norm_high = bootstrap_ci(acc_norm, clusters)
    return {
        "n": float(n),
        "acc": _mean(acc),
        "acc_ci_low": acc_low,
        "acc_ci_high": acc_high,
        "acc_norm": _mean(acc_norm),
        "acc_norm_ci_low": norm_low,
        "acc_norm_ci_high": norm_high,
        "brier": _mean(brier),
        "ece": expected_calibration_error(confidences, acc),
    }
