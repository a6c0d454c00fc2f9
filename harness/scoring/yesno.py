"""Yes/no answers in English and Korean: "Yes.", "yes, he did", "No, he did not", "네", "예",
"아니요", "아니오". A prediction that says both yes and no is a contradiction."""

from __future__ import annotations

from collections.abc import Sequence

from harness.scoring.normalize import strip_korean_suffix, tokens
from harness.scoring.textmatch import TextResult, match_text

_STRONG_YES = frozenset({"yes", "yeah", "yep", "yup", "네", "예", "응", "그래", "넵"})
_STRONG_NO = frozenset({"no", "nope", "nah", "아니요", "아니오", "아뇨", "아니", "아니에요"})
_WEAK_YES = frozenset({"correct", "true", "right", "affirmative", "indeed", "certainly",
                       "absolutely", "definitely", "sure",
                       "맞습니다", "맞아요", "맞다", "맞음", "그렇습니다", "그렇다", "그래요"})
_WEAK_NO = frozenset({"not", "never", "false", "incorrect", "negative", "didnt", "doesnt",
                      "isnt", "wasnt", "dont", "cannot", "cant", "wont", "havent", "hasnt",
                      "아닙니다", "아니다", "아니었다", "않습니다", "않았다", "않았습니다",
                      "않는다", "없습니다", "없다", "없었다", "없었습니다", "틀립니다", "틀렸다",
                      "disagree", "disagreed", "disagrees"})


def polarity(text: str) -> str | None:
    """"yes", "no", "both" (says yes and no), or None when the text takes no side."""
    toks = [strip_korean_suffix(t) for t in tokens(text)]
    strong = {"yes" for t in toks if t in _STRONG_YES} | {"no" for t in toks if t in _STRONG_NO}
    if len(strong) == 2:
        return "both"
    if strong:
        return strong.pop()
    weak_no = any(t in _WEAK_NO or t.endswith("지않") for t in toks)
    weak_yes = any(t in _WEAK_YES for t in toks)
    if weak_no:
        return "no"
    return "yes" if weak_yes else None


def _bare_polarity(gold: str) -> str | None:
    """The polarity of a gold that is only a yes/no word ("yes", "아니요", "affirmative")."""
    toks = [strip_korean_suffix(t) for t in tokens(gold)]
    if not toks or len(toks) > 2:
        return None
    words = _STRONG_YES | _STRONG_NO | _WEAK_YES | _WEAK_NO
    said = polarity(gold)
    return said if all(t in words for t in toks) and said in ("yes", "no") else None


def _strong_polarity(text: str) -> str | None:
    toks = {strip_korean_suffix(t) for t in tokens(text)}
    said = {"yes" for t in toks if t in _STRONG_YES} | {"no" for t in toks if t in _STRONG_NO}
    return "both" if len(said) == 2 else (said.pop() if said else None)


def match_yes_no(pred: str, golds: Sequence[str]) -> TextResult:
    """The gold's polarity comes from its bare yes/no writings; phrase aliases ("fully
    understands") also count when the prediction contains them and says no opposite yes/no."""
    answer = next((p for p in map(_bare_polarity, golds) if p is not None), None)
    phrases = [g for g in golds if _bare_polarity(g) is None]
    strong = _strong_polarity(pred)
    if strong == "both":
        return TextResult(False, "contradiction")
    if phrases and strong in (None, answer):
        text = match_text(pred, phrases)
        if text.correct:
            return TextResult(True, f"text-{text.rule}")
    said = polarity(pred)
    if said is None or answer is None:
        return TextResult(False, "no-polarity")
    return TextResult(said == answer, "polarity" if said == answer else "value-mismatch")
