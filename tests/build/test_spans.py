"""Answer spans: quantities the scorer parses, named entities, and their known limits."""

from __future__ import annotations

from harness.build.entities import capitalised_words, entity_spans
from harness.build.sentences import split_sentences
from harness.build.spans import quantity_spans


def _q(sentence: str) -> list[tuple[str, str]]:
    spans = quantity_spans(sentence)
    assert all(sentence[s.start:s.end] == s.text for s in spans)
    return [(s.text, s.answer_type.value) for s in spans]


def _e(sentence: str, language: str = "en", known: set[str] | None = None
       ) -> list[tuple[str, str]]:
    spans = entity_spans(sentence, language, known)  # type: ignore[arg-type]
    assert all(sentence[s.start:s.end] == s.text for s in spans)
    return [(s.text, s.answer_type.value) for s in spans]


def test_english_quantities() -> None:
    assert _q("Acme said on March 4, 2025 that it would raise prices by 12% and hire 4,500 "
              "people over three years for $2.3 billion in 2027.") == [
        ("March 4, 2025", "date"), ("12%", "percent"), ("4,500", "number"),
        ("three years", "duration"), ("$2.3 billion", "money"), ("2027", "year")]
    assert _q("Reciprocal tariffs, including 25 percent duties, start Aug. 1 for one side.") == [
        ("25 percent", "percent"), ("Aug. 1", "date")]  # "one" is left out: rarely a count


def test_korean_quantities() -> None:
    assert _q("정부는 2025년 7월 15일 3500억 달러 투자와 25% 관세, 10만 명을 언급했다.") == [
        ("2025년 7월 15일", "date"), ("3500억 달러", "money"), ("25%", "percent"),
        ("10만", "number")]


def test_english_names_and_their_limits() -> None:
    known = {"ahn"}
    assert _e("Touching on a visit to Washington by South Korea's Trade Minister Yeo Han-koo, "
              "Ahn said he had presented a plan.", known=known) == [
        ("Washington", "place"), ("South Korea", "place"), ("Yeo Han-koo", "person"),
        ("Ahn", "phrase")]
    # a capitalised sentence opener is no name unless the document capitalises it elsewhere
    assert _e("Globally, few firms did so.") == []
    assert _e("Ahn spoke.", known=known) == [("Ahn", "phrase")]
    assert _e("It falls under Section 232 of the Trade Expansion Act of 1962.") == [
        ("Section 232", "law"), ("Trade Expansion Act of 1962", "law")]
    # known limits: lower-case brands and weekday-joined runs are missed or cut
    assert _e("Sales of the iPhone rose in Seoul on Monday.") == [("Seoul", "place")]


def test_capitalised_words_skip_sentence_openers() -> None:
    assert capitalised_words("The plan. Officials met Ahn in Seoul.") == {"ahn", "seoul"}


def test_korean_proper_nouns() -> None:
    assert _e("이재명 대통령은 서울에서 회의를 주재했다.", "ko") == [
        ("이재명", "person"), ("서울", "place")]


def test_sentences_keep_offsets_and_abbreviations() -> None:
    text = "Title line\nThe U.S. set a 25% rate on Aug. 1. Mr. Kim agreed. 다음 문장."
    sentences = split_sentences(text, "en")
    assert [s.text for s in sentences] == ["Title line", "The U.S. set a 25% rate on Aug. 1.",
                                           "Mr. Kim agreed. 다음 문장."]
    assert all(text[s.start:s.end] == s.text for s in sentences)
