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


def match_yes_no(pred: str, golds: Sequence[str]) -> TextResult:
    said = polarity(pred)
    text_golds = [g for g in golds if polarity(g) not in ("yes", "no")]
    if said == "both":
        return TextResult(False, "contradiction")
    for g in golds:
        if polarity(g) in ("yes", "no") and said == polarity(g):
            return TextResult(True, "polarity")
    if text_golds:
        text = match_text(pred, text_golds)
        if text.correct:
            return TextResult(True, f"text-{text.rule}")
    return TextResult(False, "value-mismatch" if said else "no-polarity")
