"""Verification of every draft, whichever drafter made it: evidence verbatim (snapped when
near-verbatim), answer stated in the evidence by the scorer's typed matching, question not
giving the answer away and standing alone, no near-duplicate, and three same-type distractors
the scorer judges INCORRECT. The answer type is the scorer's inference, never the drafter's."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from harness.answer_types import AnswerType
from harness.build.distractors import candidates
from harness.build.draft import Draft, Rejection
from harness.build.evidence import find_answer, snap_evidence, states_answer
from harness.build.source import SourceDoc
from harness.build.standalone import unresolved
from harness.scoring.compare import NUMERIC_TYPES
from harness.scoring.infer import infer_answer_type
from harness.scoring.judge import Verdict, judge
from harness.scoring.lexicon import ROMAN_SURNAMES
from harness.scoring.normalize import normalize_text

SAME_ANSWER_LIMIT = 2  # facts of one document with the same answer ("North Korea" x 13)
NEAR_DUPLICATE = 85.0  # rapidfuzz ratio of two questions with the same answer (title aside)


@dataclass(frozen=True)
class Checked:
    """A draft that passed every check but the distractors: evidence exact, answer typed."""

    draft: Draft
    answer_type: AnswerType


def _blankless(question: str) -> str:
    return normalize_text(question.replace("___", " "))


def _type_disagreement(proposed: str | None, inferred: AnswerType) -> str:
    """Why the drafter's type and the scorer's inference cannot both hold ("" when they can):
    one says a person and the other not, or one a quantity and the other not."""
    try:
        mine = AnswerType(proposed) if proposed else None
    except ValueError:
        return ""
    if mine is None or mine is inferred:
        return ""
    if (mine is AnswerType.PERSON) != (inferred is AnswerType.PERSON):
        return "person or not"
    if (mine in NUMERIC_TYPES) != (inferred in NUMERIC_TYPES):
        return "quantity or not"
    return ""


def _is_correct(pred: str, answer: str, aliases: tuple[str, ...], kind: AnswerType) -> bool:
    return judge(pred, answer, aliases, kind).verdict is Verdict.CORRECT


@dataclass
class Verifier:
    """Checks the drafts of one build; remembers what it accepted (near-duplicates)."""

    accepted: list[Checked] = field(default_factory=list)

    def check(self, draft: Draft, doc: SourceDoc) -> Checked | Rejection:
        def no(reason: str, detail: str) -> Rejection:
            return Rejection(doc.id, reason, detail, draft.record())

        if not draft.question.strip() or not draft.answer.strip():
            return no("empty-field", "the question or the answer is empty")
        evidence = snap_evidence(draft.evidence, doc.text)
        if evidence is None:
            return no("evidence-not-in-document",
                      f"no span of the document matches the quote {draft.evidence[:80]!r}")
        kind = infer_answer_type(draft.answer)
        if disagreement := _type_disagreement(draft.answer_type, kind):
            return no("type-disagreement", f"the drafter calls {draft.answer!r} "
                      f"{draft.answer_type} but the scorer reads it as {kind.value} "
                      f"({disagreement}): its distractors and scoring would be wrong")
        aliases = tuple(a for a in draft.aliases if a.strip() and a != draft.answer)
        found = find_answer(draft.answer, aliases, kind, evidence)
        if found is None:
            return no("answer-not-in-evidence",
                      f"{draft.answer!r} ({kind.value}) is not stated in the evidence")
        if normalize_text(found) not in {normalize_text(g) for g in (draft.answer, *aliases)}:
            aliases = (*aliases, found)  # the evidence's own writing, so the quote shows it
        if states_answer(draft.question, draft.answer, aliases, kind):
            return no("question-contains-answer",
                      f"the question states the answer {draft.answer!r}")
        word = unresolved(draft.question, ignore=doc.title)
        if word is not None:
            return no("not-standalone", f"{word!r} needs the article to be understood")
        if draft.question_ko and (word_ko := unresolved(draft.question_ko, ignore=doc.title)):
            return no("not-standalone", f"{word_ko!r} needs the article to be understood")
        mine = _blankless(draft.question.replace(doc.title, " "))
        same = [o for o in self.accepted if o.draft.document == doc.id
                and normalize_text(o.draft.answer) == normalize_text(draft.answer)]
        if len(same) >= SAME_ANSWER_LIMIT:
            return no("same-answer-again", f"{len(same)} accepted facts of this document "
                      f"already have the answer {draft.answer!r}")
        for other in self.accepted:
            if other.draft.document != doc.id or not (
                    _is_correct(draft.answer, other.draft.answer, other.draft.aliases,
                                other.answer_type)
                    or _is_correct(other.draft.answer, draft.answer, aliases, kind)):
                continue
            theirs = _blankless(other.draft.question.replace(doc.title, " "))
            if other.draft.evidence == evidence or fuzz.ratio(mine, theirs) >= NEAR_DUPLICATE:
                return no("near-duplicate", f"asks for {draft.answer!r} as an accepted draft "
                          f"does ({other.draft.question[-80:]!r})")
        checked = Checked(replace(draft, evidence=evidence, aliases=aliases,
                                  answer_type=kind.value), kind)
        self.accepted.append(checked)
        return checked

    def forget(self, checked: Checked) -> None:
        """Drop a draft that failed later (distractors): it blocks no near-duplicate."""
        self.accepted = [c for c in self.accepted if c is not checked]


def _same_shape(candidate: str, answer: str) -> bool:
    """A person's distractor is written like the answer: a romanized Korean name ("Yeo Han-koo")
    for one, a Hangul name for a Hangul one, else anything the type inference calls a person."""
    first = answer.split()[0].lower() if answer.split() else ""
    if first in ROMAN_SURNAMES:
        return candidate.split()[0].lower() in ROMAN_SURNAMES
    hangul = all("\uac00" <= c <= "\ud7a3" for c in answer.replace(" ", ""))
    return hangul == all("\uac00" <= c <= "\ud7a3" for c in candidate.replace(" ", ""))


def choose_distractors(checked: Checked, language: str, pool: list[str],
                       others: list[Checked]) -> list[str]:
    """Up to three distractors: the drafter's own first, then the builder's candidates. Each
    one infers to the answer's type, is judged INCORRECT against the answer (and the answer
    against it), is none of the other facts' answers of the document, and repeats no other."""
    draft, kind = checked.draft, checked.answer_type
    golds = (draft.answer, *draft.aliases)
    tried = [*draft.distractors, *candidates(draft.answer, kind, language, pool,
                                             seed=draft.question)]
    chosen: list[str] = []
    seen = {normalize_text(g) for g in golds}
    for candidate in tried:
        norm = normalize_text(candidate)
        if not norm or norm in seen or len(candidate) > 80:
            continue
        if infer_answer_type(candidate) is not kind or not _same_shape(candidate, draft.answer):
            continue
        if _is_correct(candidate, draft.answer, draft.aliases, kind) or \
                _is_correct(draft.answer, candidate, (), kind):
            continue
        if any(_is_correct(candidate, o.draft.answer, o.draft.aliases, o.answer_type)
               for o in others if o is not checked and o.draft.document == draft.document):
            continue
        seen.add(norm)
        chosen.append(candidate)
        if len(chosen) == 3:
            break
    return chosen
