"""Evidence checks: the quote is a verbatim span of the document (a near-verbatim quote is
snapped to the exact span with rapidfuzz), and the answer is in it by the scorer's typed
matching."""

from __future__ import annotations

import re

from harness.answer_types import AnswerType
from harness.scoring.judge import Verdict, judge
from harness.scoring.normalize import normalize_text

SNAP_SCORE = 90.0  # rapidfuzz partial_ratio needed to take a quote as the span it resembles


def snap_evidence(evidence: str, text: str) -> str | None:
    """`evidence` itself when it is in `text`; else the span of `text` it nearly quotes (whole
    words), or None when there is none."""
    quote = evidence.strip()
    if not quote:
        return None
    if quote in text:
        return quote
    squeezed = " ".join(quote.split())
    if squeezed in text:
        return squeezed
    from rapidfuzz import fuzz

    found = fuzz.partial_ratio_alignment(squeezed, text, score_cutoff=SNAP_SCORE)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    while start > 0 and text[start - 1].isalnum():  # widen to whole words
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    span = text[start:end].strip()
    if len(span) < 0.8 * len(squeezed) or "\n\n" in span:
        return None
    return span


_STARTS = re.compile(r"[\"'“‘(]?(?:[0-9A-Z$₩€£¥가-힣]|(?:one|two|three|four|five|six|seven|eight"
                     r"|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred)\b)")


def _windows(evidence: str, size: int) -> list[str]:
    """Runs of `size - 1` to `size + 2` words that start where an answer can (a digit, a
    capital, a currency sign, Hangul, a number word): the candidates the scorer judges."""
    words = evidence.split()
    out = []
    for i, word in enumerate(words):
        if not _STARTS.match(word):
            continue
        for width in range(max(1, size - 1), size + 3):
            if i + width <= len(words):
                out.append(" ".join(words[i: i + width]).strip(" ,.;:\"'“”‘’()"))
    return [w for w in dict.fromkeys(out) if w]


def find_answer(answer: str, aliases: tuple[str, ...], kind: AnswerType,
                evidence: str) -> str | None:
    """A run of the evidence's words that the scorer judges CORRECT for the answer (the
    answer as written when it occurs there), or None when the evidence does not state it."""
    norm_evidence = normalize_text(evidence)
    for gold in (answer, *aliases):
        norm = normalize_text(gold)
        if norm and f" {norm} " in f" {norm_evidence} ":
            windows = _windows(evidence, len(gold.split()))
            for window in windows:
                if normalize_text(window) == norm:
                    return window
            return gold
    size = max(len(g.split()) for g in (answer, *aliases))
    for window in _windows(evidence, size):
        if _typed_match(window, answer, aliases, kind) and \
                _typed_match(answer, window, (), kind):
            return window
    return None


def states_answer(text: str, answer: str, aliases: tuple[str, ...], kind: AnswerType) -> bool:
    """Whether `text` (a question) gives the answer away: the answer's words, or (numbers,
    dates...) a run of its words that the scorer judges CORRECT."""
    norm_text = f" {normalize_text(text)} "
    for gold in (answer, *aliases):
        norm = normalize_text(gold)
        if norm and f" {norm} " in norm_text:
            return True
    size = max(len(g.split()) for g in (answer, *aliases))
    return any(_typed_match(window, answer, aliases, kind) for window in _windows(text, size))


def _typed_match(pred: str, answer: str, aliases: tuple[str, ...], kind: AnswerType) -> bool:
    """The scorer's verdict is CORRECT, and not by a bare number standing in for a unit
    ("4" in "March 4" is no "four years")."""
    verdict = judge(pred, answer, aliases, kind)
    return verdict.verdict is Verdict.CORRECT and "bare-number" not in verdict.rule
