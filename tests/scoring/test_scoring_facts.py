"""Real-data check on the seed facts: every answer and alias is judged correct against the
fact's gold (also inside chat debris and after a reasoning block), and no distractor is judged
correct, in English and Korean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.scoring import Verdict, judge

FACTS_DIR = Path(__file__).resolve().parents[2] / "tasks" / "kr-news-2025-07" / "facts"


def _facts() -> list[dict[str, Any]]:
    facts = []
    for path in sorted(FACTS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                facts.append(json.loads(line))
    return facts


FACTS = _facts()
WRAPS = {
    "en": ("{}", "The answer is {}.", "**{}**", "Answer: {}\n\nExplanation: see the article.",
           "<think>hmm</think>\n{}"),
    "ko": ("{}", "{}입니다.", "정답: {}", "{}[|endofturn|]", "생각 중</think>\n\n{}"),
}


def _golds(fact: dict[str, Any], lang: str) -> tuple[str, list[str], list[str]]:
    if lang == "en":
        return fact["answer"], fact["aliases"], fact["distractors"]
    return fact["answer_ko"], fact["aliases_ko"], fact["distractors_ko"]


@pytest.mark.skipif(not FACTS, reason="no seed facts")
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("fact", FACTS, ids=[f["id"] for f in FACTS])
def test_fact_answers_and_distractors(fact: dict[str, Any], lang: str) -> None:
    answer, aliases, distractors = _golds(fact, lang)
    for writing in [answer, *aliases]:
        for wrap in WRAPS[lang]:
            result = judge(wrap.format(writing), answer, aliases, fact["answer_type"])
            assert result.verdict is Verdict.CORRECT, (wrap.format(writing), result)
    for distractor in distractors:
        for wrap in WRAPS[lang]:
            result = judge(wrap.format(distractor), answer, aliases, fact["answer_type"])
            assert result.verdict is not Verdict.CORRECT, (wrap.format(distractor), result)
