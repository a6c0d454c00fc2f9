"""Entity and phrase matching on normalized tokens.

A gold phrase matches a run of prediction tokens whose concatenation equals the gold's (so Korean
spacing "비관세 장벽" = "비관세장벽" and "Dong Young" = "Dong-young"), optionally followed by Korean
particles ("정동영은", "상법을"). A longer answer containing the gold is accepted unless the gold is
negated ("not Seoul", "정동영이 아니라") or offered next to another answer ("Seoul or Busan").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.lexicon import (
    ALTERNATIVE_WORDS,
    FILLER_WORDS,
    KO_NEGATION_PREFIXES,
    NEGATIONS,
)
from harness.scoring.normalize import split_korean_suffix, tokens
from harness.scoring.quantities import extract_quantities

_SLASH = re.compile(r"(?<=\D)/|/(?=\D)")


@dataclass(frozen=True)
class TextResult:
    correct: bool
    rule: str


def answer_tokens(text: str) -> list[str]:
    """Normalized tokens of a prediction; a slash between words reads as "or"."""
    return tokens(_SLASH.sub(" or ", text))


def find_phrase(pred: Sequence[str], gold: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans [i, j) of `pred` that spell `gold` (Korean particles allowed at the end)."""
    target = "".join(gold)
    if not target:
        return []
    spans: list[tuple[int, int]] = []
    for i in range(len(pred)):
        joined = ""
        for j in range(i, len(pred)):
            joined += pred[j]
            if joined == target or split_korean_suffix(joined, target):
                spans.append((i, j + 1))
                break
            if not target.startswith(joined):
                break
    return spans


def contains(pred: Sequence[str], golds: Sequence[Sequence[str]]) -> bool:
    return any(find_phrase(pred, g) for g in golds if g)


def is_negated(pred: Sequence[str], span: tuple[int, int]) -> bool:
    """"not Seoul", "정동영이 아니라": a negation right before or (Korean) right after."""
    i, j = span
    before = pred[i - 1] if i > 0 else ""
    after = pred[j] if j < len(pred) else ""
    return before in NEGATIONS or after.startswith(KO_NEGATION_PREFIXES)


def offers_alternative(
    pred: Sequence[str], span: tuple[int, int], golds: Sequence[Sequence[str]]
) -> bool:
    """True if, outside `span`, an "or"-type connective offers content that is not a gold."""
    i, j = span
    outside = [*pred[:i], "\0", *pred[j:]]
    if not any(t in ALTERNATIVE_WORDS for t in outside):
        return False
    parts: list[list[str]] = [[]]
    for t in outside:
        if t in ALTERNATIVE_WORDS or t == "\0":
            parts.append([])
        else:
            parts[-1].append(t)
    for part in parts:
        content = [t for t in part if t not in FILLER_WORDS]
        if content and not contains(part, golds):
            return True
    return False


def match_tokens(pred: list[str], golds: Sequence[list[str]]) -> TextResult:
    failure = "no-match"
    for gold in golds:
        for span in find_phrase(pred, gold):
            if is_negated(pred, span):
                failure = "negated"
            elif offers_alternative(pred, span, golds):
                failure = "contradiction"
            else:
                return TextResult(True, "exact" if span == (0, len(pred)) else "contains")
    return TextResult(False, failure)


def match_text(pred_text: str, golds: Sequence[str]) -> TextResult:
    """Correct if some gold phrase is in the prediction, not negated, and no alternative answer
    is offered next to it. Quantities inside phrases compare by value ("more than 50%" =
    "more than 50 percent") when the plain comparison fails."""
    result = match_tokens(answer_tokens(pred_text), [tokens(g) for g in golds])
    if result.correct:
        return result
    canonical_golds = [extract_quantities(g) for g in golds]
    if all(q.is_empty() for q in canonical_golds):
        return result
    pred = answer_tokens(extract_quantities(pred_text).canonical)
    by_value = match_tokens(pred, [tokens(q.canonical) for q in canonical_golds])
    return TextResult(True, f"value-{by_value.rule}") if by_value.correct else result
