"""Quantities in English and Korean text: plain numbers, percents, money, durations, years, dates.

Each number is classified once, by what follows it: "25%" = "25 percent" = "25 per cent" =
"25퍼센트" = "25 프로"; "$350 billion" = "350 billion dollars" = "3500억 달러"; "five years" = "5년"
= "60 months"; "2027" = "2027년" is a year. Dates ("Aug. 1", "8월 1일") are found first.
`canonical` rewrites the text with each quantity as one comparable token, so phrases that
embed quantities ("more than 50%" / "more than 50 percent") compare as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from harness.scoring.dates import DateValue, find_dates
from harness.scoring.normalize import unify
from harness.scoring.numbers import Numeral, find_numerals
from harness.scoring.numwords import KO_DURATION_WORDS

_DURATION_BASE: dict[str, tuple[str, int]] = {
    "decade": ("month", 120), "year": ("month", 12), "month": ("month", 1),
    "fortnight": ("day", 14), "week": ("day", 7), "day": ("day", 1),
    "hour": ("minute", 60), "minute": ("minute", 1),
}


@dataclass(frozen=True)
class Money:
    value: Fraction
    currency: str | None  # ISO-like code ("USD", "KRW", ...) or None when the text names none


@dataclass(frozen=True)
class Duration:
    value: Fraction  # in `unit`
    unit: str  # "year", "month", "week", "day", "hour", "minute", "decade", "fortnight"

    @property
    def base(self) -> tuple[str, Fraction]:
        """A comparable (base unit, amount): years/months in months, weeks/days in days."""
        base_unit, factor = _DURATION_BASE[self.unit]
        return base_unit, self.value * factor


@dataclass(frozen=True)
class Quantities:
    dates: tuple[DateValue, ...] = ()
    years: tuple[int, ...] = ()
    percents: tuple[Fraction, ...] = ()
    money: tuple[Money, ...] = ()
    durations: tuple[Duration, ...] = ()
    numbers: tuple[Fraction, ...] = ()
    residual: str = ""  # the lower-cased text with every quantity and its unit blanked out
    canonical: str = ""  # the lower-cased text with every quantity as one token

    def is_empty(self) -> bool:
        return not (self.dates or self.years or self.percents or self.money or self.durations
                    or self.numbers)

    def is_pure(self) -> bool:
        """True if the text is nothing but quantities ("one-third", "25%", "Aug. 1")."""
        return not self.is_empty() and not re.search(r"[^\W\d_]", self.residual)


_PERCENT = re.compile(
    r"\s?(?:%|percent(?:age points?)?(?![a-z])|per\s?cent(?![a-z])|pct(?![a-z])"
    r"|퍼센트|프로(?!그|젝|세|필|듀))"
)
_CURRENCY_SUFFIX = re.compile(
    r"\s?(?:(?:us|u\.s\.|american)\s)?(dollars?|won|yen|euros?|yuan|pounds?|usd|krw"
    r"|달러|불|원|엔|위안|유로)(?![a-z])"
)
_CURRENCY_PREFIX = re.compile(r"(?:^|[^a-z])(us\s?\$|\$|usd|₩|krw|€|eur|£|gbp|¥|jpy)\s?$")
_DURATION_EN = re.compile(
    r"\s?-?\s?(decades?|years?|yrs?|months?|weeks?|wks?|fortnights?|days?|hours?|hrs?"
    r"|minutes?|mins?)(?![a-z])"
)
_DURATION_KO = re.compile(r"\s?(년|개월|달|주|일|시간|분)(?!의)")
_KO_COUNTER_AFTER = re.compile(r"\s?(명|개|곳|가지|건|대|척|회|차례|번|편|배)")
_SHARED_GAP = re.compile(r"\s*(?:or|to|and|through|-|~|,|또는|혹은|내지|에서|부터)\s*")
_YEAR_TAIL = re.compile(r"\s?[-~]\s?(\d{2})(?!\d)")
_CURRENCY_CODES = {
    "dollar": "USD", "dollars": "USD", "usd": "USD", "us$": "USD", "$": "USD", "달러": "USD",
    "불": "USD", "won": "KRW", "krw": "KRW", "₩": "KRW", "원": "KRW", "yen": "JPY", "jpy": "JPY",
    "¥": "JPY", "엔": "JPY", "euro": "EUR", "euros": "EUR", "eur": "EUR", "€": "EUR",
    "유로": "EUR", "yuan": "CNY", "위안": "CNY", "pound": "GBP", "pounds": "GBP", "gbp": "GBP",
    "£": "GBP",
}
_EN_UNIT = {"yr": "year", "yrs": "year", "wk": "week", "wks": "week", "hr": "hour",
            "hrs": "hour", "min": "minute", "mins": "minute"}
_KO_UNIT = {"년": "year", "개월": "month", "달": "month", "주": "week", "일": "day",
            "시간": "hour", "분": "minute"}


def _num(value: Fraction) -> str:
    return str(value).replace("/", "r")


class _Collector:
    """Accumulates classified quantities and the replacements for the canonical text; the
    masking and the rewriting cost time linear in the text, however many quantities it holds."""

    def __init__(self, text: str) -> None:
        self.original = text
        self._chars = list(text)
        self._work: str | None = text
        self.values: dict[str, list[object]] = {k: [] for k in (
            "dates", "years", "percents", "money", "durations", "numbers")}
        self.tokens: list[tuple[int, int, str]] = []

    @property
    def work(self) -> str:
        """The text with every quantity found so far blanked out."""
        if self._work is None:
            self._work = "".join(self._chars)
        return self._work

    def add(self, kind: str, value: object, start: int, end: int, token: str) -> None:
        self.values[kind].append(value)
        self.tokens.append((start, end, f" q{token} "))
        self._chars[start:end] = [" "] * (end - start)
        self._work = None

    def canonical(self) -> str:
        pieces: list[str] = []
        position = 0
        for start, end, token in sorted(self.tokens):
            if start < position:
                continue
            pieces.extend((self.original[position:start], token))
            position = end
        pieces.append(self.original[position:])
        return "".join(pieces)


def _add_duration(c: _Collector, value: Fraction, word: str, start: int, end: int) -> None:
    unit = _KO_UNIT.get(word) or _EN_UNIT.get(word) or _EN_UNIT.get(word.rstrip("s"))
    length = Duration(value, unit or word.rstrip("s"))
    base_unit, amount = length.base
    c.add("durations", length, start, end, f"dur{base_unit}{_num(amount)}")


def _shared_unit(w: str, numerals: list[Numeral], k: int) -> tuple[str, str] | None:
    """The unit a bare number borrows from the next one in "3 or 5 years", "15-25%"."""
    if k + 1 >= len(numerals):
        return None
    here, nxt = numerals[k].span, numerals[k + 1].span
    if not _SHARED_GAP.fullmatch(w[here.end: nxt.start]):
        return None
    if _PERCENT.match(w, nxt.end):
        return "percent", ""
    if suffix := _CURRENCY_SUFFIX.match(w, nxt.end):
        return "money", suffix.group(1)
    if duration := _DURATION_EN.match(w, nxt.end) or _DURATION_KO.match(w, nxt.end):
        return "duration", duration.group(1)
    return None


def _classify_numbers(c: _Collector) -> None:
    w = c.work
    skip_until = -1
    numerals = find_numerals(w)
    for k, numeral in enumerate(numerals):
        span = numeral.span
        if span.start < skip_until:
            continue
        after, value = span.end, span.value
        window = max(0, span.start - 6)
        prefix = _CURRENCY_PREFIX.search(w[window: span.start])
        percent = _PERCENT.match(w, after)
        suffix = None if prefix or percent else _CURRENCY_SUFFIX.match(w, after)
        currency = prefix or suffix
        duration = _DURATION_EN.match(w, after) or _DURATION_KO.match(w, after)
        shared = None if percent or currency or duration else _shared_unit(w, numerals, k)
        if percent or (shared and shared[0] == "percent"):
            c.add("percents", value, span.start, percent.end() if percent else after,
                  f"pct{_num(value)}")
        elif currency or (shared and shared[0] == "money"):
            word = currency.group(1) if currency else shared[1] if shared else ""
            code = _CURRENCY_CODES.get(word.replace(" ", ""))
            start = window + currency.start(1) if prefix and currency else span.start
            end = currency.end() if suffix and currency else after
            c.add("money", Money(value, code), start, end, f"money{code or ''}{_num(value)}")
        elif numeral.plain and 1000 <= value <= 2999 and (
            w.startswith("년", after)
            or not ((duration and duration.group(1) != "년")
                    or _KO_COUNTER_AFTER.match(w, after))
        ):
            end = after + 1 if w.startswith("년", after) else after
            c.add("years", int(value), span.start, end, f"yr{value}")
            if tail := _YEAR_TAIL.match(w, end):
                second = int(value) // 100 * 100 + int(tail.group(1))
                c.add("years", second, tail.start(), tail.end(), f"yr{second}")
                skip_until = tail.end()
        elif duration:
            _add_duration(c, value, duration.group(1), span.start, duration.end())
        elif shared and shared[0] == "duration":
            _add_duration(c, value, shared[1], span.start, after)
        else:
            c.add("numbers", value, span.start, span.end, f"num{_num(value)}")


def extract_quantities(text: str) -> Quantities:
    """Every quantity in `text`, each classified once (dates first, then by the unit after it)."""
    c = _Collector(unify(text).lower())
    for d in find_dates(c.work):
        date = d.value
        c.add("dates", date, d.start, d.end,
              f"date{date.month}m{date.day or 0}d{date.year or 0}")
        if date.year is not None:
            c.values["years"].append(date.year)
    for word, (amount, unit) in KO_DURATION_WORDS.items():
        for m in re.finditer(rf"(?<![가-힣]){word}", c.work):
            duration = Duration(amount, unit)
            base_unit, base_amount = duration.base
            c.add("durations", duration, m.start(), m.end(),
                  f"dur{base_unit}{_num(base_amount)}")
    _classify_numbers(c)
    v = c.values
    return Quantities(
        dates=tuple(x for x in v["dates"] if isinstance(x, DateValue)),
        years=tuple(x for x in v["years"] if isinstance(x, int)),
        percents=tuple(x for x in v["percents"] if isinstance(x, Fraction)),
        money=tuple(x for x in v["money"] if isinstance(x, Money)),
        durations=tuple(x for x in v["durations"] if isinstance(x, Duration)),
        numbers=tuple(x for x in v["numbers"] if isinstance(x, Fraction)),
        residual=c.work,
        canonical=c.canonical(),
    )
