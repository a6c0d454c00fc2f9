"""Named-entity answer spans. English: runs of capitalised words (heuristic, with known limits:
one capitalised word that starts a sentence counts only when the document also capitalises it
elsewhere, while a run of several is kept ("Acme Corp said"); leading titles are cut from
person names; lower-case names such as "iPhone" and names that span a line break are missed).
Korean: kiwipiepy's proper nouns (NNP), adjacent ones joined."""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.answer_types import AnswerType
from harness.build.sentences import kiwi
from harness.build.source import Language
from harness.build.spans import Span
from harness.scoring.compare import NUMERIC_TYPES
from harness.scoring.infer import infer_answer_type
from harness.scoring.lexicon import EN_TITLES

_CAP = r"(?:[A-Z][A-Za-z0-9]*(?:[-'’.&][A-Za-z0-9]+)*\.?)"
_RUN = re.compile(
    rf"(?<![A-Za-z0-9]){_CAP}(?:[ ](?:(?:of|for|and|de|the)[ ])?(?:{_CAP}|\d+(?:\.\d+)?\b))*")
_POSSESSIVE = re.compile(r"['’]s | and ")  # "Korea's Trade Minister", "China and France"
_VERB_START = re.compile(r"^[A-Z][a-z]+(?:ing|ed)\s")  # "Blaming Yoon for ...", "Asked about"
_TITLE_TEXT = ("president minister chairman chairwoman ceo director ambassador secretary governor "
               "mayor senator prof dr mr mrs ms gen former then-president nominee lawmaker")
_TITLES = frozenset(_TITLE_TEXT.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_CALENDAR_TEXT = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday")
_CALENDAR = frozenset(_CALENDAR_TEXT.split())
_FUNCTION_TEXT = (
    "a an the this that these those in on at for of by to from with as and but or if when while "
    "he she it they we i you his her its their our my your there here however meanwhile also "
    "yet so not no after before since under over during about according")
_FUNCTION = frozenset(_FUNCTION_TEXT.split())
_GENERIC_TEXT = "AI API GPU GPUs LLM CEO CFO GDP IT TV PC AM PM OK ID PR VIP North South East West"
_GENERIC = frozenset(_GENERIC_TEXT.split())  # acronyms that are not names
_NOT_PERSON_TEXT = (  # last words that make a capitalised run a place, thing or body
    "river bridge street road avenue park lake mountain island bay sea ocean valley council "
    "committee day week face hall center centre station airport port harbor harbour tower "
    "building square festival award prize cup league act law party group company times post "
    "news herald journal school college university hospital church museum club market index "
    "summit forum fund bank institute agency ministry"
)
_NOT_PERSON = frozenset(_NOT_PERSON_TEXT.split())
_KO_NOT_PERSON = frozenset("항시도군구강산섬역교로길동리천호")  # 부산항, 한강: places
_TRAILING = re.compile(r"(?:[ ](?:of|for|and|de|the))+$|['’]s$|\.$")


def capitalised_words(text: str) -> set[str]:
    """Words the document capitalises somewhere other than at the start of a sentence."""
    found: set[str] = set()
    for match in re.finditer(r"(?<=[a-z,;:] )([A-Z][A-Za-z'’-]*)", text):
        found.add(match.group(1).lower())
    return found


def _person_core(text: str) -> str:
    """Cut leading title words ("Trade Minister Yeo Han-koo" -> "Yeo Han-koo") when what is
    left reads as a person's name; a title before one name goes ("President Yoon" -> "Yoon")."""
    words = text.split()
    if len(words) == 2 and words[0].lower() in _TITLES:
        return words[1]
    for cut in range(1, len(words) - 1):
        if words[cut - 1].lower().strip(".") not in EN_TITLES:
            break
        rest = " ".join(words[cut:])
        if infer_answer_type(rest) is AnswerType.PERSON:
            return rest
    return text


def _runs(sentence: str) -> Iterable[tuple[int, str]]:
    """Capitalised runs, split after a possessive ("South Korea's Trade Minister ...")."""
    for match in _RUN.finditer(sentence):
        start = match.start()
        text = match.group(0)
        cuts = [0, *(m.end() for m in _POSSESSIVE.finditer(text))]
        ends = [m.start() for m in _POSSESSIVE.finditer(text)] + [len(text)]
        for a, b in zip(cuts, ends, strict=True):
            yield start + a, text[a:b]


def _english(sentence: str, known: set[str]) -> Iterable[tuple[int, str]]:
    for start, text in _runs(sentence):
        if _VERB_START.match(text):
            cut = text.index(" ") + 1
            start, text = start + cut, text[cut:]
        while True:  # drop leading function words ("The", "In") and sentence-initial words
            first = _WORD.match(text)
            word = first.group(0).lower() if first else ""
            initial = sentence[:start].strip(" \"'“‘(") == ""
            if word in _FUNCTION or word in _CALENDAR:
                cut = text.find(" ")
                if cut < 0:
                    text = ""
                    break
                start += cut + 1
                text = text[cut + 1:]
                continue
            if initial and word not in known and " " not in text:
                text = ""  # "Globally," alone: an opener, not a name
            break
        text = _TRAILING.sub("", text).strip()
        if not text or len(text) < 2 or text in _GENERIC or \
                _CALENDAR & set(text.lower().replace(".", "").split()):
            continue
        core = _person_core(text)
        start += text.index(core)
        yield start, core


def _korean(sentence: str) -> Iterable[tuple[int, str]]:
    run_start, run_end = -1, -1
    for token in kiwi().tokenize(sentence):
        if token.tag == "NNP":
            if run_start >= 0 and token.start - run_end <= 1:
                run_end = token.start + token.len
                continue
            if run_start >= 0:
                yield run_start, sentence[run_start:run_end]
            run_start, run_end = token.start, token.start + token.len
        elif run_start >= 0:
            yield run_start, sentence[run_start:run_end]
            run_start = -1
    if run_start >= 0:
        yield run_start, sentence[run_start:run_end]


def entity_spans(sentence: str, language: Language, known: set[str] | None = None) -> list[Span]:
    """Named-entity spans of `sentence` typed by the scorer's inference (quantities left out:
    `spans.quantity_spans` finds those)."""
    found = _korean(sentence) if language == "ko" else _english(sentence, known or set())
    out: list[Span] = []
    for start, text in found:
        kind = infer_answer_type(text)
        if kind in NUMERIC_TYPES or kind is AnswerType.YES_NO:
            continue
        if kind is AnswerType.PERSON and (text.split()[-1].lower() in _NOT_PERSON
                                          or text[-1] in _KO_NOT_PERSON):
            kind = AnswerType.PHRASE  # "Alder River": the drafter's guess, which verify weighs
        out.append(Span(start, start + len(text), text, kind))
    return out
