"""Text normalization shared by the scorer (English and Korean).

`normalize_text` is the canonical form used for text comparison and token F1: Unicode NFKC,
case folding, possessive "'s" dropped, intra-word hyphens/apostrophes/periods/commas removed
("Dong-young" -> "dongyoung", "1,200" -> "1200"), every other punctuation mark or symbol turned
into a space, the English articles a/an/the dropped, whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

ARTICLES = frozenset({"a", "an", "the"})

# Korean particles (josa) and copula endings that may follow a name or noun. Longest first so
# that "에서" wins over "에".
KOREAN_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "은", "는", "이", "가", "을", "를", "의", "에", "에서", "와", "과", "도", "로", "으로",
            "에게", "께서", "까지", "부터", "만", "이나", "나", "이며", "이고", "이자", "인",
            "이다", "입니다", "이에요", "예요", "이었다", "였다", "였습니다", "이었습니다",
            "씨", "님", "라고", "이라고", "라는", "이라는", "요",
        },
        key=lambda s: (-len(s), s),
    )
)

_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-",
                         "−": "-", "’": "'", "‘": "'", "ʼ": "'", "`": "'",
                         "“": '"', "”": '"', "„": '"'})
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_JOINERS = re.compile(r"(?<=[^\W_])[-'.,](?=[^\W_])")
_SPACES = re.compile(r"\s+")


def is_hangul(ch: str) -> bool:
    """True for a precomposed Hangul syllable."""
    return "\uac00" <= ch <= "\ud7a3"


def has_hangul(text: str) -> bool:
    return any(is_hangul(ch) for ch in text)


def unify(text: str) -> str:
    """NFKC plus ASCII dashes, apostrophes and double quotes; case is kept."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def normalize_text(text: str) -> str:
    """The canonical comparison form of `text` (see the module docstring)."""
    s = unify(text).casefold()
    s = _POSSESSIVE.sub("", s)
    s = _JOINERS.sub("", s)
    s = "".join(" " if _is_punct_or_symbol(ch) else ch for ch in s)
    words = [w for w in s.split() if w not in ARTICLES]
    return " ".join(words)


def tokens(text: str) -> list[str]:
    return normalize_text(text).split()


def split_korean_suffix(token: str, stem: str) -> bool:
    """True if `token` is `stem` followed by up to two Korean particles/copula endings."""
    if not token.startswith(stem):
        return False
    rest = token[len(stem):]
    if not rest:
        return True
    for first in KOREAN_SUFFIXES:
        if rest == first:
            return True
        if rest.startswith(first) and rest[len(first):] in KOREAN_SUFFIXES:
            return True
    return False


def strip_korean_suffix(token: str, *, min_stem: int = 2) -> str:
    """Drop one trailing particle from a Hangul token when at least `min_stem` chars remain."""
    if not token or not is_hangul(token[-1]):
        return token
    for suffix in KOREAN_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= min_stem:
            return token[: -len(suffix)]
    return token


def f1_tokens(text: str) -> list[str]:
    """Tokens for F1: `tokens` with one Korean particle stripped from Hangul words of 3+ chars."""
    return [strip_korean_suffix(t) if len(t) >= 3 else t for t in tokens(text)]


def _f1(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision = same / len(pred)
    recall = same / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD-style token F1 after `normalize_text`, the maximum over `golds` (0.0 if none)."""
    pred = f1_tokens(prediction)
    return max((_f1(pred, f1_tokens(g)) for g in golds), default=0.0)


def strict_exact_match(prediction: str, golds: Sequence[str]) -> bool:
    """The lm-eval-like baseline: equal after lower-casing and stripping whitespace only."""
    p = prediction.strip().lower()
    return any(p == g.strip().lower() for g in golds)


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
