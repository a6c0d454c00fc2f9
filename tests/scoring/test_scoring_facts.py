"""Real-data check on the seed facts: every answer and alias is judged correct against the
fact's gold (also inside chat debris and after a reasoning block), and no distractor is judged
correct, in English and Korean; with the fact's context (question, Hangul answer, as-of date,
excluded answers) the relaxed rules still refuse every distractor romanized, abbreviated and
reordered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.scoring import GoldContext, Verdict, judge
from harness.scoring.acronyms import acronyms, short_names
from harness.scoring.lists import list_members
from harness.scoring.names import hangul_name_parts
from harness.scoring.romanize import syllable_spellings

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


def _context(fact: dict[str, Any], lang: str) -> GoldContext:
    """What a run knows about the fact: question, Hangul answer, as-of date, and the answers
    never to accept (its distractors and the other answers of its document)."""
    ko = "_ko" if lang == "ko" else ""
    others = [f[f"answer{ko}"] for f in FACTS
              if f["document"] == fact["document"] and f["id"] != fact["id"]]
    return GoldContext(question=fact[f"question{ko}"], answer_ko=fact["answer_ko"],
                       as_of=fact["as_of"], excluded=(*fact[f"distractors{ko}"], *others))


def _romanized(name_ko: str) -> list[str]:
    """Latin spellings of a Hangul name: the first, second and last spelling of each syllable
    (sorted), surname first and last."""
    parts = hangul_name_parts([name_ko])
    if not parts:
        return []
    surname, given = parts[0]
    out = []
    def pick(spellings: frozenset[str], k: int) -> str:
        ordered = sorted(spellings)
        return ordered[k % len(ordered)]

    for k in (0, 1, -1):
        sur = pick(syllable_spellings(surname, surname=True), k).title()
        giv = "-".join(pick(syllable_spellings(c), k) for c in given).capitalize()
        out += [f"{sur} {giv}", f"{giv} {sur}"]
    return out


def _variants(distractor: str, distractor_ko: str | None) -> list[str]:
    """The distractor romanized (from its Hangul), abbreviated (acronym, short name) and, for a
    list, reordered."""
    out = [distractor]
    if distractor_ko:
        out += _romanized(distractor_ko)
    out += [a.upper() for a in acronyms(distractor) if len(a) >= 2]
    out += sorted(short_names(distractor))
    members = list_members(distractor)
    if len(members) >= 2:
        out.append(" and ".join(reversed(members)))
        out.append(", ".join(members[1:] + members[:1]))
    return out


@pytest.mark.skipif(not FACTS, reason="no seed facts")
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("fact", FACTS, ids=[f["id"] for f in FACTS])
def test_relaxed_rules_accept_answers_refuse_every_distractor_variant(
    fact: dict[str, Any], lang: str
) -> None:
    answer, aliases, distractors = _golds(fact, lang)
    context = _context(fact, lang)
    for writing in [answer, *aliases]:
        result = judge(writing, answer, aliases, fact["answer_type"], context=context)
        assert result.verdict is Verdict.CORRECT, (writing, result)
    for index, distractor in enumerate(distractors):
        distractor_ko = fact["distractors_ko"][index] if fact.get("distractors_ko") else None
        for variant in _variants(distractor, distractor_ko):
            result = judge(variant, answer, aliases, fact["answer_type"], context=context)
            assert result.verdict is not Verdict.CORRECT, (variant, result)


def test_romanized_distractors_are_generated() -> None:
    spellings = _romanized("윤석열")
    assert "Yun Suk-yul" in spellings and "Suk-yul Yun" in spellings, spellings
    assert _romanized("김대중과 노무현") == []  # a list of names is no one name
