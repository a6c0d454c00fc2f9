"""Items to engine requests: the model-facing prompt and, for choice regimes, continuations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.engine.types import GenRequest, LoglikRequest
from harness.prompts.chat import (
    chat_messages,
    format_prompt,
    has_chat_template,
    render_messages,
)
from harness.prompts.fewshot import pick_examples
from harness.runs.options import RunOptions
from harness.suite.items import Item
from harness.suite.schema import TaskDef

THINKING_TOKENS = 1024  # default thinking allowance on top of the task's answer budget
THINK_CLOSE_TOKENS = 8  # room for the forced "</think>" when a thinking budget is hit


@dataclass(frozen=True)
class PromptStyle:
    chat: bool
    thinking: bool
    system_prompt: str | None
    num_fewshot: int | None = None  # None: the task's default
    multiturn: bool = True
    seed: int = 0

    @staticmethod
    def choose(tokenizer: Any, *, chat: bool | None, thinking: bool, system_prompt: str | None,
               num_fewshot: int | None = None, multiturn: bool = True,
               seed: int = 0) -> PromptStyle:
        # No tokenizer: the backend applies its own chat template to chat messages.
        use_chat = (tokenizer is None or has_chat_template(tokenizer)) if chat is None else chat
        return PromptStyle(use_chat, thinking and use_chat, system_prompt, num_fewshot,
                           multiturn, seed)

    def shots(self, task: TaskDef) -> int:
        return task.num_fewshot if self.num_fewshot is None else self.num_fewshot

    def delimiter(self, task: TaskDef) -> str:
        return "" if self.chat else task.target_delimiter


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int | None = None  # None: the task's budget
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0
    repeats: int = 1
    max_thinking_tokens: int | None = None
    max_answer_tokens: int | None = None


def model_prompt(tokenizer: Any, task: TaskDef, item: Item, pool: Sequence[Item],
                 style: PromptStyle, *, thinking: bool) -> str:
    examples = pick_examples(task, item, pool, style.shots(task), style.seed)
    return format_prompt(
        tokenizer, item.prompt, system=style.system_prompt, thinking=thinking, chat=style.chat,
        examples=[(e.example_prompt, e.target) for e in examples], multiturn=style.multiturn,
        delimiter=style.delimiter(task))


def server_messages(task: TaskDef, item: Item, pool: Sequence[Item],
                    style: PromptStyle) -> tuple[str, tuple[tuple[str, str], ...]]:
    """For a backend that applies the chat template itself: the prompt's readable rendering
    and its (role, content) turns."""
    examples = pick_examples(task, item, pool, style.shots(task), style.seed)
    messages = chat_messages(item.prompt, system=style.system_prompt,
                             examples=[(e.example_prompt, e.target) for e in examples],
                             multiturn=style.multiturn, delimiter=style.delimiter(task))
    return render_messages(messages), tuple((m["role"], m["content"]) for m in messages)


def generation_budget(task: TaskDef, style: PromptStyle, decoding: Decoding) -> int:
    """New tokens allowed in all: the answer budget, plus thinking and its forced close."""
    budget = decoding.max_new_tokens or task.max_new_tokens
    if style.thinking:
        thinking = decoding.max_thinking_tokens or THINKING_TOKENS
        answer = decoding.max_answer_tokens or decoding.max_new_tokens or task.max_new_tokens
        budget = max(budget, thinking + THINK_CLOSE_TOKENS + answer)
    return budget


def generation_requests(tokenizer: Any, task: TaskDef, items: Sequence[Item],
                        style: PromptStyle, decoding: Decoding,
                        pool: Sequence[Item] = ()) -> list[list[GenRequest]]:
    """`decoding.repeats` requests per item (their seeds differ)."""
    budget = generation_budget(task, style, decoding)
    requests = []
    for item in items:
        messages: tuple[tuple[str, str], ...] = ()
        if tokenizer is None and style.chat:
            prompt, messages = server_messages(task, item, pool or items, style)
        else:
            prompt = model_prompt(tokenizer, task, item, pool or items, style,
                                  thinking=style.thinking)
        requests.append([
            GenRequest(prompt, budget, task.stop, thinking=style.thinking, messages=messages,
                       max_thinking_tokens=decoding.max_thinking_tokens if style.thinking
                       else None,
                       max_answer_tokens=decoding.max_answer_tokens,
                       temperature=decoding.temperature, top_p=decoding.top_p,
                       top_k=decoding.top_k, seed=decoding.seed + repeat)
            for repeat in range(decoding.repeats)
        ])
    return requests


def choice_requests(tokenizer: Any, task: TaskDef, items: Sequence[Item], style: PromptStyle,
                    pool: Sequence[Item] = ()) -> tuple[list[str], list[LoglikRequest]]:
    """Model-facing contexts (one per item) and one request per (item, choice), in order.

    Choices are scored without thinking: a log-likelihood after an open <think> block
    would measure the thinking, not the answer."""
    delimiter = style.delimiter(task)
    contexts = [model_prompt(tokenizer, task, item, pool or items, style, thinking=False)
                for item in items]
    requests = [
        LoglikRequest(context, delimiter + choice)
        for context, item in zip(contexts, items, strict=True)
        for choice in item.choices
    ]
    return contexts, requests


def prompting(options: RunOptions, tokenizer: Any,
              suite_system_prompt: str | None) -> tuple[PromptStyle, Decoding]:
    """The prompt style and decoding a run's options ask for (suite defaults filled in)."""
    style = PromptStyle.choose(
        tokenizer, chat=options.chat, thinking=options.thinking,
        system_prompt=options.system_prompt or suite_system_prompt,
        num_fewshot=options.num_fewshot, multiturn=options.fewshot_as_multiturn,
        seed=options.seed)
    decoding = Decoding(options.max_new_tokens, options.temperature, options.top_p,
                        options.top_k, options.seed, options.repeats,
                        options.max_thinking_tokens, options.max_answer_tokens)
    return style, decoding
