"""Metrics and paired statistics, checked against hand-computed values."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from harness.scoring import (
    Judgement,
    Verdict,
    bootstrap_ci,
    choice_metrics,
    generation_summary,
    mcnemar_exact,
    paired_bootstrap_diff,
    strict_exact_match,
    token_f1,
)
from harness.scoring.metrics import bootstrap_means, expected_calibration_error


def test_two_cluster_bootstrap_distribution_by_hand() -> None:
    # Clusters a = [1, 1] and b = [0, 0]: resampling two clusters gives means 1 (aa), 0.5 (ab or
    # ba) and 0 (bb) with probabilities 1/4, 1/2, 1/4.
    values, clusters = [1.0, 1.0, 0.0, 0.0], ["a", "a", "b", "b"]
    means = bootstrap_means(values, clusters, resamples=4000, seed=7)
    counts = Counter(float(m) for m in means)
    assert set(counts) == {0.0, 0.5, 1.0}
    assert counts[0.5] / 4000 == pytest.approx(0.5, abs=0.03)
    assert counts[1.0] / 4000 == pytest.approx(0.25, abs=0.03)
    assert bootstrap_ci(values, clusters, resamples=4000, seed=7) == (0.0, 1.0)


def test_unclustered_bootstrap_resamples_items() -> None:
    means = bootstrap_means([1.0, 1.0, 0.0, 0.0], None, resamples=2000, seed=1)
    assert set(float(m) for m in means) <= {0.0, 0.25, 0.5, 0.75, 1.0}
    assert 0.25 in set(float(m) for m in means)


def test_bootstrap_ci_contains_mean_and_is_deterministic() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0] * 3
    clusters = [f"fact-{i // 3}" for i in range(len(values))]
    mean = sum(values) / len(values)
    low, high = bootstrap_ci(values, clusters, seed=3)
    assert low <= mean <= high
    assert 0.0 <= low < high <= 1.0
    assert bootstrap_ci(values, clusters, seed=3) == (low, high)
    same = bootstrap_means(values, clusters, seed=3)
    assert (same == bootstrap_means(values, clusters, seed=3)).all()
    assert (same != bootstrap_means(values, clusters, seed=4)).any()
    narrow = bootstrap_ci(values, clusters, seed=3, level=0.5)
    assert low <= narrow[0] <= narrow[1] <= high


def test_constant_values_and_empty_input() -> None:
    assert bootstrap_ci([1.0, 1.0, 1.0], ["a", "b", "c"]) == (1.0, 1.0)
    low, high = bootstrap_ci([])
    assert math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, 0.0], ["a"])


def test_mcnemar_exact_by_hand() -> None:
    assert mcnemar_exact(1, 9) == 0.021484375  # 2 * (C(10,0) + C(10,1)) / 2**10 = 22 / 1024
    assert mcnemar_exact(9, 1) == 0.021484375
    assert mcnemar_exact(2, 8) == 0.109375  # 2 * (1 + 10 + 45) / 1024
    assert mcnemar_exact(0, 5) == 0.0625  # 2 / 32
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_paired_bootstrap_diff() -> None:
    a = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    b = [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    diff, low, high = paired_bootstrap_diff(a, b, ["x", "x", "y", "y", "z", "z"], seed=2)
    assert diff == pytest.approx(0.5)
    assert low <= diff <= high
    assert paired_bootstrap_diff(a, b, ["x", "x", "y", "y", "z", "z"], seed=2) == (diff, low, high)
    assert paired_bootstrap_diff(a, a) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap_diff([1.0], [1.0, 0.0])


def test_choice_metrics_by_hand() -> None:
    # Item 1: the raw loglik prefers choice 0, per-character loglik prefers choice 1 (gold).
    # Item 2: both prefer choice 0 (gold).
    result = choice_metrics(
        logliks=[[-2.0, -3.0], [-1.0, -4.0]],
        choice_lengths=[[2, 30], [5, 5]],
        golds=[1, 0],
        clusters=["f1", "f2"],
    )
    p1 = 1 / (1 + math.exp(-1))  # softmax([-2, -3])[0]
    q = 1 / (1 + math.exp(-3))  # softmax([-1, -4])[0]
    assert result["acc"] == 0.5
    assert result["acc_norm"] == 1.0
    assert result["brier"] == pytest.approx((2 * p1**2 + 2 * (1 - q) ** 2) / 2)
    assert result["ece"] == pytest.approx(0.5 * p1 + 0.5 * (1 - q))
    assert result["n"] == 2.0
    assert result["acc_norm_ci_low"] == result["acc_norm_ci_high"] == 1.0
    assert result["acc_ci_low"] <= 0.5 <= result["acc_ci_high"]


def test_choice_metrics_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        choice_metrics([[-1.0, -2.0]], [[1]], [0], ["a"])
    with pytest.raises(ValueError):
        choice_metrics([[-1.0, -2.0]], [[1, 1]], [2], ["a"])
    with pytest.raises(ValueError):
        choice_metrics([[-1.0, -2.0]], [[0, 1]], [0], ["a"])


def test_ece_by_hand() -> None:
    # Bin 9 holds confidences 0.9 and 0.95 with one hit: |0.5 - 0.925| * 2/3; bin 6 holds 0.6 and
    # a hit: |1 - 0.6| * 1/3.
    ece = expected_calibration_error([0.9, 0.95, 0.6], [1.0, 0.0, 1.0])
    assert ece == pytest.approx(2 / 3 * 0.425 + 1 / 3 * 0.4)


def _j(verdict: Verdict, f1: float, em: bool) -> Judgement:
    return Judgement(verdict, "x", "rule", f1, em)


def test_generation_summary() -> None:
    judgements = [
        _j(Verdict.CORRECT, 1.0, True),
        _j(Verdict.INCORRECT, 0.5, False),
        _j(Verdict.NOT_ATTEMPTED, 0.0, False),
        _j(Verdict.CORRECT, 0.5, False),
    ]
    summary = generation_summary(judgements, ["a", "a", "b", "c"])
    assert summary["n"] == 4.0
    assert summary["accuracy"] == 0.5
    assert summary["accuracy_given_attempted"] == pytest.approx(2 / 3)
    assert summary["not_attempted_rate"] == 0.25
    assert summary["f1"] == 0.5
    assert summary["strict_em"] == 0.25
    assert summary["accuracy_ci_low"] <= 0.5 <= summary["accuracy_ci_high"]
    assert summary["f1_ci_low"] <= 0.5 <= summary["f1_ci_high"]
    assert generation_summary(judgements, ["a", "a", "b", "c"]) == summary


def test_generation_summary_empty() -> None:
    summary = generation_summary([], [])
    assert summary["n"] == 0.0 and summary["accuracy"] == 0.0
    assert math.isnan(summary["accuracy_ci_low"])


def test_token_f1_and_strict_em() -> None:
    assert token_f1("Chung Dong-young", ["Chung Dong-young"]) == 1.0
    assert token_f1("the Trade Expansion Act", ["Trade Expansion Act of 1962"]) == pytest.approx(
        2 * 1.0 * 0.6 / 1.6  # precision 3/3, recall 3/5 ("of 1962" missing)
    )
    assert token_f1("정동영은", ["정동영"]) == 1.0
    assert token_f1("Busan", ["Seoul", "서울"]) == 0.0
    assert token_f1("", ["Seoul"]) == 0.0
    assert strict_exact_match("  Seoul ", ["seoul"])
    assert not strict_exact_match("Seoul.", ["Seoul"])
