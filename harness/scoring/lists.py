"""Answers that are lists ("steel and aluminum", "A, B and C", "미사일이나 포탄", "철강·알루미늄"):
a prediction naming the same members in any order matches; a missing, extra or swapped member
does not. Members compare through a caller's matcher (text, person names ...)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from harness.scoring.normalize import is_hangul, tokens, unify

_SEPARATORS = re.compile(
    r"\s*(?:,\s*(?:and|or|&)\s+|,|;|\s+and\s+|\s+or\s+|\s*&\s*|\s*·\s*|\s*/\s*|\s+및\s+"
    r"|\s+또는\s+|\s+혹은\s+)\s*",
    re.IGNORECASE,
)
# A Hangul word ending in a conjunctive particle ("철강과", "적대와", "미사일이나"): the stem
# needs two syllables, so "결과" or "사과" are never split.
_KO_AND = re.compile(r"([가-힣]{2,}?)(?:과|와|이나|나)\s+(?=\S)")
_MAX_MEMBERS = 6
# A "member" holding one of these words, or more than five words, is a clause about the list
# ("steel and aluminum, both used in cars"), not one more member.
_CLAUSE_WORDS = frozenset({
    "which", "that", "who", "both", "are", "is", "was", "were", "being", "used", "as",
    "mainly", "especially", "including", "such", "according", "said", "respectively",
})


def list_members(text: str) -> list[str]:
    """The members of a list answer, or [text] when it is no list."""
    unified = unify(text).strip()
    parts: list[str] = []
    for chunk in _SEPARATORS.split(unified):
        pieces = _split_korean(chunk)
        parts.extend(p.strip() for p in pieces if p.strip())
    parts = [p for p in parts if tokens(p)]
    return parts if len(parts) >= 2 else [unified]


def _split_korean(chunk: str) -> list[str]:
    out: list[str] = []
    position = 0
    for m in _KO_AND.finditer(chunk):
        if m.start() > 0 and not chunk[m.start() - 1].isspace():
            continue
        if is_hangul(m.group(1)[-1]):
            out.append(chunk[position: m.start()] + m.group(1))
            position = m.end()
    out.append(chunk[position:])
    return out


def _is_clause(member: str) -> bool:
    words = tokens(member)
    return len(words) > 5 or any(w in _CLAUSE_WORDS for w in words)


def _shared_head(golds: Sequence[str]) -> str | None:
    """"agricultural and marine sectors": the head word the last member shares with the others."""
    last = tokens(golds[-1])
    if len(last) >= 2 and all(len(tokens(g)) == 1 for g in golds[:-1]):
        return last[-1]
    return None


def _strip_head(member: str, head: str | None) -> str:
    toks = tokens(member)
    if head is not None and len(toks) >= 2 and toks[-1] == head:
        return " ".join(toks[:-1])
    return member


def compare_lists(pred: str, gold: str, same: Callable[[str, str], bool]) -> bool | None:
    """True/False when both `pred` and `gold` are lists (members matched one to one, any
    order); None when either is not a list."""
    gold_members, pred_members = list_members(gold), list_members(pred)
    pred_members = pred_members[:1] + [p for p in pred_members[1:] if not _is_clause(p)]
    if len(gold_members) < 2 or len(pred_members) < 2:
        return None
    if len(pred_members) != len(gold_members) or len(gold_members) > _MAX_MEMBERS:
        return False
    head = _shared_head(gold_members)
    gold_members = [_strip_head(g, head) for g in gold_members]
    pred_members = [_strip_head(p, head) for p in pred_members]
    table = [[same(p, g) for g in gold_members] for p in pred_members]
    return any(all(table[i][j] for i, j in enumerate(order))
               for order in itertools.permutations(range(len(gold_members))))
