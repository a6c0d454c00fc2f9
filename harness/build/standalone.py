"""Whether a question stands alone: no pronoun, bare definite description ("the company") or
relative time ("this week", "on Tuesday") that only the article resolves. A heuristic with a
reason: it reads the words, not their referents. A personal pronoun ("he", "its") passes when a
name comes before it in the same quote ("Kim said he ..."), right or wrong; "this", "the
company", "this week" never pass; "the Cabinet" is allowed."""

from __future__ import annotations

import re

_PRONOUNS_EN = r"he|she|him|his|her|hers|they|them|their|theirs|it|its|we|us|our|this|these|those"
_DEFINITE_EN = (
    r"the (company|firm|group|ministry|minister|official|officials|spokesperson|agency|"
    r"government|country|city|bill|law|report|model|plan|deal|president|leader|nominee|"
    r"department|organization|organisation|party|team|side|two sides|source|sources|"
    r"study|survey|lawmaker|lawmakers|move|measure|proposal|project|latest)"
)
_RELATIVE_EN = (
    r"(?:this|last|next|that) (?:week|month|year|weekend|morning|afternoon|evening)|"
    r"yesterday|today|tomorrow|tonight|earlier this \w+|later this \w+|recently|"
    r"(?:on |last |next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)


def _lower_or_capitalised(pattern: str) -> str:
    """Each alternative's words as written lower-case or with a capital first letter ("he",
    "He", "the company", "The company", "tuesday", "Tuesday"), but never in capitals: "US" is
    the country, not "us"."""
    return re.sub(r"(^|\||\(\?:)([a-z])",
                  lambda m: f"{m.group(1)}[{m.group(2).upper()}{m.group(2)}]", pattern)


_EN = re.compile(
    rf"\b(?:{_lower_or_capitalised(_RELATIVE_EN)}|{_lower_or_capitalised(_DEFINITE_EN)}"
    rf"|{_lower_or_capitalised(_PRONOUNS_EN)})\b")
_KO = re.compile(
    r"(?:^|[\s\"“(])(?:그는|그가|그의|그녀|그들|이들|이는|이번 주|지난주|다음 주|이번 달|"
    r"지난달|다음 달|"
    r"올해|지난해|작년|내년|어제|오늘|내일|이날|전날|당일|[월화수목금토일]요일|같은 날|해당 기업|"
    r"이 회사|동사|당사)"
)


_PERSONAL_TEXT = "he she him his her hers they them their theirs it its"
_PERSONAL = frozenset(_PERSONAL_TEXT.split())
_NAME_BEFORE = re.compile(r"\b[A-Z][A-Za-z-]+")
_NOT_NAMES_TEXT = (
    "The A An This That These Those In On At For Of By To From With As And But Or If When While "
    "He She It They We I You His Her Its Their Our However Meanwhile Also Yet So "
    "What Which Who Whom Whose When Where Why How According Fill Answer Question Article")
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _antecedent_before(text: str, position: int) -> bool:
    """Whether `position` is inside a quote that names someone before it ("Kim said he ...");
    a pronoun outside quotes never has an antecedent in the question."""
    before = text[:position]
    straight = before.count('"') % 2 == 1
    curly = before.rfind("“") > before.rfind("”")
    if not (straight or curly):
        return False
    quote = max(before.rfind('"'), before.rfind("“"))
    return any(m.group(0) not in _NOT_NAMES for m in _NAME_BEFORE.finditer(before[quote + 1:]))


def unresolved(question: str, *, ignore: str = "") -> str | None:
    """The first word of `question` (outside `ignore`, e.g. the article title the question
    names; only an alternative's first word may be capitalised: "The company", not "The
    Company Act") that needs the article to be understood, or None when it stands alone."""
    text = question.replace(ignore, " ") if ignore else question
    for match in _EN.finditer(text):
        if match.group(0).lower() in _PERSONAL and _antecedent_before(text, match.start()):
            continue  # "LG said its model ...": the quote names whose
        return match.group(0)
    found = _KO.search(text)
    return found.group(0).strip(" \"“(") if found else None
