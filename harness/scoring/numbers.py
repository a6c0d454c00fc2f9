"""Numbers in English and Korean text, as exact `Fraction`s with their spans.

"1.2 billion" = "1.2B" = "1,200,000,000"; "10만" = 100,000; "320억" = 32,000,000,000; "1조 2천억";
"twenty-five" = 25; "one-third" = "1/3" = "3분의 1"; "여섯 개" = 6. Exact values mean near misses
("1.2 million" vs "1.2 billion") never compare equal. Works on lower-cased `unify`-ed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from harness.scoring.numwords import (
    NumberSpan,
    find_english_number_words,
    find_korean_native_numbers,
)
from harness.scoring.spans import Occupancy

_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE_SUFFIX = {"k": 10**3, "m": 10**6, "mn": 10**6, "b": 10**9, "bn": 10**9, "tn": 10**12}
_KO_SMALL = {"십": 10, "백": 100, "천": 1000}
_KO_BIG = {"만": 10**4, "억": 10**8, "조": 10**12}
_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9, "십": 10}

_DIGITS = re.compile(r"(?<![a-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
# Digit runs longer than this are no number a short answer states (a degenerate generation's
# "0000..."): they are skipped, so no `int()` ever sees an unbounded digit string.
MAX_DIGITS = 30
_SCALE = re.compile(
    r"[\s-]?(thousand|million|billion|trillion)(?![a-z])|(k|m|b|\s?mn|\s?bn|\s?tn)(?![a-z])"
)
_KO_GROUP = re.compile(r"\s?(천|백|십)?\s?(조|억|만)?")
_KO_NEXT = re.compile(r"\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_ORDINAL = re.compile(r"(st|nd|rd|th)(?![a-z])")
_KO_FRACTION = re.compile(
    r"(?<!\d)(\d+|[일이삼사오육칠팔구십])\s?분의\s?(\d+|[일이삼사오육칠팔구])"
)
_FRACTION = re.compile(r"(?<![\w./])(\d+)\s?/\s?(\d+)(?![\w/])")


@dataclass(frozen=True)
class Numeral:
    """A number in the text; `plain` = written as bare digits (no separator, decimal or scale),
    the only form that can be a year."""

    span: NumberSpan
    plain: bool


def bounded_int(digits: str) -> int | None:
    """`int(digits)` for at most MAX_DIGITS digits, else None."""
    return int(digits) if len(digits) <= MAX_DIGITS else None


def _literal(int_part: str, dec: str | None) -> Fraction | None:
    """The value of "1,200" / "1.25"; None when either part has more than MAX_DIGITS digits."""
    whole = int_part.replace(",", "")
    if len(whole) > MAX_DIGITS or (dec is not None and len(dec) > MAX_DIGITS + 1):
        return None
    return Fraction(whole + (dec or ""))


def _korean_chain(text: str, first: Fraction, group: re.Match[str]) -> tuple[Fraction, int]:
    """Sum a chain like "1조 2천억" (big units strictly decreasing); returns (value, end)."""
    total, value = Fraction(0), first
    last_big = 10**16
    while True:
        big = _KO_BIG.get(group.group(2) or "", 1)
        total += value * _KO_SMALL.get(group.group(1) or "", 1) * big
        end = group.end()
        if big == 1:
            return total, end
        last_big = big
        nxt = _KO_NEXT.match(text, end)
        following = _KO_GROUP.match(text, nxt.end()) if nxt else None
        if nxt is None or following is None or not (following.group(1) or following.group(2)):
            return total, end
        if _KO_BIG.get(following.group(2) or "", 1) >= last_big:
            return total, end
        literal = _literal(nxt.group(1), nxt.group(2))
        if literal is None:
            return total, end
        value, group = literal, following


def _digit_numerals(text: str) -> list[Numeral]:
    """Digit numbers with scale words/suffixes ("1.2 billion", "32B") and Korean unit chains."""
    out: list[Numeral] = []
    for m in _DIGITS.finditer(text):
        literal = _literal(m.group(1), m.group(2))
        if literal is None:
            continue
        value, end = literal, m.end()
        plain = m.group(2) is None and "," not in m.group(1)
        scale = _SCALE.match(text, end)
        ko = _KO_GROUP.match(text, end)
        if scale:
            word = scale.group(1) or ""
            value *= _SCALE_WORDS.get(word, 0) or _SCALE_SUFFIX[scale.group(2).strip()]
            end, plain = scale.end(), False
        elif ko and (ko.group(1) or ko.group(2)):
            value, end = _korean_chain(text, value, ko)
            plain = False
        elif re.match(r"[a-z]", text[end: end + 1]) and not _ORDINAL.match(text, end):
            continue  # part of a name like "gpt-4o"
        out.append(Numeral(NumberSpan(value, m.start(), end), plain))
    return out


def _sino(text: str) -> int | None:
    return bounded_int(text) if text.isdigit() else _SINO[text]


def _fraction_numerals(text: str) -> list[Numeral]:
    out: list[Numeral] = []
    for m in _KO_FRACTION.finditer(text):
        den, num = _sino(m.group(1)), _sino(m.group(2))
        if den and num is not None:
            out.append(Numeral(NumberSpan(Fraction(num, den), m.start(), m.end(), True), False))
    for m in _FRACTION.finditer(text):
        num, den = bounded_int(m.group(1)), bounded_int(m.group(2))
        if num is not None and den is not None and 0 < num < den:
            out.append(Numeral(NumberSpan(Fraction(num, den), m.start(), m.end(), True), False))
    return out


_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_SINO_SMALL = {"십": 10, "백": 100, "천": 1000}
_SINO_WORD = re.compile(
    r"(?<![가-힣])([일이삼사오육칠팔구십백천만억조]{2,})(?=\s?(?:명|개|곳|원|달러|건|대|가지|종))"
)


def sino_value(word: str) -> int | None:
    """Sino-Korean numerals written in Hangul ("십만" = 100,000, "삼백" = 300), or None when
    `word` is no well-formed numeral or has no place-value unit."""
    total, group, digit = 0, 0, 0
    if not any(ch in _SINO_SMALL or ch in _KO_BIG for ch in word):
        return None
    for ch in word:
        if ch in _SINO_DIGITS:
            if digit:
                return None
            digit = _SINO_DIGITS[ch]
        elif ch in _SINO_SMALL:
            group += (digit or 1) * _SINO_SMALL[ch]
            digit = 0
        else:
            total += ((group + digit) or 1) * _KO_BIG[ch]
            group, digit = 0, 0
    return total + group + digit


def _sino_numerals(text: str) -> list[Numeral]:
    out: list[Numeral] = []
    for m in _SINO_WORD.finditer(text):
        value = sino_value(m.group(1))
        if value is not None:
            out.append(Numeral(NumberSpan(Fraction(value), m.start(), m.end()), False))
    return out


def find_numerals(text: str) -> list[Numeral]:
    """Every number in lower-cased `text`, non-overlapping, in order. Fractions win over digits,
    digits over English words, English words over Korean native and Sino-Korean numerals."""
    candidates = _fraction_numerals(text) + _digit_numerals(text)
    candidates += [Numeral(s, False) for s in find_english_number_words(text)]
    candidates += [Numeral(s, False) for s in find_korean_native_numbers(text)]
    candidates += _sino_numerals(text)
    taken = Occupancy(len(text))
    chosen = [c for c in candidates if taken.claim(c.span.start, c.span.end)]
    return sorted(chosen, key=lambda n: n.span.start)
