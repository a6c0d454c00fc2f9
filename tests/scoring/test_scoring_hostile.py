"""Hostile or degenerate model output is scored in bounded time and never crashes the scorer:
long digit runs (beyond Python's int-string limit), repeated words, every Unicode category,
1 MB strings. The raw output is kept; only the answer part is cut (MAX_ANSWER_CHARS)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.answer_types import AnswerType
from harness.scoring import GoldContext, Verdict, judge, score_predictions_file
from harness.scoring.extract import MAX_ANSWER_CHARS, extract_answer
from harness.scoring.quantities import extract_quantities

TIME_BOUND_S = 2.0
# Every relaxation on: romanization (Hangul answer), year from the question, excluded answers.
CONTEXT = GoldContext(question="In July 2025, who?", answer_ko="여한구", as_of="2025-07-15",
                      excluded=("Yeo Han-kyu", "Center for Strategic and International Studies"))
GOLDS = [("25 percent", AnswerType.PERCENT), ("Aug. 1", AnswerType.DATE),
         ("32 billion", AnswerType.NUMBER), ("Yeo Han-koo", AnswerType.PERSON),
         ("steel and aluminum", AnswerType.PHRASE), ("Section 232", AnswerType.LAW),
         ("yes", AnswerType.YES_NO), ("$350 billion", AnswerType.MONEY),
         ("Korea Economic Institute of America", AnswerType.ORGANIZATION)]
PIECES = ["9", "1,000,", "0.", "12 ", "Kim ", "a third ", "Mr. ", "**", "25% or ", "서울 ",
          "320억 ", "<think>", "</think>", "\n", "Aug. 1, ", "-", "and ", "\u200b", "😀"]


def _timed_judge(prediction: str, gold: str, kind: AnswerType) -> float:
    start = time.perf_counter()
    result = judge(prediction, gold, [], kind, first_line=False, context=CONTEXT)
    elapsed = time.perf_counter() - start
    assert result.verdict in set(Verdict)
    return elapsed


def test_5000_digit_run_scores_not_crashes() -> None:
    for gold, kind in GOLDS:
        assert _timed_judge("1" * 5000, gold, kind) < TIME_BOUND_S
    assert judge("25" + "0" * 5000 + "%", "25 percent").verdict is Verdict.INCORRECT
    assert judge("0." + "3" * 5000, "one-third", [], "percent").verdict is Verdict.INCORRECT


def test_long_digit_runs_are_not_numbers() -> None:
    q = extract_quantities("1" * 31 + " and 3/" + "7" * 5000 + " and 25%")
    assert list(q.numbers) == [3] and list(q.percents) == [25]


def test_long_numeric_text_is_linear() -> None:
    """100k tokens of numeric text (cut before extraction) take about as long as 1k."""
    small = " ".join(["12 and 3% on Aug. 1"] * 250)
    large = " ".join(["12 and 3% on Aug. 1"] * 25_000)
    t_small = _timed_judge(small, "25 percent", AnswerType.PERCENT)
    t_large = _timed_judge(large, "25 percent", AnswerType.PERCENT)
    assert t_large < TIME_BOUND_S and t_large < 20 * t_small + 0.5


def test_quantities_scale_linearly() -> None:
    text = " ".join(["12 and 3% and Aug. 1 and a third"] * 1000)
    start = time.perf_counter()
    extract_quantities(text)
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    extract_quantities(text * 8)
    assert time.perf_counter() - start < 8 * 4 * t_small + 0.5


def test_answer_cut_recorded_and_raw_kept(tmp_path: Path) -> None:
    raw = "25%" + " filler" * 200_000
    extraction = extract_answer(raw, first_line=False)
    assert "cut-long" in extraction.rule and len(extraction.text) <= MAX_ANSWER_CHARS
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps({"prediction": raw, "answer": "25 percent"}) + "\n")
    row = score_predictions_file(path).rows[0]
    assert row["prediction"] == raw


def test_one_megabyte_outputs() -> None:
    for k, piece in enumerate(PIECES):
        prediction = piece * (1_000_000 // len(piece))
        for gold, kind in (GOLDS[k % len(GOLDS)], GOLDS[(k + 4) % len(GOLDS)]):
            assert _timed_judge(prediction, gold, kind) < TIME_BOUND_S, (piece, gold)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=0, max_size=3000), index=st.integers(0, len(GOLDS) - 1))
def test_random_unicode_predictions(text: str, index: int) -> None:
    gold, kind = GOLDS[index]
    assert _timed_judge(text, gold, kind) < TIME_BOUND_S


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(PIECES), min_size=1, max_size=8),
       repeat=st.integers(1, 20_000), index=st.integers(0, len(GOLDS) - 1))
def test_adversarial_repetitions(parts: list[str], repeat: int, index: int) -> None:
    gold, kind = GOLDS[index]
    assert _timed_judge("".join(parts) * repeat, gold, kind) < TIME_BOUND_S
