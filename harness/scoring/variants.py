"""Spelling variants and clippings that name the same thing: British/American spelling
("aluminium" = "aluminum", "defence" = "defense"), "U.S." = "US" = "United States", "govt" =
"government". Each entry is one comparison token in `normalize_text` form; `canonical_tokens`
rewrites a token list to one spelling per entry, so two writings compare equal after it."""

from __future__ import annotations

import re
from collections.abc import Sequence

# token -> the spelling it stands for (both sides are rewritten to the right-hand side).
TOKEN_VARIANTS: dict[str, str] = {
    "aluminium": "aluminum", "defence": "defense", "offence": "offense", "licence": "license",
    "programme": "program", "programmes": "programs", "centre": "center", "centres": "centers",
    "labour": "labor", "favour": "favor", "honour": "honor", "harbour": "harbor",
    "neighbour": "neighbor", "neighbours": "neighbors", "dialog": "dialogue",
    "catalogue": "catalog", "tonne": "ton", "tonnes": "tons", "fibre": "fiber",
    "govt": "government", "govts": "governments", "gov": "government", "dept": "department",
    "intl": "international", "natl": "national", "assn": "association", "mfg": "manufacturing",
    "pharma": "pharmaceuticals", "semis": "semiconductors",
    "usa": "us", "america": "us", "uk": "britain", "rok": "southkorea", "dprk": "northkorea",
    "&": "and", "및": "and",
}
# Multi-word writings that are one token after rewriting.
PHRASE_VARIANTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("united", "states", "of", "america"), "us"), (("united", "states"), "us"),
    (("united", "kingdom"), "britain"), (("great", "britain"), "britain"),
    (("south", "korea"), "southkorea"), (("republic", "of", "korea"), "southkorea"),
    (("north", "korea"), "northkorea"),
)
_ISE = re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations)$")
_YSE = re.compile(r"^(\w{2,})ys(e|es|ed|ing)$")


def canonical_token(token: str) -> str:
    if token in TOKEN_VARIANTS:
        return TOKEN_VARIANTS[token]
    if m := _ISE.match(token):
        return f"{m.group(1)}iz{m.group(2)}"
    if m := _YSE.match(token):
        return f"{m.group(1)}yz{m.group(2)}"
    return token


def canonical_tokens(toks: Sequence[str]) -> list[str]:
    """`toks` with every listed variant rewritten to one spelling."""
    out: list[str] = []
    i = 0
    while i < len(toks):
        for phrase, replacement in PHRASE_VARIANTS:
            if tuple(toks[i: i + len(phrase)]) == phrase:
                out.append(replacement)
                i += len(phrase)
                break
        else:
            out.append(canonical_token(toks[i]))
            i += 1
    return out
