"""Verification of drafts: each check's rejection reason, snapping, aliases and distractors."""

from __future__ import annotations

import datetime as dt

from harness.answer_types import AnswerType
from harness.build.distractors import moved_numbers
from harness.build.draft import Draft, Rejection
from harness.build.evidence import snap_evidence
from harness.build.source import SourceDoc
from harness.build.verify import Checked, Verifier, choose_distractors
from harness.scoring.judge import Verdict, judge

TEXT = ("Riverton approves new harbor bridge\n"
        "The Riverton City Council approved a $450 million plan on March 3, 2025.\n"
        "Tolls will rise by 15 percent once the bridge opens in 2029, he said.\n")
DOC = SourceDoc(id="bridge", source="bridge.txt", extractor="text", text=TEXT,
                title="Riverton approves new harbor bridge", outlet="", author="",
                published=dt.date(2025, 3, 4), date_evidence="", date_certainty="stated",
                language="en")
Q = "According to the Riverton Herald of March 4, 2025, "


def _draft(question: str, answer: str, evidence: str, **more: object) -> Draft:
    return Draft(document="bridge", question=Q + question, answer=answer, evidence=evidence,
                 drafted_by="test", **more)  # type: ignore[arg-type]


def _reason(result: Checked | Rejection) -> str:
    return result.reason if isinstance(result, Rejection) else "accepted"


def test_snapping_a_near_verbatim_quote() -> None:
    assert snap_evidence("approved a $450 milion plan on March 3", TEXT) == \
        "approved a $450 million plan on March 3"
    assert snap_evidence("The council rejected every plan for a tunnel", TEXT) is None


def test_each_check_rejects_with_its_reason() -> None:
    verifier = Verifier()
    plan = "The Riverton City Council approved a $450 million plan on March 3, 2025."
    cases = [
        (_draft("how much does the plan cost?", "$450 million", "a tunnel for $9 million"),
         "evidence-not-in-document"),
        (_draft("how much does the plan cost?", "$500 million", plan), "answer-not-in-evidence"),
        (_draft("what did the $450 million plan cost?", "$450 million", plan),
         "question-contains-answer"),
        (_draft("by how much did he say tolls would rise?", "15 percent",
                "Tolls will rise by 15 percent"), "not-standalone"),
        (_draft("how much does the Riverton harbor bridge plan cost?", "$450 million", plan),
         "accepted"),
        (_draft("what does the Riverton harbor bridge plan cost?", "450 million dollars",
                plan), "near-duplicate"),
    ]
    assert [_reason(verifier.check(draft, DOC)) for draft, _ in cases] == [r for _, r in cases]


def test_a_typed_match_adds_the_evidence_writing_as_alias() -> None:
    checked = Verifier().check(_draft("by how much will Riverton bridge tolls rise?",
                                      "fifteen percent",
                                      "Tolls will rise by 15 percent once the bridge opens"),
                               DOC)
    assert isinstance(checked, Checked)
    assert checked.answer_type is AnswerType.PERCENT
    assert checked.draft.aliases == ("15 percent",)


def test_distractors_are_same_type_and_judged_incorrect() -> None:
    verifier = Verifier()
    year = verifier.check(_draft("in what year will the Riverton bridge open?", "2029",
                                 "once the bridge opens in 2029"), DOC)
    toll = verifier.check(_draft("by how much will Riverton bridge tolls rise?", "15 percent",
                                 "Tolls will rise by 15 percent",
                                 distractors=("15%", "fifteen percent", "20 percent")), DOC)
    assert isinstance(year, Checked) and isinstance(toll, Checked)
    chosen = choose_distractors(toll, "en", [], [year, toll])
    assert chosen[0] == "20 percent" and len(chosen) == 3  # the drafter's wrong one first
    for distractor in chosen:
        assert judge(distractor, "15 percent", (), AnswerType.PERCENT).verdict is \
            Verdict.INCORRECT
    assert choose_distractors(year, "en", [], [year, toll]) == ["2030", "2028", "2031"]


def test_moved_numbers_keep_the_writing() -> None:
    assert list(moved_numbers("$350 billion", AnswerType.MONEY))[:3] == [
        "$400 billion", "$300 billion", "$450 billion"]
    assert list(moved_numbers("Aug. 1", AnswerType.DATE))[:2] == ["Aug. 8", "Aug. 15"]
    assert list(moved_numbers("two weeks", AnswerType.DURATION)) == [
        "three weeks", "four weeks", "five weeks"]
