"""Build the items of one task (regime) from a suite's facts, deterministically."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from harness.answer_types import AnswerType
from harness.errors import HarnessError
from harness.suite.model import Suite
from harness.suite.render import render_template
from harness.suite.schema import CHOICE_REGIMES, Fact, TaskDef
from harness.suite.variables import explain_missing


@dataclass(frozen=True)
class Item:
    """One question put to a model, with everything needed to score and audit it."""

    item_id: str
    task: str
    regime: str
    fact_id: str
    document: str
    question: str
    answer: str
    aliases: tuple[str, ...]
    answer_type: AnswerType
    as_of: dt.date
    evidence: str
    prompt: str
    choices: tuple[str, ...] = ()
    label: int | None = None  # index of the correct choice (mc, tf: 0 = true claim)
    proposed: str | None = None  # tf: the proposed answer shown in the claim
    example_prompt: str = ""  # the prompt when this item is shown as a few-shot example
    answer_ko: str | None = None  # the answer in Hangul (romanized answers match it)
    excluded: tuple[str, ...] = ()  # never accepted as a short form: distractors, other answers

    @property
    def target(self) -> str:
        """The correct completion: the answer, or the correct choice."""
        return self.answer if self.label is None else self.choices[self.label]


def _seeded(*parts: str) -> random.Random:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def missing_fields(fact: Fact, task: TaskDef) -> list[str]:
    """The fields `task` needs that `fact` lacks (empty when it can be rendered)."""
    ko = task.language == "ko"
    needed = ["question_ko", "answer_ko"] if ko else []
    if task.regime in CHOICE_REGIMES:
        needed.append("distractors_ko" if ko else "distractors")
    return [name for name in needed if not getattr(fact, name)]


def _golds(suite: Suite, fact: Fact,
           task: TaskDef) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """question, answer, aliases, distractors in the task's language."""
    missing = missing_fields(fact, task)
    if missing:
        where = suite.fact_lines.get(fact.id, f"fact {fact.id}")
        raise HarnessError(f"{where}: fact {fact.id}: {missing[0]}: missing; task {task.name} "
                           f"(regime {task.regime}, language {task.language}) needs "
                           f"{' and '.join(missing)}")
    if task.language == "ko":
        return (fact.question_ko or "", fact.answer_ko or "", fact.aliases_ko,
                fact.distractors_ko or ())
    return fact.question, fact.answer, fact.aliases, fact.distractors


def tf_truth(suite: Suite) -> dict[str, bool]:
    """Which facts get a true claim: alternate within each document (balanced per article)."""
    truth: dict[str, bool] = {}
    for doc_id in suite.documents:
        ordered = sorted((f for f in suite.facts if f.document == doc_id), key=lambda f: f.id)
        offset = _seeded(suite.name, doc_id, "tf").randrange(2)
        for index, fact in enumerate(ordered):
            truth[fact.id] = (index + offset) % 2 == 0
    return truth


def document_answers(suite: Suite, task: TaskDef) -> dict[str, list[str]]:
    """Each document's fact answers in the task's language."""
    answers: dict[str, list[str]] = {}
    for fact in suite.facts:
        answer = fact.answer_ko if task.language == "ko" else fact.answer
        if answer:
            answers.setdefault(fact.document, []).append(answer)
    return answers


def _excluded(answer: str, aliases: tuple[str, ...], distractors: tuple[str, ...],
              others: list[str]) -> tuple[str, ...]:
    """What the scorer must never accept as an acronym or short name of this item's answer:
    its distractors and the other answers of its document (not the answer's own forms)."""
    own = {answer.casefold(), *(a.casefold() for a in aliases)}
    return tuple(dict.fromkeys(x for x in (*distractors, *others) if x.casefold() not in own))


def _build(suite: Suite, task: TaskDef, fact: Fact, truth: dict[str, bool],
           answers: dict[str, list[str]] | None = None) -> Item:
    question, answer, aliases, distractors = _golds(suite, fact, task)
    doc = suite.documents[fact.document]
    variables: dict[str, object] = {"question": question, "title": doc.meta.title}
    if task.with_document:
        variables["document"] = doc.text.strip()
    choices: tuple[str, ...] = ()
    label: int | None = None
    proposed: str | None = None
    if task.regime == "mc":
        options = [answer, *distractors]  # any number of distractors; 3 keep their old order
        _seeded(suite.name, task.name, fact.id).shuffle(options)
        choices, label = tuple(options), options.index(answer)
    elif task.regime == "tf":
        is_true = truth[fact.id]
        pick = _seeded(fact.id, "tf").randrange(len(distractors))
        proposed = answer if is_true else distractors[pick]
        variables["proposed"] = proposed
        choices, label = task.tf_choices, 0 if is_true else 1
    where = f"{suite.task_location(task.name)}: task {task.name}"
    hint = explain_missing(task.regime, task.with_document)
    prompt = render_template(task.template, where, "template", hint, **variables)
    example = (render_template(task.fewshot_template, where, "fewshot_template", hint,
                               **variables)
               if task.fewshot_template else prompt)
    return Item(
        item_id=f"{task.name}:{fact.id}",
        task=task.name,
        regime=task.regime,
        fact_id=fact.id,
        document=fact.document,
        question=question,
        answer=answer,
        aliases=aliases,
        answer_type=fact.answer_type,
        as_of=fact.as_of or doc.meta.published,
        evidence=fact.evidence,
        prompt=prompt,
        choices=choices,
        label=label,
        proposed=proposed,
        example_prompt=example,
        answer_ko=fact.answer_ko,
        excluded=_excluded(answer, aliases, distractors,
                           (answers or {}).get(fact.document, [])),
    )


def build_items(suite: Suite, task: TaskDef, limit: int | None = None) -> list[Item]:
    """Items of `task` in fact order (first `limit` facts when given)."""
    facts = suite.facts[:limit] if limit else suite.facts
    truth = tf_truth(suite)
    answers = document_answers(suite, task)
    return [_build(suite, task, fact, truth, answers) for fact in facts]


def _renderable(fact: Fact, task: TaskDef) -> bool:
    """Whether `fact` has the fields `task` asks for (missing fields are reported by
    validation, not here)."""
    return not missing_fields(fact, task)


def check_templates(suite: Suite) -> list[str]:
    """Render every task's templates once, for its first fact, as a run would: syntax errors,
    sandbox refusals and undefined variables show when the suite loads, not mid-run. One
    located line per broken task (empty when all render)."""
    truth: dict[str, bool] | None = None
    problems = []
    for task in suite.tasks:
        fact = next((f for f in suite.facts if _renderable(f, task)), None)
        if fact is None:
            continue
        if truth is None:
            truth = tf_truth(suite)
        try:
            _build(suite, task, fact, truth)
        except HarnessError as err:
            problems.append(str(err))
    return problems
