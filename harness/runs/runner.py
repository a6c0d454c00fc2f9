"""`harness run`: suite → items → prompts → engine → scorer → results folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import torch

from harness import __version__
from harness.cache.cached_engine import CachedEngine
from harness.cache.store import RequestCache
from harness.engine.host import bfloat16_hint
from harness.engine.interface import Engine
from harness.engine.types import ModelInfo
from harness.errors import HarnessError
from harness.results.records import (
    CacheRecord,
    ModelRecord,
    RunRecord,
    Sample,
    Settings,
    SuiteRecord,
    TaskResult,
)
from harness.results.store import git_sha, write_run, write_samples
from harness.runs.backends import open_engine
from harness.runs.distributed import World
from harness.runs.judging import judge_choices, judge_generations
from harness.runs.options import RunOptions
from harness.runs.preflight import draft_facts, preflight, refuse_choice_tasks
from harness.runs.requests import (
    Decoding,
    PromptStyle,
    choice_requests,
    generation_requests,
    prompting,
)
from harness.runs.rundir import open_run_dir, release_run_dir
from harness.runs.window_check import TaskRequests, check_windows
from harness.suite.items import Item, build_items
from harness.suite.loader import Suite
from harness.suite.schema import TaskDef

__all__ = ["Progress", "RunOptions", "SilentProgress", "run"]


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...
    def advance(self, amount: int) -> None: ...


class SilentProgress:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, amount: int) -> None:
        return None


def template_sha(task: TaskDef) -> str:
    blob = json.dumps([task.template, task.fewshot_template, task.target_delimiter,
                       task.tf_choices, task.stop, task.max_new_tokens, task.first_line])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PlannedTask:
    """One task's items and the requests they make, built before anything runs."""

    task: TaskDef
    items: list[Item]
    requests: TaskRequests  # per item: its repeats (generation) or its choices
    contexts: list[str]  # choice regimes: each item's model-facing context


def plan_task(tokenizer: Any, suite: Suite, task: TaskDef, style: PromptStyle,
              decoding: Decoding, limit: int | None) -> PlannedTask:
    pool = build_items(suite, task)
    items = pool[:limit] if limit else pool
    if task.regime == "qa":
        per_item = generation_requests(tokenizer, task, items, style, decoding, pool)
        return PlannedTask(task, items, TaskRequests(task.name, per_item), [])
    contexts, requests = choice_requests(tokenizer, task, items, style, pool)
    flat = iter(requests)
    grouped = [[next(flat) for _ in item.choices] for item in items]
    return PlannedTask(task, items, TaskRequests(task.name, grouped), contexts)


def run_task(engine: CachedEngine, planned: PlannedTask, style: PromptStyle,
             overflow: list[int], progress: Progress) -> tuple[TaskResult, list[Sample]]:
    task, items = planned.task, planned.items
    before = replace(engine.engine.stats)
    started = time.perf_counter()
    per_item: list[list[Any]] = [list(group) for group in planned.requests.per_item]
    flat = [request for group in per_item for request in group]
    progress.start(task.name, len(flat))
    if task.regime == "qa":
        outputs = iter(engine.generate(flat, progress.advance))
        grouped = [[next(outputs) for _ in group] for group in per_item]
        samples, primary, metrics = judge_generations(
            task, items, [group[0].prompt for group in per_item], grouped)
    else:
        results = engine.loglikelihood(flat, progress.advance)
        samples, primary, metrics = judge_choices(items, planned.contexts, results)
    if any(overflow):
        by_item = dict(zip((item.item_id for item in items), overflow, strict=True))
        samples = [s.model_copy(update={"truncated_tokens": by_item.get(s.item_id, 0)})
                   for s in samples]
        metrics["truncated_items"] = float(sum(1 for o in overflow if o))
    seconds = time.perf_counter() - started
    tokens = engine.engine.stats.since(before)
    result = TaskResult(
        task=task.name, regime=task.regime, language=task.language, n=len(items),
        template_sha=template_sha(task), num_fewshot=style.shots(task),
        primary=primary, metrics=metrics, seconds=round(seconds, 3),
        items_per_s=round(len(items) / seconds, 3) if seconds else 0.0,
        prompt_tokens=tokens.prompt_tokens, computed_tokens=tokens.computed_tokens,
        generated_tokens=tokens.generated_tokens, tokens_saved=tokens.tokens_saved,
    )
    return result, samples


def _settings(options: RunOptions, style: PromptStyle, info: ModelInfo) -> Settings:
    settings = Settings(
        engine=options.engine, preset=options.preset, chat_template=style.chat,
        thinking=style.thinking, system_prompt=style.system_prompt,
        num_fewshot=options.num_fewshot, fewshot_as_multiturn=options.fewshot_as_multiturn,
        temperature=options.temperature, top_p=options.top_p, top_k=options.top_k,
        seed=options.seed, repeats=options.repeats, max_new_tokens=options.max_new_tokens,
        max_thinking_tokens=options.max_thinking_tokens,
        max_answer_tokens=options.max_answer_tokens, batch_size=options.batch_size,
        prefix_reuse=options.prefix_reuse, truncate=options.truncate, limit=options.limit,
        cache=options.cache_dir is not None,
    )
    shaping = settings.model_dump(exclude={"batch_size", "prefix_reuse", "cache", "limit",
                                           "prompt_config", "engine"})
    blob = json.dumps([shaping, info.chat_template_sha], sort_keys=True)
    return settings.model_copy(update={"prompt_config": hashlib.sha256(blob.encode())
                                       .hexdigest()[:16]})


