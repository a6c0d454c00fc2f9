"""Person-name matching with titles, honorifics and partial names.

"Minister Chung", "Chung", "정 장관", "정동영 씨" all match gold "Chung Dong-young" / "정동영"
when every name-like token of the prediction is a piece of the gold name (surname, given name,
or both) and nothing contradicts; "Chung Dong-won" does not ("dongwon" is no piece of the gold),
and neither does "Chung Dong-young or Yeo Han-koo" (a second person is named).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.scoring.lexicon import (
    EN_STOPWORDS,
    EN_TITLES,
    HANGUL_COMPOUND_SURNAMES,
    HANGUL_SURNAMES,
    KO_NOUN_ENDINGS,
    KO_TITLES,
    NEGATIONS,
    ROMAN_SURNAMES,
)
from harness.scoring.normalize import (
    has_hangul,
    normalize_text,
    split_korean_suffix,
    strip_korean_suffix,
    tokens,
    unify,
)
from harness.scoring.romanize import fold_latin, romanizes
from harness.scoring.textmatch import TextResult, find_phrase, is_negated, offers_alternative

_RAW_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")


@dataclass(frozen=True)
class NameToken:
    norm: str
    hangul: bool
    weak: bool  # may be (part of) a name
    strong: bool  # looks like a Korean personal name or a piece of one


def _is_ko_title(norm: str) -> bool:
    return norm in KO_TITLES or any(split_korean_suffix(norm, t) for t in KO_TITLES)


def _classify(raw: str, norm: str) -> NameToken:
    if has_hangul(norm):
        if _is_ko_title(norm):
            return NameToken(norm, True, False, False)
        stem = strip_korean_suffix(norm)
        strong = (len(stem) == 3 and stem[0] in HANGUL_SURNAMES
                  and stem[-1] not in KO_NOUN_ENDINGS)
        return NameToken(norm, True, True, strong)
    if norm in EN_TITLES or norm in EN_STOPWORDS:
        return NameToken(norm, False, False, False)
    capital = raw[:1].isupper()
    weak = capital or "-" in raw or norm in ROMAN_SURNAMES
    strong = norm in ROMAN_SURNAMES or (capital and "-" in raw)
    return NameToken(norm, False, weak, strong)


def name_tokens(text: str) -> list[NameToken]:
    out: list[NameToken] = []
    for m in _RAW_TOKEN.finditer(unify(text)):
        for norm in normalize_text(m.group()).split():
            out.append(_classify(m.group(), norm))
    return out


def _split_korean_name(token: str) -> list[str]:
    for surname in HANGUL_COMPOUND_SURNAMES:
        if token.startswith(surname) and len(token) >= 3:
            return [surname, token[len(surname):]]
    if 2 <= len(token) <= 4 and token[0] in HANGUL_SURNAMES:
        return [token[0], token[1:]]
    return [token]


def name_pieces(gold: str) -> list[str]:
    """The gold name's pieces in order, titles dropped; a Korean name splits into surname and
    given name ("정동영" -> ["정", "동영"])."""
    pieces: list[str] = []
    for tok in tokens(gold):
        if tok in EN_TITLES or _is_ko_title(tok):
            continue
        pieces.extend(_split_korean_name(tok) if has_hangul(tok) else [tok])
    return pieces


def allowed_joins(pieces: Sequence[str]) -> set[str]:
    return {"".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)}


class NameForms:
    """The writings a name token group may take: pieces of the gold (joined in order), and,
    with `romanized`, Latin spellings of the gold's Hangul name (see `romanize`)."""

    def __init__(self, allowed: set[str], hangul: Sequence[tuple[str, str]] = ()) -> None:
        self.allowed = allowed
        self.hangul = list(hangul)
        self.longest = max((len(a) for a in allowed), default=0) + 8  # room for particles
        if self.hangul:
            self.longest = max(self.longest, 64)

    def accepts(self, joined: str) -> bool:
        if joined in self.allowed or any(split_korean_suffix(joined, a) for a in self.allowed):
            return True
        latin = fold_latin(joined)
        return any(romanizes(latin, sur, given) for sur, given in self.hangul)


