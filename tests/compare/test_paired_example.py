"""Hand-checked McNemar and paired-bootstrap numbers through `compare_task`."""

from __future__ import annotations

import datetime as dt

import pytest

from harness.compare.pairing import PairedTask
from harness.compare.stats import compare_task
from harness.results.records import Sample


def _sample(item: str, fact: str, right: bool) -> Sample:
    return Sample(item_id=item, task="closed_qa", regime="qa", fact_id=fact, document="doc",
                  as_of=dt.date(2025, 7, 1), question=f"question {item}?", answer="gold",
                  aliases=[], answer_type="phrase", evidence="quote", prompt="prompt",
                  verdict="correct" if right else "incorrect",
                  raw_output="gold" if right else "wrong")


def _paired(a: list[bool], b: list[bool], facts: list[str]) -> PairedTask:
    return PairedTask("closed_qa", [(_sample(str(i), f, x), _sample(str(i), f, y))
                                    for i, (x, y, f) in enumerate(zip(a, b, facts, strict=True))])


def test_mcnemar_and_difference_by_hand() -> None:
    # 12 items on 12 facts: both right on 3, only A right on 6, only B right on 1, both wrong
    # on 2. McNemar: n = 7 discordant, p = 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8 / 128 = 0.125.
    a = [True] * 3 + [True] * 6 + [False] * 1 + [False] * 2
    b = [True] * 3 + [False] * 6 + [True] * 1 + [False] * 2
    result = compare_task(_paired(a, b, [f"f{i}" for i in range(12)]))
    assert (result.n, result.a_only, result.b_only) == (12, 6, 1)
    assert result.a == pytest.approx(9 / 12) and result.b == pytest.approx(4 / 12)
    assert result.diff == pytest.approx(5 / 12)
    assert result.p_value == pytest.approx(0.125)
    assert result.verdict == "no significant difference"
    assert result.ci_low <= result.diff <= result.ci_high


def test_significant_when_discordance_is_lopsided() -> None:
    # only A right on 10, only B right on 2: p = 2 * (1 + 12 + 66) / 4096 = 158 / 4096.
    a = [True] * 10 + [False] * 2
    b = [False] * 10 + [True] * 2
    result = compare_task(_paired(a, b, [f"f{i}" for i in range(12)]))
    assert result.p_value == pytest.approx(158 / 4096)
    assert result.verdict == "A better"
    flipped = compare_task(_paired(b, a, [f"f{i}" for i in range(12)]))
    assert flipped.verdict == "B better" and flipped.diff == pytest.approx(-result.diff)


def test_constant_difference_has_a_point_interval() -> None:
    result = compare_task(_paired([True] * 6, [False] * 6, ["f1", "f1", "f2", "f2", "f3", "f3"]))
    assert (result.diff, result.ci_low, result.ci_high) == (1.0, 1.0, 1.0)
    assert result.p_value == pytest.approx(2 / 64)


def test_bootstrap_resamples_whole_facts() -> None:
    # Differences [1, 1, 0, 0] on facts [f1, f1, f2, f2]: a cluster resample holds f1 twice,
    # f2 twice or one of each, so every resampled mean, hence each bound, is 0, 0.5 or 1.
    result = compare_task(_paired([True, True, False, False], [False, False, False, False],
                                  ["f1", "f1", "f2", "f2"]))
    assert result.diff == 0.5
    assert result.ci_low in (0.0, 0.5, 1.0) and result.ci_high in (0.0, 0.5, 1.0)
    assert (result.ci_low, result.ci_high) == (0.0, 1.0)
