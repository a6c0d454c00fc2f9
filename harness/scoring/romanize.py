"""Korean names in Latin letters: does a Latin spelling romanize a Hangul name?

The Hangul side comes from `hangul-romanize` (syllable decomposition and the Revised
Romanization of each initial, vowel and final). The Latin side is a small table of spelling
variants: for each Revised piece, the McCune-Reischauer spelling (breves and apostrophes
dropped) and the common personal spellings ("eo" = "u" = "o": Seok / Suk / Sok; "u" = "oo":
Koo; "yeo" = "yu": Myung), plus the conventional spellings of surnames that no rule gives
(이 = Lee / Yi / Rhee, 박 = Park / Pak, 노 = Roh / Noh). Names are romanized syllable by syllable
(no sound changes across syllables), the given name's syllables written together, hyphenated or
spaced, surname first or last.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from hangul_romanize.core import Syllable
from hangul_romanize.rule import REVISED_FINALS, REVISED_INITIALS, REVISED_VOWELS

# Revised initial (as hangul-romanize writes it) -> its Latin spellings.
INITIAL_VARIANTS: dict[str, tuple[str, ...]] = {
    "g": ("g", "k"), "kk": ("kk", "gg", "k"), "n": ("n",), "d": ("d", "t"), "tt": ("tt", "t"),
    "l": ("r", "l", "n"), "m": ("m",), "b": ("b", "p"), "pp": ("pp", "bb", "p"),
    "s": ("s", "sh"), "ss": ("ss", "s"), "": ("",), "j": ("j", "ch"), "jj": ("jj", "tch", "j"),
    "ch": ("ch",), "k": ("k", "kh"), "t": ("t", "th"), "p": ("p", "ph"), "h": ("h",),
}
# Revised vowel -> its Latin spellings.
VOWEL_VARIANTS: dict[str, tuple[str, ...]] = {
    "a": ("a", "ah"), "ae": ("ae", "ai", "e"), "ya": ("ya",), "yae": ("yae", "yai"),
    "eo": ("eo", "u", "o", "uh", "ou"), "e": ("e",), "yeo": ("yeo", "yo", "yu", "you", "yeu"),
    "ye": ("ye",), "o": ("o", "oh"), "wa": ("wa",), "wae": ("wae",), "oe": ("oe", "oi", "we"),
    "yo": ("yo",), "u": ("u", "oo", "woo"), "wo": ("wo", "weo"), "we": ("we",), "wi": ("wi", "wee"),
    "yu": ("yu", "yoo", "you"), "eu": ("eu", "u", "ue"), "ui": ("ui", "eui", "i"), "i": ("i", "ee"),
}
# Written final (hangul-romanize's transliteration) -> the spellings of its sound.
_FINAL_SOUND: dict[str, tuple[str, ...]] = {
    "": ("",), "g": ("k", "g"), "kk": ("k", "g"), "gs": ("k", "g"), "k": ("k", "g"),
    "lg": ("k", "l"), "n": ("n",), "nj": ("n",), "nh": ("n",), "d": ("t", "d"), "s": ("t", "s"),
    "ss": ("t", "s"), "j": ("t", "j"), "ch": ("t",), "t": ("t",), "h": ("t", "h"),
    "l": ("l",), "lm": ("m", "l"), "lb": ("l", "p"), "ls": ("l",), "lt": ("l",), "lp": ("p", "l"),
    "lh": ("l",), "m": ("m",), "b": ("p", "b"), "bs": ("p", "b"), "p": ("p", "b"), "ng": ("ng",),
}
# Surname spellings that the rules above do not give.
SURNAME_SPELLINGS: dict[str, tuple[str, ...]] = {
    "이": ("lee", "yi", "rhee", "rhie", "ri", "yee", "i"), "박": ("park", "pak", "bak", "bahk"),
    "최": ("choi", "choe", "choy", "chey"), "노": ("roh", "noh", "no", "ro"),
    "안": ("ahn", "an"), "오": ("oh", "o"), "서": ("suh", "seo", "so"), "신": ("shin", "sin"),
    "손": ("sohn", "son"), "백": ("paik", "baek", "paek", "baik"), "허": ("hur", "heo", "huh"),
    "엄": ("uhm", "eom", "um"), "류": ("ryu", "yoo", "yu", "lyu", "rhyu"),
    "유": ("yoo", "yu", "you"), "임": ("lim", "im", "rim", "yim"), "곽": ("kwak", "gwak"),
    "권": ("kwon", "gwon", "kweon"), "여": ("yeo", "yuh", "yo"), "나": ("na", "ra"),
    "라": ("ra", "na"), "양": ("yang", "ryang"), "정": ("chung", "jung", "jeong", "cheong"),
    "김": ("kim", "gim"), "문": ("moon", "mun"), "윤": ("yoon", "yun", "youn"),
}


def fold_latin(text: str) -> str:
    """Lower case without diacritics or apostrophes ("Sŏk" -> "sok", "P'yŏng" -> "pyong")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed
                   if not unicodedata.combining(ch) and ch not in "'’ʼ‘`-")


