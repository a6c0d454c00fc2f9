"""One build: read the documents, draft, verify every draft, choose distractors, and return
the facts and rejections per document (writer.py writes them). Each bad input is one line in
`problems`, and the build goes on with the others."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.build.draft import Draft, Rejection
from harness.build.entities import capitalised_words, entity_spans
from harness.build.reader import MAX_BYTES, expand_inputs, read_document
from harness.build.sentences import split_sentences
from harness.build.source import SourceDoc
from harness.build.verify import Checked, Verifier, choose_distractors
from harness.errors import HarnessError
from harness.suite.schema import Fact

Drafter = Callable[[SourceDoc], Iterable[Draft | Rejection]]


@dataclass(frozen=True)
class BuildOptions:
    published: dt.date | None = None
    outlet: str | None = None
    max_bytes: int = MAX_BYTES
    max_facts: int | None = None  # per document, the first in text order


@dataclass
class DocResult:
    doc: SourceDoc
    drafts: int = 0
    facts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass
class BuildResult:
    documents: list[DocResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    drafter: str = ""


def read_all(paths: list[Path], options: BuildOptions) -> tuple[list[SourceDoc], list[str]]:
    files, problems = expand_inputs(paths)
    docs: list[SourceDoc] = []
    ids: set[str] = set()
    for path in files:
        try:
            doc = read_document(path, max_bytes=options.max_bytes,
                                published=options.published, outlet=options.outlet)
        except HarnessError as err:
            problems.append(str(err))
            continue
        base, n = doc.id, 2
        while doc.id in ids:
            doc = _with_id(doc, f"{base}-{n}")
            n += 1
        ids.add(doc.id)
        docs.append(doc)
    return docs, problems


def _with_id(doc: SourceDoc, new_id: str) -> SourceDoc:
    from dataclasses import replace

    return replace(doc, id=new_id)


def name_pool(docs: list[SourceDoc]) -> dict[tuple[str, str], list[str]]:
    """Named entities of every document by (language, answer type): distractor candidates."""
    pool: dict[tuple[str, str], list[str]] = {}
    for doc in docs:
        known = capitalised_words(doc.text) if doc.language == "en" else set()
        for sentence in split_sentences(doc.text, doc.language):
            if " ".join(sentence.text.split()) == doc.title:
                continue
            for span in entity_spans(sentence.text, doc.language, known):
                pool.setdefault((doc.language, span.answer_type.value), []).append(span.text)
    return pool


def fact_record(checked: Checked, distractors: list[str], doc: SourceDoc, number: int,
                as_of: dt.date) -> dict[str, Any]:
    draft = checked.draft
    record: dict[str, Any] = {
        "id": f"{doc.id}-{number:03d}", "document": doc.id, "evidence": draft.evidence,
        "question": draft.question, "answer": draft.answer, "aliases": list(draft.aliases),
        "answer_type": checked.answer_type.value, "distractors": distractors,
        "as_of": as_of.isoformat(),
    }
    if doc.language == "ko":  # a Korean document's facts are Korean: the ko regimes ask them
        record.update(question_ko=draft.question_ko or draft.question,
                      answer_ko=draft.answer_ko or draft.answer,
                      aliases_ko=list(draft.aliases_ko or draft.aliases),
                      distractors_ko=list(draft.distractors_ko[:3]) if
                      len(draft.distractors_ko) >= 3 else distractors)
    record.update(status="draft", drafted_by=draft.drafted_by)
    return record


def _draft_one(doc: SourceDoc, drafter: Drafter, verifier: Verifier,
               result: DocResult, problems: list[str]) -> list[Checked]:
    checked: list[Checked] = []
    try:
        for item in drafter(doc):
            result.drafts += 1
            if isinstance(item, Rejection):
                result.rejected.append(item)
                continue
            outcome = verifier.check(item, doc)
            if isinstance(outcome, Rejection):
                result.rejected.append(outcome)
            else:
                checked.append(outcome)
    except HarnessError as err:
        problems.append(f"{doc.source}: drafter failed: {err}")
    return checked


def run_build(paths: list[Path], drafter: Drafter, drafter_name: str,
              options: BuildOptions, today: dt.date | None = None) -> BuildResult:
    docs, problems = read_all(paths, options)
    result = BuildResult(problems=problems, drafter=drafter_name)
    pool = name_pool(docs)
    verifier = Verifier()
    for doc in docs:
        doc_result = DocResult(doc)
        result.documents.append(doc_result)
        checked = _draft_one(doc, drafter, verifier, doc_result, result.problems)
        if options.max_facts is not None:
            for extra in checked[options.max_facts:]:
                doc_result.rejected.append(Rejection(doc.id, "over-max-facts", "beyond "
                                                     f"--max-facts {options.max_facts}",
                                                     extra.draft.record()))
            checked = checked[: options.max_facts]
        as_of = doc.published or today or dt.date.today()
        for checked_one in checked:
            names = pool.get((doc.language, checked_one.answer_type.value), [])
            distractors = choose_distractors(checked_one, doc.language, names, checked)
            if len(distractors) < 3:
                doc_result.rejected.append(Rejection(
                    doc.id, "too-few-distractors", f"{len(distractors)} same-type distractors "
                    "judged INCORRECT (3 needed)", checked_one.draft.record()))
                verifier.forget(checked_one)
                continue
            record = fact_record(checked_one, distractors, doc, len(doc_result.facts) + 1,
                                 as_of)
            try:
                Fact.model_validate(record)
            except ValidationError as err:
                first = err.errors()[0]
                doc_result.rejected.append(Rejection(
                    doc.id, "schema", f"{'.'.join(map(str, first['loc']))}: {first['msg']}",
                    checked_one.draft.record()))
                continue
            doc_result.facts.append(record)
    return result
