"""Every item of a run as the run page shows it."""

from __future__ import annotations

from dataclasses import dataclass

from harness.compare.flips import answer_text, gold_text
from harness.results.records import Sample


@dataclass(frozen=True)
class ItemView:
    item_id: str
    document: str
    answer_type: str
    question: str
    proposed: str | None
    choices: list[str]
    gold: str
    aliases: list[str]
    answer: str
    extracted: str
    verdict: str
    rule: str
    evidence: str


def item_view(s: Sample) -> ItemView:
    return ItemView(
        item_id=s.item_id, document=s.document, answer_type=s.answer_type,
        question=s.question, proposed=s.proposed, choices=list(s.choices or []),
        gold=gold_text(s), aliases=list(s.aliases), answer=answer_text(s),
        extracted=s.extracted or "", verdict=s.verdict, rule=s.rule or "",
        evidence=s.evidence,
    )


def items_by_task(samples: list[Sample]) -> dict[str, list[ItemView]]:
    grouped: dict[str, list[ItemView]] = {}
    for sample in samples:
        grouped.setdefault(sample.task, []).append(item_view(sample))
    return grouped
