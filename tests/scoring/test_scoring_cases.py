"""The scorer agrees with every hand-labelled case in cases.jsonl (English and Korean)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.answer_types import AnswerType
from harness.scoring import GoldContext, Verdict, judge

CASES_PATH = Path(__file__).with_name("cases.jsonl")
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line
]


def test_case_table_shape() -> None:
    assert len(CASES) >= 220
    keys = {"id", "gold", "aliases", "answer_type", "prediction", "expected", "note"}
    optional = {"question", "answer_ko", "as_of", "exclude"}
    for case in CASES:
        assert keys <= set(case) <= keys | optional, case
        assert case["note"].strip(), case
        assert isinstance(case["aliases"], list)
        AnswerType(case["answer_type"])
        Verdict(case["expected"])
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_case_table_covers_every_type_and_verdict() -> None:
    types = Counter(c["answer_type"] for c in CASES)
    assert set(types) == {t.value for t in AnswerType}
    verdicts = Counter(c["expected"] for c in CASES)
    assert all(verdicts[v.value] >= 20 for v in Verdict)
    hangul = sum(any("\uac00" <= ch <= "\ud7a3" for ch in c["prediction"]) for c in CASES)
    assert hangul >= 60


def _context(case: dict[str, Any]) -> GoldContext:
    return GoldContext(question=case.get("question"), answer_ko=case.get("answer_ko"),
                       as_of=case.get("as_of"), excluded=tuple(case.get("exclude", ())))


def test_every_relaxation_has_accepted_and_refused_cases() -> None:
    """Each named relaxation shows in some case's rule, next to a near miss it refuses."""
    rules = {judge(c["prediction"], c["gold"], c["aliases"], c["answer_type"],
                   context=_context(c)).rule for c in CASES}
    for rule in ("person:romanization", "organization:acronym", "organization:short-name",
                 "law:short-name", "list:unordered", "list:member-mismatch",
                 "organization:spelling-variant", "money:elaboration", "date:elaboration",
                 "date:year-from-question", "date:year-from-as-of", "place:romanization"):
        assert rule in rules, rule


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    result = judge(case["prediction"], case["gold"], case["aliases"], case["answer_type"],
                   context=_context(case))
    assert result.verdict.value == case["expected"], (
        f"{case['note']}: got {result.verdict.value} by rule {result.rule} "
        f"(extracted {result.extracted!r})"
    )
    assert result.rule
