"""Type-aware comparison of an extracted answer with the gold answer and its aliases.

Numeric types (number, percent, money, duration, year, date) compare values: CORRECT when the
values the prediction states are exactly the values of some gold writing ("2004 and 2005" needs
both), INCORRECT on a near miss ("value-mismatch"), on a gold value stated next to a different one
("contradiction": "25% or 15%") or on a partial answer ("missing-value"). Other types compare
tokens (see `textmatch`, `names`, `yesno`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from harness.answer_types import AnswerType
from harness.scoring.acronyms import match_acronym, match_short_name
from harness.scoring.context import NO_CONTEXT, GoldContext
from harness.scoring.dates import DateValue
from harness.scoring.elaborate import answer_without_elaborations
from harness.scoring.infer import infer_answer_type
from harness.scoring.lists import compare_lists, list_members
from harness.scoring.names import match_person
from harness.scoring.normalize import has_hangul, tokens, unify
from harness.scoring.quantities import Duration, Money, Quantities, extract_quantities
from harness.scoring.romanize import PLACE_SUFFIXES, fold_latin, romanizes_place
from harness.scoring.textmatch import answer_tokens, match_text, match_tokens
from harness.scoring.variants import canonical_tokens
from harness.scoring.yesno import match_yes_no

NUMERIC_TYPES = frozenset({
    AnswerType.NUMBER, AnswerType.PERCENT, AnswerType.MONEY, AnswerType.DURATION,
    AnswerType.YEAR, AnswerType.DATE,
})
# Failure rules from most to least informative, to report the best one over all gold writings.
_FAILURE_ORDER = ("contradiction", "negated", "missing-value", "value-mismatch", "name-mismatch",
                  "no-value", "no-polarity", "no-name", "no-match")


_LAW_YEAR_PATTERNS = (
    re.compile(r"\s+of\s+[12]\d{3}\s*$", re.IGNORECASE),
    re.compile(r"^\s*[12]\d{3}\s*년?\s+"),
    re.compile(r"^\s*(?:the\s+)?[12]\d{3}\s+", re.IGNORECASE),
)
_SECTION_EN = re.compile(r"(?:section|sec\.?|article|art\.?|§)\s*(\d+)", re.IGNORECASE)
_SECTION_KO = re.compile(r"(?:제\s*)?(?<!\d)(\d+)\s*조(?!원)")
_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")


@dataclass(frozen=True)
class Comparison:
    correct: bool
    rule: str


def _items(q: Quantities, answer_type: AnswerType) -> list[Any]:
    if answer_type is AnswerType.PERCENT:
        return list(q.percents)
    if answer_type is AnswerType.MONEY:
        return list(q.money)
    if answer_type is AnswerType.DURATION:
        return list(q.durations)
    if answer_type is AnswerType.YEAR:
        return list(q.years)
    if answer_type is AnswerType.DATE:
        return list(q.dates)
    return list(q.numbers) or [Fraction(y) for y in q.years]


def _bare(q: Quantities, answer_type: AnswerType) -> list[Any]:
    """Plain numbers standing in for a percent/money/duration whose unit the answer left out."""
    if answer_type is AnswerType.PERCENT:
        return list(q.numbers)
    if answer_type is AnswerType.MONEY:
        return [Money(n, None) for n in q.numbers]
    if answer_type is AnswerType.DURATION:
        return [Duration(n, "") for n in q.numbers]
    return []


def _equal_fn(answer_type: AnswerType, golds: Sequence[Quantities],
              years: frozenset[int] = frozenset()) -> Callable[[Any, Any], bool]:
    """Value equality for `answer_type`; a date without its year equals a gold date whose year
    is in `years` (the years the question states, or the as-of year)."""
    if answer_type is AnswerType.MONEY:
        def money_eq(p: Money, g: Money) -> bool:
            same_currency = p.currency is None or g.currency is None or p.currency == g.currency
            return p.value == g.value and same_currency
        return money_eq
    if answer_type is AnswerType.DURATION:
        def duration_eq(p: Duration, g: Duration) -> bool:
            return p.value == g.value if p.unit == "" else p.base == g.base
        return duration_eq
    if answer_type is AnswerType.DATE:
        known = {(d.month, d.day, d.year) for q in golds for d in q.dates if d.year is not None}

        def date_eq(p: DateValue, g: DateValue) -> bool:
            if p.month != g.month or (g.day is not None and p.day != g.day):
                return False
            if g.year is not None:
                return p.year == g.year or (p.year is None and g.year in years)
            known_years = {y for (m, d, y) in known if m == g.month and d == g.day}
            return p.year is None or not known_years or p.year in known_years
        return date_eq
    return lambda p, g: bool(p == g)


def _match_values(pred: list[Any], gold: list[Any], eq: Callable[[Any, Any], bool]) -> str:
    matched = [g for g in gold if any(eq(p, g) for p in pred)]
    stray = [p for p in pred if not any(eq(p, g) for g in gold)]
    if stray:
        return "contradiction" if matched else "value-mismatch"
    if len(matched) < len(gold):
        return "missing-value"
    return "value-match"


def _compare_numeric(pred: str, golds: Sequence[str], answer_type: AnswerType,
                     years: frozenset[int] = frozenset()) -> Comparison:
    """Value comparison against each gold writing; a writing that holds no value of
    `answer_type` is compared as the type it looks like ("one-third" for a percent fact), and
    one that holds no value at all as text ("Wednesday last week" for a date)."""
    pq = extract_quantities(pred)
    gqs = [extract_quantities(g) for g in golds]
    failures: list[str] = []
    for gold, gq in zip(golds, gqs, strict=True):
        kind = answer_type
        if not _items(gq, kind):
            inferred = infer_answer_type(gold)
            kind = inferred if inferred in NUMERIC_TYPES else kind
        gold_items = _items(gq, kind)
        if not gold_items:
            text = match_text(pred, [gold])
            if text.correct:
                return Comparison(True, f"text-{text.rule}")
            failures.append(text.rule)
            continue
        pred_items, how = _items(pq, kind), ""
        if not pred_items:
            pred_items, how = _bare(pq, kind), "bare-number-"
        if not pred_items:
            failures.append("no-value")
            continue
        outcome = _match_values(pred_items, gold_items, _equal_fn(kind, gqs, years))
        if outcome == "value-match":
            return Comparison(True, how + outcome)
        failures.append(outcome)
    return Comparison(False, _best_failure(failures))


def _best_failure(failures: Sequence[str]) -> str:
    for rule in _FAILURE_ORDER:
        if rule in failures:
            return rule
    return failures[0] if failures else "no-match"


def _law_variants(gold: str) -> list[str]:
    """A statute may be named without its year: "Trade Expansion Act of 1962" -> "... Act"."""
    out = [gold]
    for pattern in _LAW_YEAR_PATTERNS:
        stripped = pattern.sub("", gold).strip()
        if stripped and stripped != gold and any(c.isalpha() for c in stripped):
            out.append(stripped)
    return out


def _law_numbers(text: str) -> tuple[set[str], set[str]]:
    """Section/article numbers and years named in a statute reference."""
    sections = set(_SECTION_EN.findall(text)) | set(_SECTION_KO.findall(text))
    return sections, set(_YEAR.findall(text))


def _compare_law(pred: str, golds: Sequence[str]) -> Comparison:
    gold_sections: set[str] = set()
    gold_years: set[str] = set()
    for g in golds:
        s, y = _law_numbers(g)
        gold_sections |= s
        gold_years |= y
    sections, years = _law_numbers(pred)
    conflict = bool(gold_sections and sections - gold_sections) or bool(
        gold_years and years - gold_years
    )
    variants = [v for g in golds for v in _law_variants(g)]
    result = match_text(pred, variants)
    if conflict:
        return Comparison(False, "contradiction" if result.correct else "value-mismatch")
    return Comparison(result.correct, result.rule)


def _compare_numeric_relaxed(pred: str, golds: Sequence[str], answer_type: AnswerType,
                             context: GoldContext) -> Comparison:
    """The value comparison, then its relaxations: a date without the year the question fixes
    ("year-from-question", or "year-from-as-of"), and values attached to another subject
    ("elaboration": "25% (up from 10%)")."""
    strict = _compare_numeric(pred, golds, answer_type)
    if strict.correct:
        return strict
    question_years = frozenset(context.question_years())
    as_of = context.as_of_year
    years = question_years | ({as_of} if as_of is not None else set())
    if answer_type is AnswerType.DATE and years:
        by_year = _compare_numeric(pred, golds, answer_type, years)
        if by_year.correct:
            if _compare_numeric(pred, golds, answer_type, question_years).correct:
                return Comparison(True, "year-from-question")
            return Comparison(True, "year-from-as-of")
    if strict.rule == "contradiction" and (head := answer_without_elaborations(pred)):
        again = _compare_numeric(head, golds, answer_type, years)
        if again.correct:
            return Comparison(True, "elaboration")
    return strict


def _same_text(pred: str, gold: str) -> bool:
    if match_text(pred, [gold]).correct:
        return True
    canonical = canonical_tokens(answer_tokens(pred))
    return match_tokens(canonical, [canonical_tokens(tokens(gold))]).correct


def _list_verdict(pred: str, golds: Sequence[str],
                  same: Callable[[str, str], bool]) -> Comparison | None:
    """"list:unordered" when some gold list has the prediction's members in any order,
    "list:member-mismatch" when the prediction is a list that matches no gold list."""
    verdicts = [compare_lists(pred, g, same) for g in golds]
    if any(v is True for v in verdicts):
        return Comparison(True, "list:unordered")
    if any(v is False for v in verdicts):
        return Comparison(False, "list:member-mismatch")
    return None


def _compare_text(pred: str, golds: Sequence[str], answer_type: AnswerType,
                  context: GoldContext) -> Comparison:
    result = match_text(pred, golds)
    if result.rule == "exact":
        return Comparison(True, result.rule)
    # Names of organizations and laws may hold "and" ("Ministry of Science and ICT"): no lists.
    if answer_type not in (AnswerType.ORGANIZATION, AnswerType.LAW):
        listed = _list_verdict(pred, golds, _same_text)
        if listed is not None:
            return listed
    if not result.correct and answer_type is AnswerType.PHRASE:
        pure = [g for g in golds if extract_quantities(g).is_pure()]
        pure_type = infer_answer_type(pure[0]) if pure else AnswerType.PHRASE
        if pure_type in NUMERIC_TYPES:
            numeric = _compare_numeric(pred, pure, pure_type)
            if numeric.correct:
                return Comparison(True, f"{pure_type.value}-{numeric.rule}")
    if result.correct:
        return Comparison(True, result.rule)
    canonical = match_tokens(canonical_tokens(answer_tokens(pred)),
                             [canonical_tokens(tokens(g)) for g in golds])
    if canonical.correct:
        return Comparison(True, "spelling-variant")
    if answer_type is AnswerType.PLACE and _romanized_place(pred, golds, context):
        return Comparison(True, "romanization")
    if answer_type in (AnswerType.ORGANIZATION, AnswerType.LAW, AnswerType.PLACE):
        if match_acronym(pred, golds, context.excluded):
            return Comparison(True, "acronym")
        if match_short_name(pred, golds, context.excluded):
            return Comparison(True, "short-name")
    return Comparison(False, result.rule)


def _romanized_place(pred: str, golds: Sequence[str], context: GoldContext) -> bool:
    """"Jeju Island" / "Jeju-do" / "Jeju" for 제주도 (the gold, or the fact's Hangul answer)."""
    hangul = [g for g in [*golds, context.answer_ko or ""] if g and has_hangul(g)]
    words = [fold_latin(w) for w in unify(pred).split()]
    words = [w for w in words if w and w not in ("the", "of")]
    latin_golds = [[fold_latin(w) for w in unify(g).split()] for g in golds if not has_hangul(g)]
    candidates = [h.replace(" ", "") for h in hangul]
    if any(romanizes_place(words, h) for h in candidates):
        return True
    # Latin gold "Jeju-do" vs "Jeju Island" or "Jeju": the suffix words stand for one another.
    for gold in golds:
        stem, dash, suffix = unify(gold).strip().rpartition("-")
        if dash and any(suffix.lower() == s[0] for s in PLACE_SUFFIXES.values()) and (
                fold_latin(stem) == "".join(words)):
            return True
    for gold_words in latin_golds:
        for suffixes in PLACE_SUFFIXES.values():
            if (len(words) >= 2 and words[-1] in suffixes and gold_words
                    and gold_words[-1].endswith(suffixes[0])
                    and "".join(words[:-1]) + suffixes[0] == "".join(gold_words)):
                return True
    return False


def _compare_person(pred: str, golds: Sequence[str], context: GoldContext) -> Comparison:
    hangul = [context.answer_ko] if context.answer_ko else []
    members_ko = [m for h in hangul for m in list_members(h)] if hangul else []

    def same(p: str, g: str) -> bool:
        own = [h for h in members_ko if match_person(g, [h]).correct]
        return match_person(p, [g], own).correct

    if any(len(list_members(g)) >= 2 for g in golds):
        listed = _list_verdict(pred, golds, same)
        if listed is not None:
            return listed
    result = match_person(pred, golds, hangul)
    return Comparison(result.correct, result.rule)


def compare(pred: str, golds: Sequence[str], answer_type: AnswerType,
            context: GoldContext = NO_CONTEXT) -> Comparison:
    """Compare extracted answer `pred` with the gold writings `golds` as `answer_type`; a rule
    with its own prefix ("list:unordered") names a rule shared by several answer types."""
    if answer_type in NUMERIC_TYPES:
        return _compare_numeric_relaxed(pred, golds, answer_type, context)
    if answer_type is AnswerType.PERSON:
        return _compare_person(pred, golds, context)
    if answer_type is AnswerType.YES_NO:
        result = match_yes_no(pred, golds)
        return Comparison(result.correct, result.rule)
    if answer_type is AnswerType.LAW:
        law = _compare_law(pred, golds)
        if law.correct or law.rule in ("contradiction", "value-mismatch"):
            return law
    return _compare_text(pred, golds, answer_type, context)
