"""Turn a rendered prompt into what the model reads: plain text or the tokenizer's chat format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def plain_fewshot(prompt: str, examples: Sequence[tuple[str, str]], delimiter: str) -> str:
    """Examples as text before the prompt: `example prompt<delimiter>target` blocks."""
    blocks = [f"{example}{delimiter}{target}" for example, target in examples]
    return "\n\n".join([*blocks, prompt])


def chat_messages(prompt: str, *, system: str | None = None,
                  examples: Sequence[tuple[str, str]] = (), multiturn: bool = True,
                  delimiter: str = " ") -> list[dict[str, str]]:
    """The chat turns of `prompt`: system, few-shot examples as user/assistant turns (or as
    text before the prompt when not `multiturn`), then the prompt as the last user turn."""
    messages = [{"role": "system", "content": system}] if system else []
    if multiturn:
        for example, target in examples:
            messages.append({"role": "user", "content": example})
            messages.append({"role": "assistant", "content": target})
    else:
        prompt = plain_fewshot(prompt, examples, delimiter)
    messages.append({"role": "user", "content": prompt})
    return messages


def render_messages(messages: Sequence[dict[str, str]]) -> str:
    """A readable rendering of chat turns (what samples record when a server applies the
    chat template itself)."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)


def format_prompt(
    tokenizer: Any,
    prompt: str,
    *,
    system: str | None = None,
    thinking: bool = False,
    chat: bool = True,
    examples: Sequence[tuple[str, str]] = (),
    multiturn: bool = True,
    delimiter: str = " ",
) -> str:
    """The model-facing text of `prompt`; the chat template is used when asked and present.

    Few-shot `examples` (prompt, target) become alternating user/assistant turns for chat
    models when `multiturn`, and text blocks before the prompt otherwise."""
    if not (chat and has_chat_template(tokenizer)):
        text = plain_fewshot(prompt, examples, delimiter)
        return f"{system}\n\n{text}" if system else text
    messages = chat_messages(prompt, system=system, examples=examples, multiturn=multiturn,
                             delimiter=delimiter)
    return str(
        tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=thinking
        )
    )
