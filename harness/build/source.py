"""A document read for drafting: its extracted text, kept verbatim, and what is known of it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "ko"]


@dataclass(frozen=True)
class SourceDoc:
    """`text` is stored in the suite exactly as extracted; `sha256` hashes it; `source` is the
    path (or URL) it came from and `extractor` how its text was obtained."""

    id: str
    source: str
    extractor: str
    text: str
    title: str
    outlet: str
    author: str
    published: dt.date | None
    date_evidence: str
    date_certainty: Literal["stated", "inferred"]
    language: Language

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def detect_language(text: str) -> Language:
    """"ko" when Hangul makes up at least a fifth of the letters, else "en"."""
    hangul = sum(1 for c in text if "\uac00" <= c <= "\ud7a3")
    letters = sum(1 for c in text if c.isalpha())
    return "ko" if letters and hangul / letters >= 0.2 else "en"


def slug(name: str) -> str:
    """A document id from a file name: lower-case ASCII letters, digits and dashes."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "doc"
