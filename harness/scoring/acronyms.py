"""Acronyms and short names of organizations and laws.

An acronym matches when it is the initials of the gold's content words ("KEIA", or "KEI"
without the trailing place word, for "Korea Economic Institute of America"; "DPK" for
"Democratic Party of Korea"). A short name matches when it is the gold's head, before "of ..."
or a parenthesis ("Article 5" for "Article 5 of the Framework Act on ..."), or "X Ministry" for
"Ministry of X, ...". Neither is accepted when an excluded answer (a distractor, another fact's
answer) has the same acronym or head.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from harness.scoring.lexicon import FILLER_WORDS
from harness.scoring.normalize import normalize_text, tokens, unify

_STOP = frozenset({"of", "the", "and", "for", "on", "in", "to", "a", "an", "at", "by"})
_PLACE_WORDS = frozenset({
    "korea", "america", "us", "usa", "japan", "china", "seoul", "washington", "europe",
    "asia", "international", "global", "the", "states",
})
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+")
_HEAD_END = re.compile(r"\s+of\s+|\s*[(,]", re.IGNORECASE)
_OFFICE = re.compile(r"^(ministry|department|office|bureau|agency|commission|institute)\s+of\s+"
                     r"(?:the\s+)?(\w+)", re.IGNORECASE)
_MIN_HEAD_WORDS = 2


def acronyms(name: str) -> set[str]:
    """Initials of the content words of `name`, with and without a trailing place word, and
    with "of" kept ("MOTIE" for "Ministry of Trade, Industry and Energy")."""
    all_words = _WORD.findall(unify(name))
    out: set[str] = set()
    for keep in (frozenset(), frozenset({"of"})):
        words = [w for w in all_words if w.lower() not in _STOP or w.lower() in keep]
        if len(words) < 2:
            continue
        initials = "".join(w[0] for w in words).lower()
        out.add(initials)
        if words[-1].lower() in _PLACE_WORDS and len(initials) > 2:
            out.add(initials[:-1])
    return out


def short_names(name: str) -> set[str]:
    """The head of `name` ("Article 5", "Korea Economic Institute") and "X Ministry" for
    "Ministry of X ...", in `normalize_text` form; heads of one plain word are left out."""
    text = unify(name).strip()
    out: set[str] = set()
    if m := _HEAD_END.search(text):
        head = normalize_text(text[: m.start()])
        words = head.split()
        if len(words) >= _MIN_HEAD_WORDS or any(w.isdigit() for w in words):
            out.add(head)
    if m := _OFFICE.match(text):
        out.add(normalize_text(f"{m.group(2)} {m.group(1)}"))
    return out - {normalize_text(text)}


def _content(pred: str) -> list[str]:
    return [t for t in tokens(pred) if t not in FILLER_WORDS]


def match_acronym(pred: str, golds: Sequence[str], excluded: Iterable[str]) -> bool:
    """Is `pred` (articles and filler words aside) one acronym of a gold writing and of no
    excluded answer?"""
    content = _content(pred)
    if len(content) != 1 or not content[0].isalpha() or not 2 <= len(content[0]) <= 8:
        return False
    word = content[0]
    if not any(word in acronyms(g) for g in golds):
        return False
    return not any(word in acronyms(e) or normalize_text(e) == word for e in excluded)


def match_short_name(pred: str, golds: Sequence[str], excluded: Iterable[str]) -> bool:
    """Is `pred` (articles and filler words aside) a short name of a gold writing that no
    excluded answer shares?"""
    said = " ".join(_content(pred))
    if not said:
        return False
    shorts = {s for g in golds for s in short_names(g)}
    if said not in shorts:
        return False
    excluded_forms = {s for e in excluded for s in short_names(e)}
    excluded_forms |= {normalize_text(e) for e in excluded}
    return said not in excluded_forms
