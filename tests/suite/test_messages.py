"""Validation messages say how to fix: the cases a newcomer met (issue 34, point 3), and the
fields that are now derived or optional (point 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.suite.items import build_items
from harness.suite.loader import SuiteLoadError, load_suite
from harness.suite.starter import new_suite
from harness.suite.validate import validate_suite


@pytest.fixture()
def starter(tmp_path: Path) -> Path:
    folder = tmp_path / "my-suite"
    new_suite(folder)
    return folder


def _facts(folder: Path) -> Path:
    return folder / "facts" / "example-article.jsonl"


def _edit_fact(folder: Path, index: int, **changes: Any) -> None:
    path = _facts(folder)
    facts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for key, value in changes.items():
        if value is None:
            facts[index].pop(key, None)
        else:
            facts[index][key] = value
    path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts),
                    encoding="utf-8")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _load_problems(folder: Path) -> str:
    with pytest.raises(SuiteLoadError) as err:
        load_suite(folder)
    return "\n".join(err.value.problems)


def test_unknown_field_suggests_the_right_one(starter: Path) -> None:
    _edit(starter / "tasks.yaml", "    max_new_tokens: 32", "    max_tokens: 32")
    problems = _load_problems(starter)
    assert "tasks.yaml:12: tasks.0.max_tokens: unknown field 'max_tokens'; did you mean " \
           "'max_new_tokens'?" in problems


def test_unknown_regime_and_answer_type_suggest(starter: Path) -> None:
    _edit(starter / "tasks.yaml", "regime: mc ", "regime: mcq ")
    assert "'mcq' is not allowed; did you mean 'mc'? (use one of: qa, mc, tf)" \
        in _load_problems(starter)
    _edit(starter / "tasks.yaml", "regime: mcq ", "regime: mc ")
    _edit_fact(starter, 0, answer_type="mony")
    assert "answer_type: 'mony' is not allowed; did you mean 'money'?" in _load_problems(starter)


def test_tuple_lengths_say_needs_and_has(starter: Path) -> None:
    _edit(starter / "tasks.yaml", 'tf_choices: ["yes", "no"]', 'tf_choices: ["yes"]')
    assert "tf_choices: needs 2 items, has 1" in _load_problems(starter)
    _edit(starter / "tasks.yaml", 'tf_choices: ["yes"]', "tf_choices: [a, b, c]")
    assert "tf_choices: needs exactly 2 items, has 3" in _load_problems(starter)
    _edit(starter / "tasks.yaml", "tf_choices: [a, b, c]", 'tf_choices: ["yes", "no"]')
    suite_yaml = starter / "suite.yaml"
    _edit(suite_yaml, "  - facts/example-article.jsonl", "  []")
    _edit(suite_yaml, "facts:                    #", "facts: #")
    assert "facts: needs at least 1 item, has 0" in _load_problems(starter)


def test_bad_date_says_the_format(starter: Path) -> None:
    _edit(starter / "suite.yaml", "published: 2025-07-15", "published: 15.7.2025")
    assert "published: '15.7.2025' is not a date: write YYYY-MM-DD" in _load_problems(starter)


def test_undefined_template_variable_lists_what_the_regime_provides(starter: Path) -> None:
    _edit(starter / "tasks.yaml", "      Question: {{ question }}\n      Answer:\n  - name: tf",
          "      Question: {{ question }} {{ choices }}\n      Answer:\n  - name: tf")
    problems = _load_problems(starter)
    assert ("task mc: template: UndefinedError: 'choices' is undefined (regime mc provides "
            "question, title; document needs with_document: true; proposed is for regime tf; "
            "mc choices are appended after the prompt, not rendered into it)") in problems


def test_evidence_not_verbatim_shows_closest_span_and_first_difference(starter: Path) -> None:
    _edit_fact(starter, 0, evidence="The bridge cost 420 million dollars’")
    _edit(starter / "documents" / "example-article.txt", "420 million dollars and",
          "420 million dollars' and")
    problems = validate_suite(load_suite(starter))
    line = next(p for p in problems if "evidence" in p)
    assert line.startswith(f"{_facts(starter)}:1: fact bridge-001: evidence: not found verbatim")
    assert "closest span at documents/example-article.txt:4: \"The bridge cost 420 million " \
           "dollars'\"" in line
    assert "first difference at character 36: evidence has '’' (U+2019 RIGHT SINGLE " \
           "QUOTATION MARK), document has \"'\" (U+0027 APOSTROPHE)" in line


def test_missing_distractors_name_the_tasks_that_need_them(starter: Path) -> None:
    _edit_fact(starter, 1, distractors=None)
    problems = validate_suite(load_suite(starter))
    assert problems == [f"{_facts(starter)}:2: fact bridge-002: distractors: missing (at least "
                        "1); needed by mc (mc, en), tf (tf, en)"]


def test_korean_task_without_korean_fields_is_located(starter: Path) -> None:
    tasks = starter / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8") + (
        "  - name: closed_qa_ko\n    regime: qa\n    language: ko\n"
        "    template: '질문: {{ question }}'\n"), encoding="utf-8")
    _edit_fact(starter, 0, question_ko="다리 비용은?", answer_ko="4억2천만 달러")
    suite = load_suite(starter)  # loads: the template renders for the fact that has them
    problems = validate_suite(suite)
    assert problems == [f"{_facts(starter)}:2: fact bridge-002: question_ko: missing; needed "
                        "by closed_qa_ko (qa, ko)",
                        f"{_facts(starter)}:2: fact bridge-002: answer_ko: missing; needed "
                        "by closed_qa_ko (qa, ko)"]
    with pytest.raises(HarnessError, match=r"example-article.jsonl:2: fact bridge-002: "
                                           r"question_ko: missing; task closed_qa_ko"):
        build_items(suite, suite.task("closed_qa_ko"))


def test_unknown_task_and_document_suggest(starter: Path) -> None:
    suite = load_suite(starter)
    with pytest.raises(HarnessError, match=r"no task 'closed-qa'; did you mean 'closed_qa'\?"):
        suite.task("closed-qa")
    _edit_fact(starter, 0, document="example-artcle")
    assert "document: no document 'example-artcle'; did you mean 'example-article'?" \
        in _load_problems(starter)


def test_derived_and_optional_fields(starter: Path) -> None:
    """as_of defaults to the document's date; published_evidence is optional; a qa-only suite
    needs no distractors; any number of distractors >= 1 makes that many + 1 choices."""
    suite = load_suite(starter)
    items = build_items(suite, suite.task("closed_qa"))
    assert {item.as_of.isoformat() for item in items} == {"2025-07-15"}
    assert suite.documents["example-article"].meta.published_evidence == ""
    mc = {item.fact_id: item for item in build_items(suite, suite.task("mc"))}
    assert len(mc["bridge-001"].choices) == 4 and len(mc["bridge-002"].choices) == 3
    assert mc["bridge-002"].choices == build_items(suite, suite.task("mc"))[1].choices  # fixed
    _edit_fact(starter, 0, distractors=None, as_of="2025-07-01")
    _edit_fact(starter, 1, distractors=None)
    tasks = starter / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    tasks.write_text(text[:text.index("  - name: mc ")], encoding="utf-8")
    suite = load_suite(starter)
    assert validate_suite(suite) == []
    assert build_items(suite, suite.task("closed_qa"))[0].as_of.isoformat() == "2025-07-01"
