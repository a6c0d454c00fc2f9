"""Answer extraction: reasoning, debris, first line / sentence, refusals."""

from __future__ import annotations

import pytest

from harness.scoring import Extraction, extract_answer


@pytest.mark.parametrize(
    ("raw", "text", "rule_part"),
    [
        ("<think>a</think>\n25%", "25%", "think-closed"),
        ("thinking without an opening tag</think> Aug. 1", "Aug. 1", "think-closed"),
        ("<think>x</think>y</think> Seoul", "Seoul", "think-closed"),
        ("Answer: 25%", "25%", "stripped-prefix"),
        ("정답: 8월 1일", "8월 1일", "stripped-prefix"),
        ("**Seoul**", "Seoul", "stripped-markdown"),
        ("_Seoul_", "Seoul", "stripped-markdown"),
        ("'Seoul'", "Seoul", "stripped-quotes"),
        ("Seoul.", "Seoul", "stripped-period"),
        ("서울[|endofturn|]", "서울", "cut-end-of-turn"),
        ("Seoul\nBusan", "Seoul", "first-line"),
        ("Aug. 1. More text.", "Aug. 1", "first-sentence"),
        ("정동영입니다", "정동영", "stripped-copula"),
        ("I think it's Aug. 1", "Aug. 1", "hedged"),
        ("Seoul", "Seoul", "verbatim"),
    ],
)
def test_extraction_rules(raw: str, text: str, rule_part: str) -> None:
    result = extract_answer(raw)
    assert result.attempted
    assert result.text == text
    assert rule_part in result.rule.split("+")


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("<think>still thinking about 25%", "think-unterminated"),
        ("", "empty"),
        ("<think>x</think>", "empty"),
        ("I don't know", "refusal"),
        ("모르겠습니다", "refusal"),
        ("The answer cannot be determined.", "refusal"),
    ],
)
def test_not_attempted(raw: str, rule: str) -> None:
    assert extract_answer(raw) == Extraction("", False, rule) or (
        not extract_answer(raw).attempted and extract_answer(raw).rule == rule
    )


def test_periods_that_are_not_sentence_ends() -> None:
    assert extract_answer("1.2 billion. The other is 32 billion.").text == "1.2 billion"
    assert extract_answer("Aug. 15, 2024. It was Liberation Day.").text == "Aug. 15, 2024"
    assert extract_answer("U.S. Trade Representative. He said.").text == "U.S. Trade Representative"


def test_first_line_false_keeps_all_lines() -> None:
    result = extract_answer("Seoul\nand Busan.", first_line=False)
    assert result.text == "Seoul and Busan"
    assert "first-line" not in result.rule


def test_deterministic() -> None:
    raw = "<think>x</think>\n**Answer:** 25%."
    assert extract_answer(raw) == extract_answer(raw)