def new_record(options: RunOptions, suite: Suite, tasks: list[TaskDef], info: ModelInfo,
               style: PromptStyle, run_id: str, signature: str) -> RunRecord:
    return RunRecord(
        run_id=run_id, status="running", signature=signature,
        started=dt.datetime.now(dt.timezone.utc), harness_version=__version__,
        harness_git_sha=git_sha(), model=ModelRecord(**asdict(info)),
        suite=SuiteRecord(name=suite.name, version=suite.config.version,
                          content_hash=suite.content_hash, path=str(options.suite),
                          tasks=[t.name for t in tasks], draft_facts=draft_facts(suite)),
        settings=_settings(options, style, info),
    )


def abort_run(run_dir: Path, record: RunRecord, err: BaseException) -> None:
    """Record a run that stopped early ("interrupted" on Ctrl-C, else "failed") and release
    its folder."""
    record.status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
    write_run(run_dir, record)
    release_run_dir(run_dir)


def finish_run(run_dir: Path, record: RunRecord, t0: float, device: str) -> None:
    """Record a complete run (finish time, total seconds since `t0`, peak memory) and release
    its folder."""
    record.status = "complete"
    record.finished = dt.datetime.now(dt.timezone.utc)
    record.total_seconds = round(time.perf_counter() - t0, 3)
    record.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if device.startswith("cuda"):
        record.peak_gpu_mb = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    write_run(run_dir, record)
    release_run_dir(run_dir)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def run(options: RunOptions, progress: Progress | None = None,
        notice: Callable[[str], None] = _stderr) -> Path:
    """Evaluate `options.model` on the suite with the backend `options.engine` names; returns
    the run folder.

    An interrupted run (crash, kill -9, Ctrl-C) is resumed by the same command: it reuses the
    run folder and takes every request already computed from the request cache.

    A backend that cannot score choices (`choice_refusal`, e.g. a server that failed its
    log-probability probe) has its choice tasks dropped before the run, in one `notice` line."""
    plan = preflight(options)  # before the model loads
    options, suite, tasks = plan.options, plan.suite, plan.tasks
    progress = progress or SilentProgress()
    t0 = time.perf_counter()
    world = World.start(options)  # launched ranks (accelerate launch, torchrun); else None
    backend = open_engine(options)
    info = backend.info
    hint = bfloat16_hint(options.dtype, info.device, info.dtype, info.parameters)
    if hint and options.engine in ("hf", "lm-eval") and (world is None or world.main):
        notice(hint)
    try:
        tasks, refused = refuse_choice_tasks(tasks, backend.choice_refusal, notice)
        return _evaluate(backend, options, suite, tasks, progress, t0, refused, world)
    finally:
        backend.close()


def _evaluate(backend: Engine, options: RunOptions, suite: Suite, tasks: list[TaskDef],
              progress: Progress, t0: float, refused: list[str],
              world: World | None = None) -> Path:
    load_seconds = time.perf_counter() - t0
    info = backend.info
    style, decoding = prompting(options, backend.tokenizer, suite.config.system_prompt)
    planned = [plan_task(backend.tokenizer, suite, task, style, decoding, options.limit)
               for task in tasks]
    overflow = check_windows(backend.tokenizer, info.context_length,
                             [p.requests for p in planned], options.truncate)
    cache = RequestCache(options.cache_dir) if options.cache_dir else None
    engine = CachedEngine(backend, cache)
    signature = options.signature(engine.model, suite.content_hash)
    if world is not None:  # data parallel: ranks other than 0 compute their share, no more
        world.agree(signature, planned, backend.tokenizer, info.device)
        if not world.main:
            return world.follow(engine, planned)
    run_dir, previous = open_run_dir(options.results_dir, options.model, suite.name, signature,
                                     resume=options.resume)
    record = new_record(options, suite, tasks, info, style, run_dir.name, signature)
    if previous is not None:
        record.started, record.resumed = previous.started, previous.resumed + 1
    record.load_seconds = round(load_seconds, 3)
    record.backend = backend.describe() | ({"refused_tasks": refused} if refused else {})
    record.cache = CacheRecord(path=str(cache.path) if cache else None)
    write_run(run_dir, record)
    if info.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    samples: list[Sample] = []
    try:
        if world is not None:  # every rank's results, gathered; judged below as one run's
            engine, progress = world.lead(engine, planned, progress, run_dir)
        for one in planned:
            try:
                result, task_samples = run_task(engine, one, style, overflow[one.task.name],
                                                progress)
            except torch.OutOfMemoryError:
                size = options.batch_size or "auto"
                raise HarnessError(f"out of memory in task {one.task.name} (batch size {size}, "
                                   f"device {info.device}); try a smaller --batch-size, e.g. "
                                   "--batch-size 1") from None
            record.tasks[one.task.name] = result
            samples.extend(task_samples)
            record.cache.hits, record.cache.computed = engine.counts.hits, engine.counts.computed
            write_samples(run_dir, samples)
            write_run(run_dir, record)
    except BaseException as err:
        record.cache.hits, record.cache.computed = engine.counts.hits, engine.counts.computed
        abort_run(run_dir, record, err)
        raise
    finally:
        if cache:
            cache.close()
    if world is not None:
        world.record(record)
    finish_run(run_dir, record, t0, info.device)
    return run_dir
