"""Honest question wording for cloze drafts: the article named with its outlet and date, the
clause quoted with a blank, and what kind of answer fills it. English and Korean."""

from __future__ import annotations

import datetime as dt

from harness.answer_types import AnswerType
from harness.build.source import SourceDoc

BLANK = "___"
_NOUN_EN = {
    AnswerType.NUMBER: "number", AnswerType.PERCENT: "percentage", AnswerType.MONEY: "amount",
    AnswerType.DATE: "date", AnswerType.YEAR: "year", AnswerType.DURATION: "length of time",
    AnswerType.PERSON: "name", AnswerType.ORGANIZATION: "name",
    AnswerType.PLACE: "place", AnswerType.LAW: "law or provision",
    AnswerType.PHRASE: "name", AnswerType.YES_NO: "word",
}
_NOUN_KO = {
    AnswerType.NUMBER: "숫자", AnswerType.PERCENT: "비율", AnswerType.MONEY: "금액",
    AnswerType.DATE: "날짜", AnswerType.YEAR: "연도", AnswerType.DURATION: "기간",
    AnswerType.PERSON: "이름", AnswerType.ORGANIZATION: "이름", AnswerType.PLACE: "장소",
    AnswerType.LAW: "법 조항", AnswerType.PHRASE: "말", AnswerType.YES_NO: "말",
}
# Names are asked as "name": the scorer's type inference reads "Hugging Face" as a person.
_MONTHS_TEXT = ("January February March April May June July August September October "
                "November December")
_MONTHS = _MONTHS_TEXT.split()


def english_date(date: dt.date) -> str:
    return f"{_MONTHS[date.month - 1]} {date.day}, {date.year}"


def korean_date(date: dt.date) -> str:
    return f"{date.year}년 {date.month}월 {date.day}일"


def topic_particle(word: str) -> str:
    """은 after a final consonant, 는 after a vowel (Hangul syllables; 은 otherwise)."""
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3":
        return "은" if (ord(last) - 0xAC00) % 28 else "는"
    return "은"


def _source_en(doc: SourceDoc) -> str:
    parts = [p for p in (doc.outlet, english_date(doc.published) if doc.published else "") if p]
    where = f" ({', '.join(parts)})" if parts else ""
    return f'According to the article "{doc.title}"{where}'


def cloze_question(doc: SourceDoc, cloze: str, kind: AnswerType) -> str:
    """The question asking what fills the blank of `cloze` (which holds BLANK once)."""
    if doc.language == "ko":
        parts = [p for p in (doc.outlet, korean_date(doc.published) if doc.published else "")
                 if p]
        where = f"({', '.join(parts)})" if parts else ""
        noun = _NOUN_KO[kind]
        return (f'"{doc.title}"{where} 기사에 따르면, 다음 문장의 빈칸에 들어갈 {noun}'
                f'{topic_particle(noun)} 무엇인가? "{cloze}"')
    noun = _NOUN_EN[kind]
    article = "an" if noun[0] in "aeiou" else "a"
    return f'{_source_en(doc)}, what {noun} fills the blank in "{cloze}"?'.replace(
        "what a ", f"what {article} ")
