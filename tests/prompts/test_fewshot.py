from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine.loading import LoadOptions, load_model
from harness.prompts.chat import format_prompt
from harness.prompts.fewshot import examples_room, pick_examples
from harness.runs.requests import PromptStyle, choice_requests, model_prompt
from harness.suite.items import build_items


@pytest.mark.parametrize("task_name", ["closed_qa", "mc", "tf", "open_qa", "mc_open"])
def test_examples_never_leak(suite, task_name: str) -> None:  # type: ignore[no-untyped-def]
    task = suite.task(task_name)
    pool = build_items(suite, task)
    for item in pool:
        examples = pick_examples(task, item, pool, 3, seed=7)
        assert len(examples) == 3
        assert all(e.fact_id != item.fact_id for e in examples)
        if not task.with_document:
            assert all(e.document != item.document for e in examples)
        assert examples == pick_examples(task, item, pool, 3, seed=7)  # deterministic
    assert pick_examples(task, pool[0], pool, 3, seed=7) != pick_examples(task, pool[0], pool, 3,
                                                                           seed=8)


@pytest.fixture(scope="module")
def tokenizer(random_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(random_model), LoadOptions(device="cpu"))[1]


def test_multiturn_matches_chat_template(tokenizer) -> None:  # type: ignore[no-untyped-def]
    examples = [("Q1?", "A1"), ("Q2?", "A2")]
    text = format_prompt(tokenizer, "Q3?", system="Be brief.", examples=examples)
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Q1?"}, {"role": "assistant", "content": "A1"},
                {"role": "user", "content": "Q2?"}, {"role": "assistant", "content": "A2"},
                {"role": "user", "content": "Q3?"}]
    expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                             enable_thinking=False)
    assert text == expected
    assert text.count("[|assistant|]") == 3


def test_plain_fewshot_for_base_models(suite, tokenizer) -> None:  # type: ignore[no-untyped-def]
    task = suite.task("mc")
    items = build_items(suite, task)
    style = PromptStyle(chat=False, thinking=False, system_prompt=None, num_fewshot=2)
    prompt = model_prompt(tokenizer, task, items[0], items, style, thinking=False)
    assert prompt.count("Question:") == 3 and prompt.endswith(items[0].prompt)
    examples = pick_examples(task, items[0], items, 2, 0)
    for example in examples:
        assert f"{example.example_prompt} {example.target}" in prompt
    _, requests = choice_requests(tokenizer, task, items[:1], style, items)
    assert requests[0].context == prompt and requests[0].continuation.startswith(" ")


def test_open_book_examples_use_the_short_template(suite, tokenizer) -> None:  # type: ignore[no-untyped-def]
    task = suite.task("open_qa")
    items = build_items(suite, task)
    style = PromptStyle(chat=False, thinking=False, system_prompt=None, num_fewshot=2)
    prompt = model_prompt(tokenizer, task, items[0], items, style, thinking=False)
    assert prompt.count("Article:") == 1  # examples do not repeat documents


@pytest.mark.parametrize("task_name", ["closed_qa", "open_qa"])
def test_examples_room_is_what_every_item_can_be_given(suite, task_name: str) -> None:  # type: ignore[no-untyped-def]
    """The room is the fewest candidates any item has: asking for it gives every item that
    many; one more leaves some item short."""
    task = suite.task(task_name)
    pool = build_items(suite, task)
    room = examples_room(task, pool)
    sizes = [len(pick_examples(task, item, pool, room + 1, seed=0)) for item in pool]
    assert min(sizes) == room and all(n >= room for n in sizes)
    assert room == (len(pool) - 1 if task.with_document else min(sizes))
