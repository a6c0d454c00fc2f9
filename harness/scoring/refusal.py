"""Refusals ("I don't know", "cannot answer", "모르겠습니다") and hedged guesses ("I'm not sure,
but I think it's 25%", "Probably Aug. 1", "아마 8월 1일")."""

from __future__ import annotations

import re

_REFUSALS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\b(?:i|we)\s+(?:do not|don't|dont|did not|didn't)\s+know\b",
        r"\b(?:i'm|im|i am)\s+not\s+(?:sure|certain|aware)\b",
        r"^not\s+(?:sure|certain)\b",
        r"^unknown\b|\b(?:is|are|was|remains|remain)\s+unknown\b|\bunknown\W*$",
        r"\b(?:cannot|can't|cant|can not|unable to|(?:am |'m |is |are )?not able to|could not"
        r"|couldn't)\s+(?:be\s+)?"
        r"(?:answer|answered|determine|determined|say|tell|find|provide|know|known|verify"
        r"|confirm|identify|recall|help|assist)\b",
        r"\bno\s+(?:information|answer|data|idea|way to know|record|details)\b",
        r"\b(?:not|isn't|is not|wasn't|was not|aren't|are not)\s+(?:mentioned|provided"
        r"|specified|stated|available|given|known|disclosed|reported)\b",
        r"^n/?a$",
        r"^(?:sorry|i'm sorry|i am sorry|i apologize|apologies)\b",
        r"\bas an ai\b",
        r"\bi\s+(?:have no|lack|don't have|do not have)\s+(?:information|knowledge|idea|access"
        r"|data|way)\b",
        r"^\?+$",
        r"\bunanswerable\b|\binsufficient information\b|\bno mention\b",
        r"\b(?:does not|doesn't|did not|didn't)\s+(?:mention|say|specify|state|provide|give"
        r"|disclose|indicate)\b",
        r"^(?:it is |it's |this is )?(?:unclear|not clear)\b",
        r"모르겠|모릅니다|모른다|모름|잘 모르|알\s?수\s?없|답(?:변)?(?:할|드릴)\s?수\s?없"
        r"|답하기 어렵|확인(?:할|하기)\s?(?:수\s?없|어렵)|확인되지 않|정보가 없|정보를 찾을 수 없"
        r"|언급되지 않|나와 있지 않|알려지지 않|확실하지 않|죄송|불명",
    )
)

_HEDGE_THEN_GUESS = re.compile(
    r"^(?:i(?:'m| am) not (?:100% |entirely |completely )?(?:sure|certain)|not sure"
    r"|i (?:do not|don't) know (?:for sure|exactly|for certain)|i can't be (?:sure|certain))"
    r"[^,;]*?[,;]?\s*(?:but|however|though)\s*,?\s*(?P<rest>.+)$"
    r"|^(?:확실하지 않|잘 모르|정확히는 모르|정확하지 않)\S*?(?:지만|으나|는데)\s*,?\s*"
    r"(?P<ko>.+)$",
    re.IGNORECASE,
)
_GUESS_LEAD = re.compile(
    r"^(?:(?:i think|i believe|i guess|my best guess is|my guess is|probably|maybe|perhaps"
    r"|possibly|likely|most likely|i'd say|it might be|it may be|it could be)\s*,?\s*)+"
    r"(?:(?:it's|it is|it was|that's|that is|the answer is|that would be)\s+)?"
    r"|^(?:아마(?:도)?|아마 그건|추측하건대|제 생각에는?)\s*,?\s*",
    re.IGNORECASE,
)
_KO_GUESS_END = re.compile(r"\s?(?:일|인) 것(?: 같습니다| 같아요| 같다|입니다|이다)$|\s?일 겁니다$")


def is_refusal(text: str) -> bool:
    """True if `text` declines to answer (English or Korean)."""
    lowered = text.strip().lower().replace("’", "'")
    return any(p.search(lowered) for p in _REFUSALS)


def split_hedge(text: str) -> str | None:
    """The guess inside a hedged answer, or None when `text` is not a hedge with a guess."""
    stripped = text.strip()
    if m := _HEDGE_THEN_GUESS.match(stripped):
        rest = (m.group("rest") or m.group("ko") or "").strip()
        rest = _GUESS_LEAD.sub("", rest).strip()
    elif m := _GUESS_LEAD.match(stripped):
        rest = stripped[m.end():].strip()
    else:
        return None
    rest = _KO_GUESS_END.sub("", rest).strip()
    if not rest or is_refusal(rest):
        return None
    return rest