def _partition(run: Sequence[str], forms: NameForms) -> bool:
    """Can `run` be cut into consecutive groups that each spell an accepted piece?"""
    ok = [True] + [False] * len(run)
    for i in range(len(run)):
        if not ok[i]:
            continue
        joined = ""
        for j in range(i + 1, len(run) + 1):
            joined += run[j - 1]
            if len(joined) > forms.longest:
                break
            if forms.accepts(joined):
                ok[j] = True
    return ok[-1]


def hangul_name_parts(writings: Iterable[str]) -> list[tuple[str, str]]:
    """(surname, given name) of each Hangul writing that is one person's name ("이재명 대통령"
    -> ("이", "재명")); lists of names and other words are left out."""
    out: list[tuple[str, str]] = []
    for writing in writings:
        if not has_hangul(writing) or _names_several(writing):
            continue
        pieces = name_pieces(writing)
        if len(pieces) == 2 and all(has_hangul(p) and p.isalpha() for p in pieces) and (
            pieces[0] in HANGUL_SURNAMES or pieces[0] in HANGUL_COMPOUND_SURNAMES
        ) and 1 <= len(pieces[1]) <= 3:
            out.append((pieces[0], pieces[1]))
    return list(dict.fromkeys(out))


def _runs(toks: Sequence[NameToken], flag: str, skip: Iterable[int] = ()) -> list[list[str]]:
    skipped = set(skip)
    runs: list[list[str]] = []
    current: list[str] = []
    for k, t in enumerate(toks):
        if k not in skipped and getattr(t, flag):
            current.append(t.norm)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _names_several(gold: str) -> bool:
    """True for a gold naming more than one person ("Kim Dae-jung and Roh Moo-hyun")."""
    toks = tokens(gold)
    return bool(re.search(r"[,&·/]", gold)) or "and" in toks or any(
        has_hangul(t) and t.endswith(("과", "와")) for t in toks[:-1]
    )


def match_person(pred_text: str, golds: Sequence[str], hangul: Sequence[str] = ()) -> TextResult:
    """`hangul`: Hangul writings of the gold name (a fact's `answer_ko`); a prediction spelling
    it (or a Hangul gold) in another romanization is CORRECT by rule "romanization"."""
    toks = name_tokens(pred_text)
    allowed: set[str] = set()
    for g in golds:
        allowed |= allowed_joins(name_pieces(g))
        allowed |= allowed_joins(tokens(g))
    result = _match_person(toks, golds, NameForms(allowed))
    if result.correct or result.rule == "negated":
        return result
    parts = hangul_name_parts([*golds, *hangul])
    if not parts:
        return result
    for writing in hangul:
        if has_hangul(writing) and not _names_several(writing):
            allowed |= allowed_joins(name_pieces(writing))
    again = _match_person(toks, golds, NameForms(allowed, parts))
    return TextResult(True, "romanization") if again.correct else result


def _match_person(toks: Sequence[NameToken], golds: Sequence[str],
                  forms: NameForms) -> TextResult:
    norms = [t.norm for t in toks]
    gold_tokens = [tokens(g) for g in golds]
    failure = "no-match"
    for gold in gold_tokens:
        gold_hangul = has_hangul("".join(gold))
        for span in find_phrase(norms, gold):
            inside = range(span[0], span[1])
            others = [
                run for run in _runs(toks, "strong", inside)
                if has_hangul("".join(run)) == gold_hangul and not _partition(run, forms)
            ]
            if is_negated(norms, span):
                failure = "negated"
            elif others or offers_alternative(norms, span, gold_tokens):
                failure = "contradiction"
            else:
                return TextResult(True, "full-name")
    if failure != "no-match":
        return TextResult(False, failure)
    if golds and _names_several(golds[0]):
        return TextResult(False, "no-match")
    runs = _runs(toks, "weak")
    if not runs:
        return TextResult(False, "no-name")
    if any(n in NEGATIONS for n in norms):
        return TextResult(False, "negated")
    if all(_partition(run, forms) for run in runs):
        return TextResult(True, "partial-name")
    return TextResult(False, "name-mismatch")
