"""Guess a gold answer's `AnswerType` from its text, for predictions files that do not say."""

from __future__ import annotations

import re

from harness.answer_types import AnswerType
from harness.scoring.lexicon import EN_TITLES, HANGUL_SURNAMES, KO_NOUN_ENDINGS, ROMAN_SURNAMES
from harness.scoring.normalize import normalize_text, unify
from harness.scoring.quantities import extract_quantities

_YES_NO = frozenset({"yes", "no", "네", "예", "아니요", "아니오", "아뇨"})
_LAW = re.compile(
    r"\b(?:act|law|section|sec|article|code|treaty|constitution|statute|bill|decree)\b"
    r"|§|(?:법|법률|조약|헌법|조례|시행령)$|(?<!\d)\d+\s*조$",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"\b(?:research|institute|inc|corp|corporation|co|ltd|group|ministry|assembly|agency|bank"
    r"|university|association|foundation|council|committee|party|office|administration|company"
    r"|electronics|embassy|commission|court|department|fund|forum|center|centre|service"
    r"|organization|organisation|union|federation|network|labs?|ai)\b"
    r"|(?:연구소|연구원|위원회|협회|재단|그룹|은행|정당|대사관|[가-힣]{2,}부)$",
    re.IGNORECASE,
)
_PLACES_TEXT = (
    "seoul washington korea southkorea northkorea unitedstates us usa america china japan "
    "newyork geneva tokyo beijing busan pyongyang yeonpyeongdo yeonpyeong europe france "
    "서울 워싱턴 한국 대한민국 미국 중국 일본 북한 부산 평양 연평도 제네바 도쿄 뉴욕 "
    "유럽 프랑스"
)
_PLACES = frozenset(_PLACES_TEXT.split())
_ROMANIZED_NAME = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)?(?:[- ][A-Za-z][a-z]+)?$")
_CAPITALIZED_WORDS = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}$")
_HYPHEN_GIVEN = re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+-[a-z]+$|^[A-Z][a-z]+-[a-z]+ [A-Z][a-z]+$")


def _quantity_type(answer: str) -> AnswerType | None:
    q = extract_quantities(answer)
    if q.is_empty():
        return None
    if q.dates:
        return AnswerType.DATE
    if q.money:
        return AnswerType.MONEY
    if q.percents:
        return AnswerType.PERCENT
    if q.durations:
        return AnswerType.DURATION
    if q.years and not q.numbers:
        return AnswerType.YEAR
    return AnswerType.NUMBER


def _is_person(answer: str) -> bool:
    text = answer.strip()
    if _HYPHEN_GIVEN.match(text):
        return True
    words = text.split()
    if _ROMANIZED_NAME.match(text) and len(words) in (2, 3):
        return words[0].lower() in ROMAN_SURNAMES
    return (len(text) == 3 and all("\uac00" <= c <= "\ud7a3" for c in text)
            and text[0] in HANGUL_SURNAMES and text[-1] not in KO_NOUN_ENDINGS)


def infer_answer_type(answer: str) -> AnswerType:
    """Best guess of the answer type of gold `answer` (PHRASE when nothing more specific fits)."""
    text = unify(answer).strip()
    norm = normalize_text(text)
    if norm in _YES_NO:
        return AnswerType.YES_NO
    if _LAW.search(text):
        return AnswerType.LAW
    quantity = _quantity_type(text)
    if quantity is not None and len(norm.split()) <= 5:
        return quantity
    if _is_person(text):
        return AnswerType.PERSON
    if norm.replace(" ", "") in _PLACES:
        return AnswerType.PLACE
    if _ORG_WORDS.search(text) or re.fullmatch(r"[A-Z]{2,6}", text):
        return AnswerType.ORGANIZATION
    if _CAPITALIZED_WORDS.match(text) and not set(norm.split()) & EN_TITLES:
        return AnswerType.PERSON
    return AnswerType.PHRASE
