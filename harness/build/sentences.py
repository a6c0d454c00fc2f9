"""Sentences of a document with their character offsets: English by punctuation with an
abbreviation list; Korean by kiwipiepy's sentence splitter. Lines always end a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.build.source import Language

_ABBREVIATIONS_TEXT = (
    "mr mrs ms dr prof gen sen rep gov lt col sgt st jr sr co corp inc ltd no vs etc jan feb mar "
    "apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m approx dept est fig"
)
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)\.?[\"'”’)]*$")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` ends an abbreviation or an initial ("Aug.", "U.S.", "J.")."""
    if text[dot] != ".":
        return False
    match = _WORD_BEFORE.search(text[max(0, dot - 12): dot + 1])
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or len(word) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]",
                                                                          word))


def _english(text: str, offset: int) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _END.finditer(text):
        if _is_abbreviation(text, match.start()):
            continue
        end = match.end()
        spans.append((offset + start, offset + len(text[:end].rstrip())))
        start = end
    if text[start:].strip():
        spans.append((offset + start, offset + len(text.rstrip())))
    return spans


@lru_cache(maxsize=1)
def kiwi() -> Any:
    """The Korean analyser (loaded once; kiwipiepy's model is a separate package)."""
    from kiwipiepy import Kiwi

    return Kiwi()


def _korean(text: str, offset: int) -> list[tuple[int, int]]:
    return [(offset + s.start, offset + s.end) for s in kiwi().split_into_sents(text)]


def split_sentences(text: str, language: Language) -> list[Sentence]:
    """Sentences in order; each `text` is exactly `text[start:end]` (stripped of spaces)."""
    out: list[Sentence] = []
    position = 0
    for line in text.split("\n"):
        if line.strip():
            lead = len(line) - len(line.lstrip())
            body = line.strip()
            spans = (_korean if language == "ko" else _english)(body, position + lead)
            for start, end in spans:
                piece = text[start:end]
                strip_left = len(piece) - len(piece.lstrip())
                start, end = start + strip_left, start + len(piece.rstrip())
                if end > start:
                    out.append(Sentence(start, end, text[start:end]))
        position += len(line) + 1
    return out
