"""Number, percent, money, date, year and duration parsing; answer-type inference."""

from __future__ import annotations

from fractions import Fraction

import pytest

from harness.answer_types import AnswerType
from harness.scoring import infer_answer_type
from harness.scoring.dates import DateValue
from harness.scoring.quantities import Duration, Money, extract_quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.2 billion", 1_200_000_000), ("1.2B", 1_200_000_000), ("1,200,000,000", 1_200_000_000),
        ("twenty-five", 25), ("a hundred thousand", 100_000), ("10만", 100_000),
        ("320억", 32_000_000_000), ("1조", 10**12), ("1조 2천억", 1_200_000_000_000),
        ("스물두 곳", 22), ("여섯 개", 6), ("십만 명", 100_000), ("12억", 1_200_000_000),
    ],
)
def test_numbers(text: str, value: int) -> None:
    assert extract_quantities(text).numbers == (Fraction(value),)


@pytest.mark.parametrize("text", ["one-third", "a third", "1/3", "3분의 1", "삼분의 일"])
def test_fractions(text: str) -> None:
    assert extract_quantities(text).numbers == (Fraction(1, 3),)


@pytest.mark.parametrize(
    "text", ["25%", "25 percent", "25 per cent", "25퍼센트", "25 프로", "twenty-five percent"]
)
def test_percents(text: str) -> None:
    assert extract_quantities(text).percents == (Fraction(25),)


@pytest.mark.parametrize("text", ["$350 billion", "350 billion dollars", "3500억 달러"])
def test_money(text: str) -> None:
    assert extract_quantities(text).money == (Money(Fraction(350 * 10**9), "USD"),)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Aug. 1", DateValue(8, 1)), ("August 1", DateValue(8, 1)), ("1 August", DateValue(8, 1)),
        ("Aug 1st", DateValue(8, 1)), ("8월 1일", DateValue(8, 1)),
        ("Aug. 15, 2024", DateValue(8, 15, 2024)), ("2024년 8월 15일", DateValue(8, 15, 2024)),
        ("2024-08-15", DateValue(8, 15, 2024)), ("June 2018", DateValue(6, None, 2018)),
    ],
)
def test_dates(text: str, date: DateValue) -> None:
    assert extract_quantities(text).dates == (date,)


def test_years_and_durations() -> None:
    assert extract_quantities("2027년").years == (2027,)
    assert extract_quantities("2004-05").years == (2004, 2005)
    assert extract_quantities("5년").durations == (Duration(Fraction(5), "year"),)
    assert extract_quantities("up to five years").durations[0].base == ("month", Fraction(60))
    assert extract_quantities("a fortnight").durations[0].base == ("day", Fraction(14))
    assert extract_quantities("3 or 5 years").durations[0] == Duration(Fraction(3), "year")


def test_model_names_are_not_numbers() -> None:
    assert extract_quantities("GPT-4o mini").is_empty()


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("25 percent", AnswerType.PERCENT), ("Aug. 1", AnswerType.DATE),
        ("2027", AnswerType.YEAR), ("up to five years", AnswerType.DURATION),
        ("nearly 100,000", AnswerType.NUMBER), ("$350 billion", AnswerType.MONEY),
        ("Chung Dong-young", AnswerType.PERSON), ("정동영", AnswerType.PERSON),
        ("Section 232", AnswerType.LAW), ("Trade Expansion Act of 1962", AnswerType.LAW),
        ("Seoul", AnswerType.PLACE), ("Korea Economic Institute of America",
                                      AnswerType.ORGANIZATION),
        ("yes", AnswerType.YES_NO), ("아니요", AnswerType.YES_NO),
        ("ships and chips", AnswerType.PHRASE),
    ],
)
def test_infer_answer_type(answer: str, kind: AnswerType) -> None:
    assert infer_answer_type(answer) is kind
