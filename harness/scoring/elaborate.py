"""Elaborations that contradict nothing: "$350 billion (up from an earlier $100 billion offer)",
"32 billion, compared with 1.2 billion for the on-device model", "25% (기존 10%에서 인상)".
A clause that attaches a value to another subject (a cue such as "from", "than", "compared
with", "predecessor", "기존", "보다") is cut; a clause that offers an alternative ("or",
"either", "또는") never is, so "25% or 15%" stays a contradiction."""

from __future__ import annotations

import re

_CLAUSE_END = re.compile(r"[,;()\[\]]|\s[-–—]\s|[–—]")
# Cues before the other value: cut from the cue to the clause end.
_LEADING = re.compile(
    r"\b(?:up from|down from|from|than|compared (?:with|to)|as against|instead of|not|rather than"
    r"|versus|vs)\b|기존|이전|종전|당초",
    re.IGNORECASE,
)
# Cues anywhere in the clause of the other value: cut the whole clause.
_ANYWHERE = re.compile(
    r"\b(?:earlier|previous(?:ly)?|prior|predecessor|predecessors|sibling|before|baseline"
    r"|last year|initially|originally)\b|보다|에서|대비|직전|전년",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(r"\b(?:or|either|nor|and/or)\b|또는|혹은|아니면|이나\b", re.IGNORECASE)


def answer_without_elaborations(text: str) -> str | None:
    """`text` with every elaborating clause cut, or None when there is none."""
    pieces: list[str] = []
    position = 0
    changed = False
    bounds = [m.start() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    for end in bounds:
        clause = text[position:end]
        kept = _cut(clause)
        changed = changed or kept != clause
        pieces.append(kept)
        pieces.append(text[end: end + 1])
        position = end + 1
    return "".join(pieces).strip() if changed else None


def _cut(clause: str) -> str:
    if _ALTERNATIVE.search(clause):
        return clause
    if _ANYWHERE.search(clause):
        return " "
    if lead := _LEADING.search(clause):
        return clause[: lead.start()]
    return clause
