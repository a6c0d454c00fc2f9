"""The benchmark's workload: seed-suite items, round-robin over documents, as plain prompts
(or through the model's chat template, for a trained model)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from harness.engine.types import GenRequest, LoglikRequest
from harness.runs.requests import Decoding, PromptStyle, choice_requests, generation_requests
from harness.suite.items import Item, build_items
from harness.suite.loader import Suite

PLAIN = PromptStyle(chat=False, thinking=False, system_prompt=None, num_fewshot=0)


@dataclass(frozen=True)
class Workload:
    regime: str
    items: int
    loglik: list[LoglikRequest]
    generate: list[GenRequest]


def spread_items(suite: Suite, task_name: str, limit: int) -> list[Item]:
    """The first `limit` items taking one fact from each document in turn."""
    items = build_items(suite, suite.task(task_name))
    by_doc: dict[str, list[Item]] = {}
    for item in items:
        by_doc.setdefault(item.document, []).append(item)
    ordered = [i for group in zip_longest(*by_doc.values()) for i in group if i is not None]
    return ordered[:limit]


def workload(suite: Suite, tokenizer: Any, task_name: str, limit: int,
             max_new_tokens: int, chat: bool = False) -> Workload:
    task = suite.task(task_name)
    items = spread_items(suite, task_name, limit)
    style = PromptStyle(chat=True, thinking=False, system_prompt=None, num_fewshot=0
                        ) if chat else PLAIN
    if task.regime == "qa":
        decoding = Decoding(max_new_tokens=max_new_tokens)
        groups = generation_requests(tokenizer, task, items, style, decoding)
        return Workload(task_name, len(items), [], [g[0] for g in groups])
    _, requests = choice_requests(tokenizer, task, items, style)
    return Workload(task_name, len(items), requests, [])
