"""What a drafter proposes (a Draft) and what verification turns it into: a fact record for the
suite, or a Rejection with its reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Draft:
    """A proposed fact. `answer_type` is the drafter's guess (the scorer's inference decides);
    `distractors` may be empty (the builder proposes its own); `origin` says where it came
    from ("rules:percent", "model:paragraph 3")."""

    document: str
    question: str
    answer: str
    evidence: str
    drafted_by: str
    origin: str = ""
    aliases: tuple[str, ...] = ()
    answer_type: str | None = None
    distractors: tuple[str, ...] = ()
    question_ko: str | None = None
    answer_ko: str | None = None
    aliases_ko: tuple[str, ...] = ()
    distractors_ko: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Rejection:
    """`reason` is a short code counted in the summary; `detail` says what exactly failed."""

    document: str
    reason: str
    detail: str
    draft: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"document": self.document, "reason": self.reason, "detail": self.detail,
                "draft": self.draft}
