"""Items one run got right and the other wrong, with both answers."""

from __future__ import annotations

from dataclasses import dataclass

from harness.compare.pairing import PairedTask
from harness.results.records import Sample


@dataclass(frozen=True)
class Flip:
    task: str
    item_id: str
    question: str
    gold: str
    a_answer: str
    b_answer: str
    right: str  # "A" or "B": the run that got it right


def answer_text(sample: Sample) -> str:
    """What the model answered: the raw output for generation, the chosen choice otherwise."""
    if sample.choices is not None and sample.pred is not None:
        return sample.choices[sample.pred]
    return sample.raw_output or ""


def gold_text(sample: Sample) -> str:
    if sample.choices is not None and sample.label is not None:
        return sample.choices[sample.label]
    return sample.answer


def question_text(sample: Sample) -> str:
    if sample.proposed:
        return f"{sample.question} (proposed answer: {sample.proposed})"
    return sample.question


def task_flips(paired: PairedTask) -> list[Flip]:
    flips = []
    for a, b in paired.pairs:
        a_right, b_right = a.verdict == "correct", b.verdict == "correct"
        if a_right != b_right:
            flips.append(Flip(paired.task, a.item_id, question_text(a), gold_text(a),
                              answer_text(a), answer_text(b), "A" if a_right else "B"))
    return flips
