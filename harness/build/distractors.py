"""Distractor candidates for a fact: the answer with its number moved (same unit, same
writing), same-type names found in the build's documents, then a small bank of names. Which
candidates stand is decided by `verify.choose_distractors` with the scorer's judge."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from harness.answer_types import AnswerType

_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+(?:\.\d+)?")
_WORDS_TEXT = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
               "fourteen fifteen sixteen seventeen eighteen nineteen twenty")
_WORDS = _WORDS_TEXT.split()
_WORD = re.compile(rf"\b({'|'.join(_WORDS)})\b", re.IGNORECASE)
BANK: dict[AnswerType, dict[str, tuple[str, ...]]] = {
    AnswerType.PERSON: {
        "en": ("Kim Min-jun", "Park Ji-hoon", "Choi Seo-yeon", "Jung Hae-won", "Lee Dong-hyun",
               "Kang Mi-ra", "John Carter", "Maria Lopez", "David Chen", "Sarah Miller"),
        "ko": ("김민준", "박지훈", "최서연", "정해원", "이동현", "강미라"),
    },
    AnswerType.PLACE: {
        "en": ("Tokyo", "Beijing", "Geneva", "Busan", "Singapore", "London", "Paris", "Berlin"),
        "ko": ("부산", "도쿄", "베이징", "제네바", "싱가포르", "런던", "파리", "베를린"),
    },
    AnswerType.ORGANIZATION: {
        "en": ("Samsung Electronics", "Hyundai Motor Group", "World Bank", "Bank of Korea",
               "Ministry of Finance", "National Assembly", "SK Group", "Naver Corp."),
        "ko": ("삼성전자", "현대자동차그룹", "세계은행", "한국은행", "기획재정부", "국회"),
    },
}


def _stable(seed: str, items: Iterable[str]) -> list[str]:
    """`items` without repeats, in an order fixed by `seed` (so builds are reproducible)."""
    unique = list(dict.fromkeys(items))
    return sorted(unique, key=lambda s: hashlib.sha256(f"{seed}\0{s}".encode()).digest())


def _format(value: Decimal, like: str) -> str:
    places = len(like.split(".")[1]) if "." in like else 0
    text = f"{value:,.{places}f}" if "," in like else f"{value:.{places}f}"
    return text


def _moves(value: Decimal, kind: AnswerType, places: int) -> list[Decimal]:
    """Other values of the same magnitude: years by one, days by a week, others by a step of
    the number's leading digit."""
    if kind is AnswerType.YEAR or (value == value.to_integral() and 1900 <= value <= 2100):
        steps = [Decimal(k) for k in (1, -1, 2, -2, 3, -3)]
    elif kind is AnswerType.DATE and value <= 31:
        steps = [Decimal(k) for k in (7, -7, 14, -14, 1, -1, 3)]
    else:
        magnitude = Decimal(10) ** (max(len(str(int(value))), 1) - 1) if value >= 1 else \
            Decimal(10) ** -max(places, 1)
        steps = [magnitude * k for k in (1, -1, 2, -2, 3, 5)]
        if value >= 1 and magnitude >= 10 and value % magnitude:
            steps = [s / 2 for s in steps[:2]] + steps
    out = []
    for step in steps:
        moved = value + step
        if moved > 0 and (kind is not AnswerType.DATE or moved <= 28):
            out.append(moved)
    return out


def moved_numbers(answer: str, kind: AnswerType) -> Iterator[str]:
    """The answer with its first number changed, written the same way ("25%" -> "35%",
    "Aug. 1" -> "Aug. 8", "two weeks" -> "three weeks")."""
    match = _NUMBER.search(answer)
    if match is not None:
        like = match.group(0)
        value = Decimal(like.replace(",", ""))
        places = len(like.split(".")[1]) if "." in like else 0
        for moved in _moves(value, kind, places):
            yield answer[: match.start()] + _format(moved, like) + answer[match.end():]
        return
    word = _WORD.search(answer)
    if word is not None and not answer[word.end():].startswith("-"):  # not "one-third"
        index = _WORDS.index(word.group(1).lower())
        for other in (index + 1, index - 1, index + 2, index + 3):
            if 1 < other < len(_WORDS) and other != index:  # never "one weeks"
                text = _WORDS[other]
                if word.group(1)[0].isupper():
                    text = text.capitalize()
                yield answer[: word.start()] + text + answer[word.end():]


def candidates(answer: str, kind: AnswerType, language: str, pool: Iterable[str],
               seed: str) -> list[str]:
    """Distractor candidates in the order they are tried."""
    out = list(moved_numbers(answer, kind))
    out += _stable(seed, pool)
    out += _stable(seed, BANK.get(kind, {}).get(language, ()))
    return list(dict.fromkeys(c for c in out if c.strip() and c != answer))
