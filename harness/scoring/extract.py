"""Pull the short answer out of a raw model output.

Order: reasoning (`<think>...</think>`; EXAONE emits no opening tag, so everything up to the LAST
`</think>` goes; an opened but never closed `<think>` is not attempted), end-of-turn tokens,
chat/format debris ("Answer:", "답:", markdown, quotes, trailing period), then the first non-empty
line and its first sentence (unless `first_line=False`), then refusal detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.scoring.normalize import collapse_spaces, unify
from harness.scoring.refusal import is_refusal, split_hedge


@dataclass(frozen=True)
class Extraction:
    """The answer text, whether the model attempted an answer, and `rule`: the steps applied
    ("+"-joined, e.g. "think-closed+stripped-prefix"), or why it is not attempted."""

    text: str
    attempted: bool
    rule: str


_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_END_OF_TURN = re.compile(
    r"\[\|endofturn\|\]|<\|im_end\|>|<\|eot_id\|>|<\|endoftext\|>|<\|end\|>|</s>|<eos>"
    r"|<end_of_turn>|<\|end_of_text\|>",
    re.IGNORECASE,
)
_SPECIAL = re.compile(r"\[\|[a-z_]+\|\]|<\|[a-z_]+\|>|<(?:start|end)_of_turn>(?:model)?", re.I)
_PREFIX = re.compile(
    r"^(?:(?:final|short|correct)\s+answer|answer|ans|a|response|output|정답|답|답변|최종\s*답변?|대답)"
    r"\s*[:：]\s*",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:the|my)\s+(?:final\s+|short\s+|correct\s+)?answer\s+is\s*:?\s*"
    r"|(?:정답|답|답변)(?:은|는)\s*:?\s*)",
    re.IGNORECASE,
)
_KO_COPULA_END = re.compile(r"(?<=[\w%)])\s?(?:입니다|이다|이에요|예요|였습니다|이었습니다)$")
_MARKER_ONLY = re.compile(r"^(?:#+\s*)?(?:final\s+answer|answer|정답|답|답변)\s*[:：]?$", re.I)
_BULLET = re.compile(r"^(?:[-*•]|#+)\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(
    r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)"
)
_QUOTES = "\"'“”‘’«»「」『』`"
_ABBREVIATIONS = frozenset({
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "sec", "art", "gen", "gov", "sen", "rep",
    "jr", "sr", "inc", "corp", "co", "ltd", "approx", "est", "etc", "e.g", "i.e", "u.s", "d.c",
    "a.m", "p.m", "u.k", "u.n", "pres", "dept", "govt", "min",
})
_NUMBER_SIGN = re.compile(r"\bno\.$", re.IGNORECASE)
_NEXT_CHAR = re.compile(r"\s*(\S)")
_WORD_WINDOW = 24  # longer than any abbreviation with its brackets
# The answer part of a prediction (after any reasoning) is cut to this many characters before
# extraction, so a degenerate generation costs bounded time; the raw output is kept as is.
MAX_ANSWER_CHARS = 4000
_SENTENCE_END = re.compile(r"[.!?。](?=\s|$)")


def _strip_debris(text: str, steps: list[str]) -> str:
    """Prefixes, markdown and quotes, repeatedly, then one trailing period."""
    while True:
        current = text
        text = _BULLET.sub("", text).strip()
        if (new := _BOLD.sub(lambda m: m.group(1) or m.group(2), text)) != text:
            text = new.strip()
            _add(steps, "stripped-markdown")
        if (new := _ITALIC.sub(lambda m: m.group(1) or m.group(2), text)) != text:
            text = new.strip()
            _add(steps, "stripped-markdown")
        if (new := _PREFIX.sub("", text)) != text or (new := _LEAD_IN.sub("", text)) != text:
            text = new.strip()
            _add(steps, "stripped-prefix")
        if len(text) >= 1 and (text[0] in _QUOTES or text[-1] in _QUOTES):
            text = text.strip(_QUOTES).strip()
            _add(steps, "stripped-quotes")
        if text == current:
            break
    trimmed = _drop_period(text)
    if (new := _KO_COPULA_END.sub("", trimmed)) != trimmed:
        text = new
        _add(steps, "stripped-copula")
    if text.endswith((".", "。")) and not _ends_with_abbreviation(text):
        text = _drop_period(text)
        _add(steps, "stripped-period")
    return text


def _drop_period(text: str) -> str:
    return text[:-1].rstrip() if text.endswith((".", "。")) else text


def _add(steps: list[str], step: str) -> None:
    if step not in steps:
        steps.append(step)


def _ends_with_abbreviation(text: str) -> bool:
    """Does `text` (ending in a period) end with "Aug." / "U.S." / an initial? Only the last
    word is looked at, so this costs the same on a long text as on a short one."""
    window = text[max(0, len(text) - _WORD_WINDOW): -1]
    words = window.split()
    if not words or (len(window) == _WORD_WINDOW - 1 and len(words) == 1
                     and not window[:1].isspace()):
        return False
    last = words[-1].lower().lstrip("(\"'")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha() and last.isupper())


def first_sentence(text: str) -> str:
    """Cut at the first sentence end; periods in "Aug. 1", "1.2 billion", "U.S." do not count."""
    for m in _SENTENCE_END.finditer(text):
        before = text[max(0, m.end() - _WORD_WINDOW): m.end()]
        if m.group() == "." and _ends_with_abbreviation(before):
            continue
        following = _NEXT_CHAR.match(text, m.end())
        if following and following.group(1).isdigit() and _NUMBER_SIGN.search(before):
            continue  # "No. 5"
        return text[: m.start()].strip()
    return text


def _drop_thinking(text: str, steps: list[str]) -> str | None:
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        _add(steps, "think-closed")
        return text[closes[-1].end():]
    if _THINK_OPEN.search(text):
        return None
    return text


def extract_answer(raw: str, *, first_line: bool = True) -> Extraction:
    """The short answer in `raw` (see the module docstring for the order of the steps)."""
    steps: list[str] = []
    text = _drop_thinking(unify(raw), steps)
    if text is None:
        return Extraction("", False, "think-unterminated")
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS]
        _add(steps, "cut-long")
    if eot := _END_OF_TURN.search(text):
        text = text[: eot.start()]
        _add(steps, "cut-end-of-turn")
    text = _SPECIAL.sub(" ", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if first_line:
        while lines and _MARKER_ONLY.match(_BOLD.sub(lambda m: m.group(1) or m.group(2),
                                                     lines[0]).strip()):
            lines = lines[1:]
            _add(steps, "stripped-prefix")
        if len(lines) > 1:
            _add(steps, "first-line")
        text = lines[0] if lines else ""
        text = _strip_debris(text, steps)
        cut = first_sentence(text)
        if cut != text and cut:
            text = _strip_debris(cut, steps)
            _add(steps, "first-sentence")
    else:
        text = _strip_debris(collapse_spaces(" ".join(lines)), steps)
    text = collapse_spaces(text)
    if not text:
        return Extraction("", False, "empty")
    hedged = split_hedge(text)
    if hedged is not None:
        return Extraction(_strip_debris(hedged, steps), True, "+".join([*steps, "hedged"]))
    if is_refusal(text):
        return Extraction(text, False, "refusal")
    return Extraction(text, True, "+".join(steps) or "verbatim")
