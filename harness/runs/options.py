"""What a run is asked to do: model, suite, tasks, prompting, decoding and infrastructure."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from harness.engine.window import POLICIES
from harness.errors import HarnessError

DEVICE_MAPS = ("auto", "balanced", "sequential")  # accelerate's device_map strategies
PRESETS: dict[str, dict[str, object]] = {
    # LG's advice for EXAONE 4.0: reasoning at temperature 0.6, top_p 0.95; otherwise greedy.
    "exaone-reasoning": {"thinking": True, "temperature": 0.6, "top_p": 0.95},
    "exaone-chat": {"thinking": False, "temperature": 0.0, "top_p": 1.0},
}


@dataclass(frozen=True)
class RunOptions:
    model: str
    suite: Path
    tasks: tuple[str, ...] = ()  # empty: every task of the suite
    results_dir: Path = Path("results")
    engine: str = "hf"  # a backend of runs/backends.py
    tokenizer: str | None = None  # llamacpp: a HF tokenizer folder (None: the GGUF file's)
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int | None = None
    limit: int | None = None
    preset: str | None = None
    thinking: bool = False
    chat: bool | None = None  # None: use the chat template when the tokenizer has one
    system_prompt: str | None = None
    num_fewshot: int | None = None
    fewshot_as_multiturn: bool = True
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0
    repeats: int = 1
    max_new_tokens: int | None = None
    max_thinking_tokens: int | None = None
    max_answer_tokens: int | None = None
    prefix_reuse: bool = True
    truncate: str | None = None  # over-long prompts: None refuses them; "left" or "middle"
    trust_remote_code: bool = False
    revision: str | None = None
    cache_dir: Path | None = None  # None: no request cache
    resume: bool = True
    device_map: str | None = None  # auto | balanced | sequential: split across devices
    max_memory: str | None = None  # with device_map: "0=20GiB,cpu=60GiB"
    # --engine openai: the server, its key's environment variable, and how it is driven
    base_url: str | None = None
    api_key_env: str | None = None
    max_concurrency: int = 4
    request_timeout: float = 120.0

    def with_preset(self) -> RunOptions:
        if self.preset is None:
            return self
        if self.preset not in PRESETS:
            raise HarnessError(f"--preset {self.preset}: expected one of {', '.join(PRESETS)}")
        return replace(self, **PRESETS[self.preset])  # type: ignore[arg-type]

    def check(self) -> None:
        problems = [
            (self.limit is not None and self.limit < 1, f"--limit {self.limit}: must be >= 1"),
            (self.repeats < 1, f"--repeats {self.repeats}: must be >= 1"),
            (self.temperature < 0, f"--temperature {self.temperature}: must be >= 0"),
            (not 0 < self.top_p <= 1, f"--top-p {self.top_p}: must be in (0, 1]"),
            (self.top_k < 0, f"--top-k {self.top_k}: must be >= 0"),
            (self.repeats > 1 and self.temperature == 0,
             "--repeats > 1 with greedy decoding gives identical samples; set --temperature"),
            (self.num_fewshot is not None and self.num_fewshot < 0,
             f"--num-fewshot {self.num_fewshot}: must be >= 0"),
            (self.max_thinking_tokens is not None and not self.thinking,
             f"--max-thinking-tokens {self.max_thinking_tokens}: only with --thinking"),
            (self.max_answer_tokens is not None and not self.thinking,
             f"--max-answer-tokens {self.max_answer_tokens}: only with --thinking (without "
             "it, --max-new-tokens is the answer's budget)"),
            (self.max_thinking_tokens is not None and self.max_thinking_tokens < 1,
             f"--max-thinking-tokens {self.max_thinking_tokens}: must be >= 1"),
            (self.max_answer_tokens is not None and self.max_answer_tokens < 1,
             f"--max-answer-tokens {self.max_answer_tokens}: must be >= 1"),
            (self.truncate is not None and self.truncate not in POLICIES,
             f"--truncate {self.truncate}: expected {' or '.join(POLICIES)}"),
            (self.device_map is not None and self.device_map not in DEVICE_MAPS,
             f"--device-map {self.device_map}: expected {', '.join(DEVICE_MAPS)}"),
            (self.max_memory is not None and self.device_map is None,
             f"--max-memory {self.max_memory}: only with --device-map"),
            (self.device_map is not None and self.engine != "hf",
             f"--device-map: only with --engine hf (not {self.engine})"),
            (self.tokenizer is not None and self.engine not in ("llamacpp", "openai"),
             f"--tokenizer {self.tokenizer}: only with --engine llamacpp or openai"),
            ((self.base_url is None) == (self.engine == "openai"),
             "--engine openai needs --base-url URL" if self.engine == "openai"
             else f"--base-url {self.base_url}: only with --engine openai"),
            (self.max_concurrency < 1, f"--max-concurrency {self.max_concurrency}: must be >= 1"),
            (self.request_timeout <= 0,
             f"--request-timeout {self.request_timeout}: must be > 0 seconds"),
        ]
        for bad, message in problems:
            if bad:
                raise HarnessError(message)

    def signature(self, model_key: str, suite_hash: str) -> str:
        """Same signature: the same evaluation (resumable into the same run folder)."""
        fields = {k: str(v) for k, v in vars(self).items()
                  if k not in ("results_dir", "cache_dir", "resume", "batch_size", "api_key_env",
                               "max_concurrency", "request_timeout")
                  and not (k in ("device_map", "max_memory") and v is None)}
        blob = json.dumps([model_key, suite_hash, fields], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]
