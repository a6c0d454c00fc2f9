"""Explain an evidence span that is not verbatim in its document: the closest span of the
document and the first character that differs (a curly apostrophe, a double space...)."""

from __future__ import annotations

import difflib
import unicodedata

MAX_SHOWN = 80


def _char(text: str, index: int) -> str:
    if index >= len(text):
        return "end of text"
    char = text[index]
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{f' {name}' if name else ''})"


def closest_span(evidence: str, text: str) -> tuple[int, str]:
    """(start, span) of the part of `text` that best matches `evidence`, as long as it."""
    matcher = difflib.SequenceMatcher(None, text, evidence, autojunk=False)
    match = matcher.find_longest_match(0, len(text), 0, len(evidence))
    start = max(0, match.a - match.b)
    return start, text[start:start + len(evidence)]


def explain_not_verbatim(evidence: str, text: str, document_file: str) -> str:
    """`closest span at FILE:LINE: '...'; first difference at character N: evidence has X,
    document has Y`."""
    start, span = closest_span(evidence, text)
    line = text.count("\n", 0, start) + 1
    index = next((i for i, (a, b) in enumerate(zip(evidence, span, strict=False)) if a != b),
                 min(len(evidence), len(span)))
    shown = span if len(span) <= MAX_SHOWN else span[:MAX_SHOWN] + "..."
    return (f"closest span at {document_file}:{line}: {shown!r}; first difference at character "
            f"{index + 1}: evidence has {_char(evidence, index)}, document has "
            f"{_char(span, index)}")
