"""The results format: run.json (one RunRecord) and samples.jsonl (one Sample per item)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
# fields of runs written before the per-CPU kernel tuning was removed: read, then dropped
RETIRED_RUN_FIELDS = ("linear_kernels", "choices_file", "choices_timed", "screened_head",
                      "fused_norms")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(_Record):
    """Everything about one item: what the model saw, said, and how it was judged."""

    item_id: str
    task: str
    regime: str
    fact_id: str
    document: str
    as_of: dt.date
    question: str
    answer: str
    aliases: list[str]
    answer_type: str
    evidence: str
    prompt: str  # model-facing text (chat template applied when used)
    verdict: Literal["correct", "incorrect", "not_attempted"]
    # generation regimes
    raw_output: str | None = None
    extracted: str | None = None
    rule: str | None = None
    f1: float | None = None
    strict_em: bool | None = None
    prompt_tokens: int | None = None
    generated_tokens: int | None = None
    finish: str | None = None
    truncated_tokens: int = 0  # prompt tokens cut to fit the context (--truncate)
    repeat: int | None = None  # sample index when --repeats > 1
    thinking_tokens: int | None = None
    answer_tokens: int | None = None
    # choice regimes
    choices: list[str] | None = None
    label: int | None = None
    logliks: list[float] | None = None
    pred: int | None = None
    pred_norm: int | None = None
    proposed: str | None = None


class Metric(_Record):
    name: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None


class TaskResult(_Record):
    task: str
    regime: str
    language: str
    n: int
    template_sha: str  # the task's prompt template(s), as rendered
    num_fewshot: int = 0
    primary: Metric
    metrics: dict[str, float]
    seconds: float
    items_per_s: float
    prompt_tokens: int
    computed_tokens: int
    generated_tokens: int
    tokens_saved: int


class ModelRecord(_Record):
    model_id: str
    source: str
    path: str
    revision: str
    architecture: str
    parameters: int
    dtype: str
    device: str
    device_name: str
    trust_remote_code: bool
    chat_template_sha: str | None
    context_length: int | None = None
    quantization: str | None = None


class SuiteRecord(_Record):
    name: str
    version: str
    content_hash: str
    path: str
    tasks: list[str]
    draft_facts: int = 0  # facts still `status: draft` (harness build, not yet reviewed)


class Settings(_Record):
    """Everything that shapes prompts and decoding; `prompt_config` hashes the parts that make
    two runs' numbers comparable (batching and caching do not change results)."""

    engine: str = "hf"
    preset: str | None = None
    chat_template: bool
    thinking: bool
    system_prompt: str | None
    num_fewshot: int | None  # None: each task's default
    fewshot_as_multiturn: bool
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0
    repeats: int = 1
    max_new_tokens: int | None
    max_thinking_tokens: int | None = None
    max_answer_tokens: int | None = None
    batch_size: int | None
    prefix_reuse: bool
    truncate: str | None = None  # over-long prompts: None (refused), "left" or "middle"
    limit: int | None
    cache: bool = True
    prompt_config: str = ""


class CacheRecord(_Record):
    hits: int = 0
    computed: int = 0
    path: str | None = None


class RankRecord(_Record):
    """One rank of a data-parallel run (`accelerate launch`, torchrun): what it ran, and how
    long it took (`runs/distributed.py`)."""

    rank: int
    host: str
    device: str
    items: int  # items of every task this rank computed
    requests: int
    load_seconds: float  # model load and planning
    compute_seconds: float
    cache_hits: int
    cache_computed: int
    computed_tokens: int
    peak_rss_mb: float


class DistributedRecord(_Record):
    """A data-parallel run: the ranks it ran on. Task seconds are the run's wall time split
    over its tasks, so throughput counts the whole run, every rank together."""

    world_size: int
    backend: str  # torch.distributed backend: gloo, nccl
    ranks: list[RankRecord]


class RunRecord(_Record):
    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        """Older run.json files stay readable: fields the harness no longer writes go."""
        if isinstance(data, dict) and any(k in data for k in RETIRED_RUN_FIELDS):
            data = {k: v for k, v in data.items() if k not in RETIRED_RUN_FIELDS}
        if isinstance(data, dict) and isinstance(data.get("settings"), dict):
            data = {**data, "settings": {k: v for k, v in data["settings"].items()
                                         if k != "tune_kernels"}}
        return data

    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: Literal["running", "complete", "failed", "interrupted"]
    signature: str = ""  # same command, same model and suite: a resumable run
    started: dt.datetime
    finished: dt.datetime | None = None
    harness_version: str
    harness_git_sha: str
    model: ModelRecord
    suite: SuiteRecord
    settings: Settings
    tasks: dict[str, TaskResult] = Field(default_factory=dict)
    load_seconds: float = 0.0
    total_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_gpu_mb: float | None = None
    backend: dict[str, Any] = Field(default_factory=dict)  # what the engine says of itself
    cache: CacheRecord = Field(default_factory=CacheRecord)
    resumed: int = 0  # times this run was resumed after an interruption
    distributed: DistributedRecord | None = None  # data-parallel ranks; None: one process
