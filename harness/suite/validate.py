"""Check a loaded suite's content: every fact verifiable against its document."""

from __future__ import annotations

from collections import Counter

from harness.scoring.normalize import normalize_text
from harness.suite.evidence import explain_not_verbatim
from harness.suite.items import missing_fields, tf_truth
from harness.suite.loader import Suite
from harness.suite.schema import Fact


def _missing_fields(suite: Suite, fact: Fact, where: str) -> list[str]:
    """One line per field a task needs and `fact` lacks, naming the tasks that need it."""
    needers: dict[str, list[str]] = {}
    for task in suite.tasks:
        for name in missing_fields(fact, task):
            needers.setdefault(name, []).append(f"{task.name} ({task.regime}, {task.language})")
    if "ko" in suite.config.languages:  # the suite says its facts are bilingual
        for name in ("question_ko", "answer_ko"):
            if not getattr(fact, name) and name not in needers:
                needers[name] = ["suite.yaml languages: [.., ko]"]
    problems = []
    for name, tasks in needers.items():
        amount = " (at least 1)" if name.startswith("distractors") else ""
        problems.append(f"{where}: {name}: missing{amount}; needed by {', '.join(tasks)}")
    return problems


def _fact_problems(suite: Suite, fact: Fact) -> list[str]:
    where = f"{suite.fact_lines.get(fact.id, fact.id)}: fact {fact.id}"
    problems = []
    doc = suite.documents.get(fact.document)
    if doc is not None and fact.evidence not in doc.text:
        hint = explain_not_verbatim(fact.evidence, doc.text, doc.meta.file)
        problems.append(f"{where}: evidence: not found verbatim in document {fact.document!r}; "
                        f"{hint}")
    evidence = normalize_text(fact.evidence)
    if not any(normalize_text(a) in evidence for a in (fact.answer, *fact.aliases)):
        problems.append(f"{where}: answer: neither the answer nor an alias occurs in the evidence")
    problems.extend(_missing_fields(suite, fact, where))
    languages = [("", fact.answer, fact.aliases, fact.distractors)]
    if fact.answer_ko:
        languages.append(("_ko", fact.answer_ko, fact.aliases_ko, fact.distractors_ko or ()))
    for suffix, answer, aliases, distractors in languages:
        golds = {normalize_text(g) for g in (answer, *aliases)}
        seen: set[str] = set()
        for index, distractor in enumerate(distractors):
            norm = normalize_text(distractor)
            if not norm:
                problems.append(f"{where}: distractors{suffix}.{index}: empty after normalization")
            elif norm in golds:
                problems.append(f"{where}: distractors{suffix}.{index}: {distractor!r} equals the "
                                "answer or an alias after normalization")
            elif norm in seen:
                problems.append(f"{where}: distractors{suffix}.{index}: {distractor!r} repeats "
                                "another distractor")
            seen.add(norm)
    return problems


def _duplicates(suite: Suite, field: str) -> list[str]:
    counts = Counter(normalize_text(str(getattr(f, field) or "")) for f in suite.facts)
    problems = []
    for fact in suite.facts:
        text = getattr(fact, field)
        if text and counts[normalize_text(text)] > 1:
            where = suite.fact_lines.get(fact.id, fact.id)
            problems.append(f"{where}: fact {fact.id}: {field}: duplicate question")
    return problems


def _tf_balance(suite: Suite) -> list[str]:
    if not any(t.regime == "tf" for t in suite.tasks):
        return []
    truth = tf_truth(suite)
    problems = []
    for doc_id in suite.documents:
        values = [truth[f.id] for f in suite.facts if f.document == doc_id]
        true, false = sum(values), len(values) - sum(values)
        if abs(true - false) > 1:
            problems.append(f"{suite.root}/suite.yaml: document {doc_id}: tf: {true} true vs "
                            f"{false} false claims (unbalanced)")
    return problems


def validate_suite(suite: Suite) -> list[str]:
    """All content problems, one line each (empty when the suite is valid)."""
    problems: list[str] = []
    for fact in suite.facts:
        problems.extend(_fact_problems(suite, fact))
    problems.extend(_duplicates(suite, "question"))
    if "ko" in suite.config.languages:
        problems.extend(_duplicates(suite, "question_ko"))
    problems.extend(_tf_balance(suite))
    for doc_id in suite.documents:
        if not any(f.document == doc_id for f in suite.facts):
            problems.append(f"{suite.root}/suite.yaml: document {doc_id}: no facts")
    return problems
