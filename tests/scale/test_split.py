"""How a run's work is split across ranks: whole documents of open-book tasks and whole items,
each on exactly one rank, balanced by token cost, the same on every rank."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from harness.engine.types import GenRequest
from harness.runs.requests import Decoding, PromptStyle
from harness.runs.runner import PlannedTask, plan_task
from harness.runs.shards import Unit, assign, plan_digest, work_units
from harness.suite.loader import Suite


@pytest.fixture(scope="module")
def planned(suite: Suite, memorizer_model: Path) -> tuple[list[PlannedTask], object]:
    tokenizer = AutoTokenizer.from_pretrained(memorizer_model)
    style = PromptStyle.choose(tokenizer, chat=None, thinking=False, system_prompt=None)
    return [plan_task(tokenizer, suite, task, style, Decoding(), 12)
            for task in suite.tasks], tokenizer


@pytest.mark.parametrize("ranks", [1, 2, 3, 8])
def test_every_item_once_documents_whole(planned: tuple[list[PlannedTask], object],
                                         ranks: int) -> None:
    tasks, tokenizer = planned
    units = work_units(tasks, tokenizer)
    shares = assign(units, ranks)
    assert shares == assign(list(reversed(units)), ranks)  # input order does not matter
    seen = sorted((u.task, i) for share in shares for u in share for i in u.items)
    assert seen == sorted((t, i) for t, one in enumerate(tasks) for i in range(len(one.items)))
    for t, one in enumerate(tasks):
        owner = {i: r for r, share in enumerate(shares) for u in share if u.task == t
                 for i in u.items}
        if one.task.with_document:  # all items of a document on one rank
            by_doc: dict[str, set[int]] = {}
            for i, item in enumerate(one.items):
                by_doc.setdefault(item.document, set()).add(owner[i])
            assert all(len(r) == 1 for r in by_doc.values())
    loads = [sum(u.cost for u in share) for share in shares]
    assert all(loads) and max(loads) - min(loads) <= max(u.cost for u in units)


def test_open_book_units_cost_their_document_once(
        planned: tuple[list[PlannedTask], object]) -> None:
    tasks, tokenizer = planned
    units = work_units(tasks, tokenizer)
    open_qa = next(t for t, one in enumerate(tasks) if one.task.name == "open_qa")
    doc_units = [u for u in units if u.task == open_qa]
    assert len(doc_units) < len(tasks[open_qa].items)  # grouped by document
    one = tasks[open_qa]
    for unit in doc_units:
        prompts = [r.prompt for i in unit.items for r in one.requests.per_item[i][:1]
                   if isinstance(r, GenRequest)]
        lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"])  # type: ignore[operator]
                   for p in prompts]
        if len(unit.items) > 1:  # the shared document counted once, not per question
            assert unit.cost < sum(lengths)
        assert unit.cost > max(lengths)


def test_lpt_balances() -> None:
    units = [Unit(0, (i,), cost) for i, cost in enumerate([7, 5, 4, 3, 3, 2])]
    shares = assign(units, 2)
    assert sorted(sum(u.cost for u in s) for s in shares) == [12, 12]


def test_digest_sees_prompts(planned: tuple[list[PlannedTask], object]) -> None:
    tasks, _ = planned
    assert plan_digest(tasks) == plan_digest(list(tasks))
    assert plan_digest(tasks[1:]) != plan_digest(tasks)
