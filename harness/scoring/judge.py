"""The verdict on one model output: CORRECT, INCORRECT or NOT_ATTEMPTED, with the rule that
decided it, plus the token F1 and strict exact match of the extracted answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from harness.answer_types import AnswerType
from harness.scoring.compare import compare
from harness.scoring.context import NO_CONTEXT, GoldContext
from harness.scoring.extract import extract_answer
from harness.scoring.infer import infer_answer_type
from harness.scoring.normalize import strict_exact_match, token_f1


class Verdict(str, Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True)
class Judgement:
    """`rule` is "<answer type>:<comparison rule>" for attempted answers (e.g.
    "percent:contradiction", "person:romanization"; a rule shared by several answer types keeps
    its own prefix: "list:unordered"), or the extraction rule that made it not attempted
    ("think-unterminated", "refusal", "empty"). `f1` and `strict_em` score `extracted`."""

    verdict: Verdict
    extracted: str
    rule: str
    f1: float
    strict_em: bool


def resolve_answer_type(answer: str, answer_type: AnswerType | str | None) -> AnswerType:
    """`answer_type` as an AnswerType; None or an unknown name -> `infer_answer_type(answer)`."""
    if isinstance(answer_type, AnswerType):
        return answer_type
    if isinstance(answer_type, str):
        try:
            return AnswerType(answer_type.strip().lower())
        except ValueError:
            pass
    return infer_answer_type(answer)


def judge(
    raw_output: str,
    answer: str,
    aliases: Sequence[str] = (),
    answer_type: AnswerType | str | None = None,
    *,
    first_line: bool = True,
    context: GoldContext = NO_CONTEXT,
) -> Judgement:
    """Score `raw_output` against `answer` and its `aliases` (any of them counts). `context`
    (the question, the Hangul answer, the as-of date, the answers never to accept) enables the
    relaxations that need it (romanized names, dates without the year, short names)."""
    if not answer.strip():
        raise ValueError("answer must not be empty")
    golds = list(dict.fromkeys(g for g in (answer, *aliases) if g.strip()))
    extraction = extract_answer(raw_output, first_line=first_line)
    if not extraction.attempted:
        return Judgement(Verdict.NOT_ATTEMPTED, extraction.text, extraction.rule, 0.0, False)
    kind = resolve_answer_type(answer, answer_type)
    result = compare(extraction.text, golds, kind, context)
    return Judgement(
        verdict=Verdict.CORRECT if result.correct else Verdict.INCORRECT,
        extracted=extraction.text,
        rule=result.rule if ":" in result.rule else f"{kind.value}:{result.rule}",
        f1=token_f1(extraction.text, golds),
        strict_em=strict_exact_match(extraction.text, golds),
    )
