"""Calendar dates in English and Korean: "Aug. 1", "August 1st", "1 August", "Aug. 15, 2024",
"2024-08-15", "8월 1일", "2024년 8월 15일", "8·15". Works on lower-cased `unify`-ed text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.scoring.spans import Occupancy

MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}

_ORDINAL_WORDS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    "twenty-first": 21, "twenty-second": 22, "twenty-third": 23, "twenty-fourth": 24,
    "twenty-fifth": 25, "twenty-sixth": 26, "twenty-seventh": 27, "twenty-eighth": 28,
    "twenty-ninth": 29, "thirty-first": 31,
}

# A month named alone ("December", "Dec."): full names except "may" and "march", or an
# abbreviation with its period.
_MONTH_ONLY = (
    "january|february|april|june|july|august|september|october|november|december"
    r"|(?:jan|feb|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?=\.|\s*$)"
)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = "|".join(sorted(_ORDINAL_WORDS, key=len, reverse=True))
_DAY = rf"(?P<day>\d{{1,2}}(?:st|nd|rd|th)?|{_ORD})"
_YEAR = r"(?P<year>[12]\d{3})"
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"

_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?P<y1>[12]\d{3})[-./](?P<mon>\d{1,2})[-./](?P<day>\d{1,2})(?!\d)"),
    re.compile(
        rf"\b{_WEEKDAY}(?P<mon>{_MON})\.?\s+(?:the\s+)?{_DAY}\b(?:,?\s+{_YEAR}\b)?"
    ),
    re.compile(
        rf"\b{_WEEKDAY}(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<mon>{_MON})\b\.?(?:,?\s+{_YEAR}\b)?"
    ),
    re.compile(rf"\b(?P<mon>{_MON})\.?,?\s+(?:of\s+)?{_YEAR}\b"),
    re.compile(
        r"(?<!\d)(?:(?P<year>[12]\d{3})\s?년\s?)?(?P<mon>\d{1,2})\s?월(?:\s?(?P<day>\d{1,2})\s?일)?"
    ),
    re.compile(r"(?<![\d.])(?P<mon>\d{1,2})\s?·\s?(?P<day>\d{1,2})(?![\d.])"),
    re.compile(rf"\b(?P<mon>{_MONTH_ONLY})\b"),
)


@dataclass(frozen=True)
class DateValue:
    """A calendar date; `year` and `day` are None when the text does not give them."""

    month: int
    day: int | None = None
    year: int | None = None


@dataclass(frozen=True)
class DateMatch:
    value: DateValue
    start: int
    end: int


def _day_value(text: str | None) -> int | None:
    if text is None:
        return None
    if text in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[text]
    return int(re.sub(r"(st|nd|rd|th)$", "", text))


def _month_value(text: str) -> int:
    return MONTHS[text] if text in MONTHS else int(text)


def _build(m: re.Match[str]) -> DateValue | None:
    groups = m.groupdict()
    month = _month_value(groups["mon"])
    day = _day_value(groups.get("day"))
    year_text = groups.get("year") or groups.get("y1")
    year = int(year_text) if year_text else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return DateValue(month=month, day=day, year=year)


def find_dates(text: str) -> list[DateMatch]:
    """Non-overlapping dates in lower-cased `text`, in order; earlier patterns win overlaps."""
    found: list[DateMatch] = []
    taken = Occupancy(len(text))
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            value = _build(m)
            if value is not None and taken.claim(m.start(), m.end()):
                found.append(DateMatch(value, m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)
