"""Typed answer spans in a sentence that the scorer's own parsers recognise: dates, years,
percents, money, durations, counts and other numbers. A span is kept only when the scorer's
type inference reads the span alone as a quantity type and its parsers find exactly the value(s)
that the span holds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.answer_types import AnswerType
from harness.scoring.compare import NUMERIC_TYPES
from harness.scoring.dates import find_dates
from harness.scoring.infer import infer_answer_type
from harness.scoring.normalize import unify
from harness.scoring.numbers import find_numerals
from harness.scoring.quantities import extract_quantities


@dataclass(frozen=True)
class Span:
    """`text` is `sentence[start:end]`, verbatim."""

    start: int
    end: int
    text: str
    answer_type: AnswerType


_PREFIX = re.compile(r"(?:us\s?\$|\$|₩|€|£|¥)\s?$")
_SUFFIX = re.compile(
    r"(?:\s?%|\s?-?\s?percent(?:age points?)?(?![a-z])|\s?per cent(?![a-z])"
    r"|\s?(?:(?:us|u\.s\.)\s)?(?:dollars?|won|yen|euros?|yuan|pounds?)(?![a-z])"
    r"|\s?-?\s?(?:decades?|years?|months?|weeks?|days?|hours?|minutes?)(?![a-z])"
    r"|\s?(?:퍼센트|달러|원|엔|위안|유로|년|개월|주|일|시간|분|명|개|곳|가지|건|대|척|회|배))"
)
_KO_PARTICLE_AFTER = re.compile(r"[가-힣]")


def unified_offsets(text: str) -> tuple[str, list[int]]:
    """The lower-cased `unify`-ed text and, for each of its characters, the index of the
    character of `text` it came from (NFKC can change lengths)."""
    pieces, where = [], []
    for index, char in enumerate(text):
        piece = unify(char).lower()
        pieces.append(piece)
        where.extend([index] * len(piece))
    where.append(len(text))
    return "".join(pieces), where


_SKIP_WORDS = frozenset({"one", "a", "an", "하나", "한"})


def _candidates(low: str) -> list[tuple[int, int, int]]:
    """(start, end with the unit, end of the number alone) of each quantity, dates first."""
    spans: list[tuple[int, int, int]] = []
    for found in find_dates(low):
        spans.append((found.start, found.end, found.end))
    taken = [(a, b) for a, b, _ in spans]
    for numeral in find_numerals(low):
        start, end = numeral.span.start, numeral.span.end
        if any(start < b and a < end for a, b in taken) or low[start:end] in _SKIP_WORDS:
            continue
        prefix = _PREFIX.search(low[max(0, start - 4): start])
        if prefix:
            start -= len(prefix.group(0))
        suffix = _SUFFIX.match(low, end)
        spans.append((start, suffix.end() if suffix else end, end))
    return sorted(spans)


def _clean(text: str) -> str:
    return text.strip(" ,.;:-")


def quantity_spans(sentence: str) -> list[Span]:
    """The quantity answer spans of `sentence`, in order, not overlapping."""
    low, where = unified_offsets(sentence)
    out: list[Span] = []
    for a, with_unit, bare in _candidates(low):
        found = None
        for b in dict.fromkeys((with_unit, bare)):  # "10만 명": the count without its counter
            start, end = where[a], where[b]
            raw = sentence[start:end]
            text = _clean(raw)
            if text and infer_answer_type(text) in NUMERIC_TYPES \
                    and extract_quantities(text).is_pure():
                start += raw.index(text)
                found = (start, start + len(text), text)
                break
        if found is None:
            continue
        start, end, text = found
        kind = infer_answer_type(text)
        if end < len(sentence) and (sentence[end].isalnum() and not
                                    _KO_PARTICLE_AFTER.match(sentence[end])):
            continue  # glued to a word ("4G", "32B" parts): not a clean span
        if start > 0 and sentence[start - 1].isalnum():
            continue
        out.append(Span(start, end, text, kind))
    return out
