"""Numbers written as words: English ("twenty-five", "a hundred thousand", "one-third") and
Korean native numerals before a counter ("여섯 개", "스물두 곳", "두 달") or day words ("사흘").
Works on lower-cased `unify`-ed text and returns spans into it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
SCALES: dict[str, int] = {
    "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}
DENOMINATORS: dict[str, int] = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10,
}
_SINGULAR_DENOMINATORS = frozenset({"half", "third", "quarter", "fourth", "fifth", "tenth"})
# Words after which a lone "a"/"an" means one.
A_ONE_BEFORE = frozenset({
    "hundred", "thousand", "million", "billion", "trillion", "year", "month", "week", "day",
    "hour", "minute", "decade", "fortnight",
})

_WORD = re.compile(r"[a-z]+")
# What may follow "a third" for it to be the fraction ("a third of", "a third.", end of text).
_FRACTION_END = re.compile(r"\s*(?:$|of |[.,;)])")


@dataclass(frozen=True)
class NumberSpan:
    value: Fraction
    start: int
    end: int
    fraction: bool = False


def _word_value(words: list[str]) -> Fraction | None:
    """Value of a run of English number words, or None when the run is not a number."""
    total, current = 0, 0
    seen = False
    for w in words:
        if w in ("a", "an"):
            current = max(current, 1)
        elif w == "and":
            continue
        elif w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in SCALES:
            total += max(current, 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = seen or w not in ("a", "an", "and")
    return Fraction(total + current) if seen else None


def _is_number_word(w: str) -> bool:
    return w in UNITS or w in TENS or w in SCALES


def find_english_number_words(text: str) -> list[NumberSpan]:
    """Runs like "twenty-five", "one hundred and five", "a thousand", "a year" (= 1), fractions
    like "one-third", "a third", "two-thirds", "one half"."""
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    out: list[NumberSpan] = []
    i = 0
    while i < len(words):
        w, start, _ = words[i]
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        if (w in ("a", "an", "one") and nxt in _SINGULAR_DENOMINATORS
                and _joined(text, words, i)
                and (w == "one" or _FRACTION_END.match(text, words[i + 1][2]))):
            out.append(NumberSpan(Fraction(1, DENOMINATORS[nxt]), start, words[i + 1][2], True))
            i += 2
            continue
        half_unit = (w == "half" and nxt in ("a", "an") and i + 2 < len(words)
                     and words[i + 2][0] in A_ONE_BEFORE)
        if half_unit and _joined(text, words, i) and _joined(text, words, i + 1):
            out.append(NumberSpan(Fraction(1, 2), start, words[i + 1][2], True))
            i += 2
            continue
        if w in ("a", "an") and nxt in A_ONE_BEFORE and _joined(text, words, i):
            if nxt in SCALES:
                j = i + 1
            else:
                out.append(NumberSpan(Fraction(1), start, words[i][2]))
                i += 1
                continue
        elif _is_number_word(w):
            j = i
        else:
            i += 1
            continue
        k = j
        while k + 1 < len(words) and _joined(text, words, k) and (
            _is_number_word(words[k + 1][0])
            or (words[k + 1][0] == "and" and k + 2 < len(words)
                and _is_number_word(words[k + 2][0]) and words[k][0] in SCALES)
        ):
            k += 1
        run = [x[0] for x in words[i: k + 1]]
        value = _word_value(run)
        end = words[k][2]
        if value is None:
            i += 1
            continue
        den = words[k + 1][0] if k + 1 < len(words) else ""
        plural = den in DENOMINATORS and den.endswith("s")
        if plural and _joined(text, words, k) and 1 < value < 20:
            out.append(NumberSpan(value / DENOMINATORS[den], start, words[k + 1][2], True))
            i = k + 2
            continue
        out.append(NumberSpan(value, start, end))
        i = k + 1
    return out


def _joined(text: str, words: list[tuple[str, int, int]], k: int) -> bool:
    """True if word k and word k+1 are separated only by spaces or a hyphen."""
    if k + 1 >= len(words):
        return False
    gap = text[words[k][2]: words[k + 1][1]]
    return gap.strip() in ("", "-")


_KO_UNITS: dict[str, int] = {
    "하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "석": 3, "넷": 4, "네": 4, "넉": 4,
    "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9,
}
_KO_TENS: dict[str, int] = {
    "열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50, "예순": 60, "일흔": 70,
    "여든": 80, "아흔": 90,
}
KO_COUNTERS = ("명", "개", "곳", "가지", "해", "살", "차례", "번", "달", "주", "시간", "척", "대",
               "권", "건", "개국", "개사", "종", "분")
_KO_DAY_WORDS: dict[str, int] = {
    "하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6, "이레": 7, "여드레": 8,
    "아흐레": 9, "열흘": 10, "보름": 15,
}
# Korean words that are a duration by themselves: (amount, unit).
KO_DURATION_WORDS: dict[str, tuple[Fraction, str]] = {
    **{word: (Fraction(days), "day") for word, days in _KO_DAY_WORDS.items()},
    "반년": (Fraction(1, 2), "year"),
}
_KO_TENS_RE = "|".join(_KO_TENS)
_KO_UNITS_RE = "|".join(sorted(_KO_UNITS, key=len, reverse=True))
_KO_COUNTER_RE = "|".join(sorted(KO_COUNTERS, key=len, reverse=True))
_KO_NATIVE = re.compile(
    rf"(?<![\w])(?P<num>(?:{_KO_TENS_RE})(?:{_KO_UNITS_RE})?|(?:{_KO_UNITS_RE}))"
    rf"(?=\s?(?:{_KO_COUNTER_RE}))"
)


def _ko_native_value(word: str) -> int:
    for tens, tv in _KO_TENS.items():
        if word.startswith(tens):
            rest = word[len(tens):]
            return tv + (_KO_UNITS[rest] if rest else 0)
    return _KO_UNITS[word]


def find_korean_native_numbers(text: str) -> list[NumberSpan]:
    """Native Korean numerals followed by a counter: "여섯 개" -> 6, "스물두 곳" -> 22."""
    return [
        NumberSpan(Fraction(_ko_native_value(m.group("num"))), m.start(), m.end())
        for m in _KO_NATIVE.finditer(text)
    ]
