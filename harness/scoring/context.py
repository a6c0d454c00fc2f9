"""What the scorer may know about a gold answer besides its writings: the question, the Hangul
answer, the as-of date and the answers that must never be accepted (the fact's distractors and
the other facts' answers of the same document). Every field is optional."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_YEAR = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")


@dataclass(frozen=True)
class GoldContext:
    question: str | None = None
    answer_ko: str | None = None
    as_of: dt.date | str | None = None
    excluded: tuple[str, ...] = ()

    @property
    def as_of_year(self) -> int | None:
        if isinstance(self.as_of, dt.date):
            return self.as_of.year
        found = _YEAR.match(self.as_of.strip()) if isinstance(self.as_of, str) else None
        return int(found.group(1)) if found else None

    def question_years(self) -> set[int]:
        """The years the question states ("in July 2025", "2025년 7월")."""
        return {int(y) for y in _YEAR.findall(self.question or "")}


NO_CONTEXT = GoldContext()
