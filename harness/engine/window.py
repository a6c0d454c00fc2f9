"""Fitting requests into a model's context window: never silently.

A request whose tokens (a generation prompt plus its new-token budget; a log-likelihood
context plus its continuation) exceed the model's context is refused before the model runs
(`runs/window_check.py`), unless the user chose a truncation policy: `left` drops the
prompt's first tokens (the instruction and chat header go first), `middle` keeps the first
and last halves of what fits and drops what is between (a document's middle, keeping the
instruction and the question). The continuation of a log-likelihood request is never cut.
"""

from __future__ import annotations

from harness.errors import HarnessError

POLICIES = ("left", "middle")


def room_for_prompt(max_length: int, new_tokens: int) -> int:
    """Prompt tokens that fit beside `new_tokens` generated ones."""
    return max_length - new_tokens


def cut(ids: list[int], keep: int, policy: str | None) -> list[int]:
    """`ids` cut to `keep` tokens by `policy` (unchanged when they fit)."""
    if len(ids) <= keep:
        return ids
    if keep < 1:
        raise HarnessError(f"a request needs {len(ids)} prompt tokens and the model's context "
                           "leaves no room for any: lower --max-new-tokens")
    if policy == "left":
        return ids[len(ids) - keep :]
    if policy == "middle":
        head = keep // 2
        return ids[:head] + ids[len(ids) - (keep - head) :]
    raise HarnessError(f"a request of {len(ids)} tokens exceeds the model's context of {keep}; "
                       "use --truncate left|middle or a longer-context model")


def fit_prompt(ids: list[int], new_tokens: int, max_length: int,
               policy: str | None) -> list[int]:
    """A generation prompt cut so that it and `new_tokens` fit the context."""
    return cut(ids, room_for_prompt(max_length, new_tokens), policy)


def fit_pair(context: list[int], continuation: list[int], max_length: int,
             policy: str | None) -> tuple[list[int], list[int]]:
    """A log-likelihood request cut so that context + continuation - 1 input tokens fit (the
    last continuation token is only scored, never fed)."""
    keep = max_length + 1 - len(continuation)
    return cut(context, keep, policy), continuation


def prompt_overflow(prompt_tokens: int, new_tokens: int, max_length: int) -> int:
    return max(0, prompt_tokens - room_for_prompt(max_length, new_tokens))


def pair_overflow(context_tokens: int, continuation_tokens: int, max_length: int) -> int:
    return max(0, context_tokens + continuation_tokens - 1 - max_length)