@lru_cache(maxsize=4096)
def syllable_spellings(char: str, *, surname: bool = False) -> frozenset[str]:
    """Every Latin spelling of one Hangul syllable (a surname also gets its table entries)."""
    s = Syllable(char=char)
    initial = REVISED_INITIALS[s.initial]
    vowel = REVISED_VOWELS[s.vowel]
    final = REVISED_FINALS[s.final]
    out = {i + v + f for i in INITIAL_VARIANTS[initial] for v in VOWEL_VARIANTS[vowel]
           for f in _FINAL_SOUND[final]}
    if surname:
        out |= set(SURNAME_SPELLINGS.get(char, ()))
    return frozenset(out)


def _spells(latin: str, syllables: Sequence[frozenset[str]]) -> bool:
    """Can `latin` be cut into consecutive pieces, one spelling of each syllable in order?"""
    reach = {0}
    for spellings in syllables:
        reach = {p + len(sp) for p in reach for sp in spellings if latin.startswith(sp, p)}
        if not reach:
            return False
    return len(latin) in reach


def romanizes(latin: str, surname: str, given: str, *, part: bool = True) -> bool:
    """Does `latin` (folded, separators removed) spell the Hangul name `surname` + `given`:
    the full name in either order, or (with `part`) the surname or the given name alone?"""
    if not latin or not latin.isascii() or not latin.isalpha():
        return False
    sur = ([syllable_spellings(surname, surname=True)] if len(surname) == 1
           else [syllable_spellings(c) for c in surname])
    giv = [syllable_spellings(c) for c in given]
    orders = [sur + giv, giv + sur] if giv else [sur]
    if part:
        orders += [sur, giv] if giv else []
    return any(_spells(latin, order) for order in orders if order)


# Place suffixes: the Hangul syllable, its romanized suffix, the English words for it.
PLACE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "도": ("do", "island", "province"), "시": ("si", "city"), "군": ("gun", "county"),
    "구": ("gu", "district"), "동": ("dong", "neighborhood"), "읍": ("eup", "town"),
    "면": ("myeon", "township"), "산": ("san", "mountain", "mount", "mt"),
    "강": ("gang", "river"),
}


def romanizes_place(latin_words: Sequence[str], hangul: str) -> bool:
    """Do the folded Latin words ("jeju", "island") spell the Hangul place name ("제주도"),
    a suffix given in English or romanized ("Jeju-do" = "Jeju Island"), or left out?"""
    if not latin_words or not hangul or not all("\uac00" <= c <= "\ud7a3" for c in hangul):
        return False
    words = [w for w in latin_words if w]
    suffix = PLACE_SUFFIXES.get(hangul[-1])
    stems = [(hangul, words)]
    if suffix and len(hangul) >= 3:
        stems.append((hangul[:-1], words))
        if words[-1] in suffix:
            stems.append((hangul[:-1], words[:-1]))
    for stem, latin in stems:
        joined = "".join(latin)
        if joined.isascii() and joined.isalpha() and _spells(
                joined, [syllable_spellings(c) for c in stem]):
            return True
    return False
