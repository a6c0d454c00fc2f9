from __future__ import annotations

from collections import Counter

import pytest

from harness.errors import HarnessError
from harness.suite.items import build_items, tf_truth
from harness.suite.render import render_template


def test_mc_choices_hold_answer_and_distractors(suite) -> None:  # type: ignore[no-untyped-def]
    items = build_items(suite, suite.task("mc"))
    fact = {f.id: f for f in suite.facts}
    for item in items:
        assert item.label is not None and item.choices[item.label] == item.answer
        assert sorted(item.choices) == sorted([item.answer, *fact[item.fact_id].distractors])
    positions = Counter(item.label for item in items)
    assert len(positions) == 4  # shuffled, not always first


def test_items_are_deterministic(suite) -> None:  # type: ignore[no-untyped-def]
    for task in suite.tasks:
        assert build_items(suite, task) == build_items(suite, task)


def test_tf_is_balanced_per_document(suite) -> None:  # type: ignore[no-untyped-def]
    truth = tf_truth(suite)
    for doc_id in suite.documents:
        values = [truth[f.id] for f in suite.facts if f.document == doc_id]
        assert abs(sum(values) - (len(values) - sum(values))) <= 1


def test_tf_false_claims_propose_a_distractor(suite) -> None:  # type: ignore[no-untyped-def]
    for item in build_items(suite, suite.task("tf")):
        if item.label == 1:
            assert item.proposed != item.answer
        else:
            assert item.proposed == item.answer
        assert f"Proposed answer: {item.proposed}" in item.prompt


def test_open_book_prompt_holds_document(suite) -> None:  # type: ignore[no-untyped-def]
    item = build_items(suite, suite.task("open_qa"), limit=1)[0]
    assert suite.documents[item.document].text.strip() in item.prompt
    assert item.prompt.index(item.question) > item.prompt.index("Article:")


def test_korean_task_uses_korean_fields(suite) -> None:  # type: ignore[no-untyped-def]
    item = build_items(suite, suite.task("closed_qa_ko"), limit=1)[0]
    assert item.question == suite.facts[0].question_ko
    assert item.answer == suite.facts[0].answer_ko


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ question.__class__.__init__.__globals__ }}",
    "{% for x in () %}{% endfor %}{{ cycler.__init__.__globals__.os.system('id') }}",
])
def test_sandbox_refuses_internals(template: str) -> None:
    with pytest.raises(HarnessError, match="template"):
        render_template(template, "tasks.yaml: evil", question="q")


def test_undefined_variable_is_an_error() -> None:
    with pytest.raises(HarnessError, match="UndefinedError"):
        render_template("{{ nothere }}", "tasks.yaml: t")
