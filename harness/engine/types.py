"""Requests to and results from an engine, and the identity of the model behind it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenRequest:
    prompt: str  # fully formatted (chat template already applied where used)
    max_new_tokens: int  # cap on all new tokens, thinking included
    stop: tuple[str, ...] = ()
    thinking: bool = False  # stop strings apply only after the model closes its thinking
    max_thinking_tokens: int | None = None  # then `</think>` is forced and the model answers
    max_answer_tokens: int | None = None
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0  # sampling seed (with the prompt, it seeds this row's generator)
    # (role, content) turns for a backend that applies the chat template itself (its
    # `tokenizer` is None); then `prompt` is only their readable rendering. Empty otherwise.
    messages: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GenResult:
    text: str
    prompt_tokens: int
    generated_tokens: int
    finish: str  # "stop", "eos" or "length"
    thinking_tokens: int = 0
    answer_tokens: int = 0
    thinking_closed_by_budget: bool = False


@dataclass(frozen=True)
class LoglikRequest:
    context: str
    continuation: str


@dataclass(frozen=True)
class LoglikResult:
    logprob: float
    is_greedy: bool
    continuation_tokens: int


@dataclass
class EngineStats:
    """Token counts an engine accumulates; read into run.json."""

    prompt_tokens: int = 0  # tokens of all requests, as if each were run alone
    computed_tokens: int = 0  # tokens actually run through the model
    generated_tokens: int = 0
    forward_calls: int = 0
    logit_rows: int = 0  # positions whose next-token logits were computed (the head's work)

    def count_pass(self, tokens: int, logit_rows: int) -> None:
        """One forward pass that ran `tokens` tokens and computed `logit_rows` logits rows."""
        self.computed_tokens += tokens
        self.forward_calls += 1
        self.logit_rows += logit_rows

    @property
    def tokens_saved(self) -> int:
        return max(0, self.prompt_tokens + self.generated_tokens - self.computed_tokens)

    def since(self, before: EngineStats) -> EngineStats:
        """What was counted after the snapshot `before`."""
        return EngineStats(self.prompt_tokens - before.prompt_tokens,
                           self.computed_tokens - before.computed_tokens,
                           self.generated_tokens - before.generated_tokens,
                           self.forward_calls - before.forward_calls,
                           self.logit_rows - before.logit_rows)


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    source: str  # "local" or "hub-cache"
    path: str
    revision: str  # hub commit sha or a fingerprint of the local weight files
    architecture: str
    parameters: int
    dtype: str
    device: str
    device_name: str
    trust_remote_code: bool
    chat_template_sha: str | None
    context_length: int | None = None  # tokens the model attends to (None: not known)
    quantization: str | None = None  # e.g. a GGUF file's type (Q8_0); None: unquantized
