"""Run a suite through lm-eval (`lm_eval.simple_evaluate` on an `HFLM`) into our results format.

The suite is exported to a temporary folder (`export_tasks`, the prompts rendered by us) and
evaluated task by task; lm-eval's per-sample outputs become our engine results (log-likelihoods
from `resps`, generated text) and go through the same judging as `harness run` (our answer
scorer for generation, our choice metrics with bootstrap intervals for mc/tf). lm-eval's own
metrics are kept next to ours as `lm_eval_<metric>`.
"""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from harness import __version__
from harness.engine.batching import rows_per_batch
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenResult, LoglikResult, ModelInfo
from harness.errors import HarnessError
from harness.evaluate.judging import judge_choices, judge_generations
from harness.evaluate.requests import PromptStyle, choice_requests, generation_requests
from harness.evaluate.runner import Progress, RunOptions, SilentProgress, select_tasks
from harness.interop.lmeval_export import ExportedTask, export_tasks
from harness.results.records import ModelRecord, RunRecord, Sample, Settings, SuiteRecord, TaskResult
from harness.results.store import git_sha, new_run_id, prepare_run_dir, write_run, write_samples
from harness.suite.loader import Suite, load_suite

ENGINE = "lm-eval"
THINK_END = "</think>"


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    info: ModelInfo
    style: PromptStyle


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def think_end_token(tokenizer: Any) -> int | str:
    """What HFLM splits thinking off at: the token id of `</think>` when it is one token
    (special tokens vanish from decoded text, so a string would never be found), else the
    string."""
    ids = _encode(tokenizer, THINK_END)
    return int(ids[0]) if len(ids) == 1 else THINK_END


def make_lm(loaded: _Loaded, batch_size: int, *, generation: bool) -> Any:
    """An HFLM around the already loaded model and tokenizer (nothing is loaded twice).

    Under a chat template, `enable_thinking` is passed to the template exactly as our prompts
    do; lm-eval refuses log-likelihoods with thinking on, so choice tasks always get it off."""
    from lm_eval.models.huggingface import HFLM

    kwargs: dict[str, Any] = {}
    if loaded.style.chat:
        thinking = generation and loaded.style.thinking
        kwargs["enable_thinking"] = thinking
        if thinking:
            kwargs["think_end_token"] = think_end_token(loaded.tokenizer)
    return HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=batch_size,
                **kwargs)


def auto_batch_size(loaded: _Loaded, longest_tokens: int, fixed: int | None) -> int:
    """A fixed --batch-size, or our engine's memory-budget rule for the longest row. (lm-eval's
    own "auto" probes 64 rows of the model's whole context window: hours on a CPU.)"""
    return rows_per_batch(loaded.model.config, longest_tokens, loaded.info, fixed)


def _lm_eval_metrics(results: Mapping[str, Any]) -> dict[str, float]:
    """lm-eval's aggregate numbers of one task, as `lm_eval_<metric>` (stderrs dropped)."""
    metrics: dict[str, float] = {}
    for key, value in results.items():
        metric = key.split(",", 1)[0]
        if "stderr" in metric or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        metrics[f"lm_eval_{metric}"] = float(value)
    return metrics


def evaluate_exported(lm: Any, task_manager: Any, exported: ExportedTask,
                      chat: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """lm-eval's logged samples of one exported task (in item order) and its metrics."""
    from lm_eval import simple_evaluate

    out = simple_evaluate(model=lm, tasks=[exported.name], task_manager=task_manager,
                          log_samples=True, apply_chat_template=chat, bootstrap_iters=0)
    if out is None:  # only on non-zero ranks of a distributed run
        raise HarnessError("lm-eval returned no results (distributed runs are not supported)")
    by_id = {s["doc"]["item_id"]: s for s in out["samples"][exported.name]}
    missing = [item.item_id for item in exported.items if item.item_id not in by_id]
    if missing:
        raise HarnessError(f"lm-eval returned no sample for {len(missing)} items of "
                           f"{exported.name} (first: {missing[0]})")
    samples = [by_id[item.item_id] for item in exported.items]
    return samples, _lm_eval_metrics(out["results"][exported.name])


def _choice_outputs(lm: Any, samples: Sequence[Mapping[str, Any]], exported: ExportedTask
                    ) -> tuple[list[str], list[LoglikResult], int]:
    """Contexts, per-choice results (item by item, choice by choice) and prompt tokens."""
    contexts: list[str] = []
    results: list[LoglikResult] = []
    tokens = 0
    for item, sample in zip(exported.items, samples, strict=True):
        arguments, resps = sample["arguments"], sample["resps"]
        if len(arguments) != len(item.choices):
            raise HarnessError(f"{item.item_id}: lm-eval scored {len(arguments)} continuations "
                               f"for {len(item.choices)} choices")
        contexts.append(str(arguments[0][0]))
        for (context, continuation), resp in zip(arguments, resps, strict=True):
            logprob, greedy = resp[0]
            ctx_ids, cont_ids = lm._encode_pair(context, continuation)
            tokens += len(ctx_ids) + len(cont_ids) - 1
            results.append(LoglikResult(float(logprob), bool(greedy), len(cont_ids)))
    return contexts, results, tokens


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return text[:cut] if cut >= 0 else text


def _generation_outputs(loaded: _Loaded, samples: Sequence[Mapping[str, Any]],
                        exported: ExportedTask, budget: int
                        ) -> tuple[list[str], list[GenResult]]:
    """Prompts and results from lm-eval's raw (unfiltered) generations. lm-eval returns text
    only: token counts are those of the text re-encoded, "length" when that reaches the budget,
    "stop" otherwise (a stop string or end of sequence)."""
    prompts: list[str] = []
    outputs: list[GenResult] = []
    for sample in samples:
        prompt = str(sample["arguments"][0][0])
        text = _cut_at_stop(str(sample["resps"][0][0]), exported.task.stop)
        generated = len(_encode(loaded.tokenizer, text))
        prompts.append(prompt)
        outputs.append(GenResult(text, len(_encode(loaded.tokenizer, prompt)), generated,
                                 "length" if generated >= budget else "stop"))
    return prompts, outputs


def run_exported_task(loaded: _Loaded, task_manager: Any, exported: ExportedTask,
                      batch_size: int | None, progress: Progress
                      ) -> tuple[TaskResult, list[Sample]]:
    """Evaluate one exported task with lm-eval and judge it like `harness run` does."""
    task, items, style, tok = exported.task, list(exported.items), loaded.style, loaded.tokenizer
    started = time.perf_counter()
    if task.regime == "qa":
        ours = generation_requests(tok, task, items, style)
        budget = ours[0].max_new_tokens if ours else task.max_new_tokens
        longest = max((len(_encode(tok, r.prompt)) for r in ours), default=1) + budget
        lm = make_lm(loaded, auto_batch_size(loaded, longest, batch_size), generation=True)
        progress.start(task.name, len(items))
        samples, lm_metrics = evaluate_exported(lm, task_manager, exported, style.chat)
        prompts, outputs = _generation_outputs(loaded, samples, exported, budget)
        task_samples, primary, metrics = judge_generations(task, items, prompts, outputs)
        expected = [r.prompt for r in ours]
        prompt_tokens = sum(o.prompt_tokens for o in outputs)
        generated_tokens = sum(o.generated_tokens for o in outputs)
    else:
        contexts_ours, ll_requests = choice_requests(tok, task, items, style)
        longest = max((len(_encode(tok, r.context + r.continuation)) for r in ll_requests),
                      default=1)
        lm = make_lm(loaded, auto_batch_size(loaded, longest, batch_size), generation=False)
        progress.start(task.name, len(ll_requests))
        samples, lm_metrics = evaluate_exported(lm, task_manager, exported, style.chat)
        prompts, results, prompt_tokens = _choice_outputs(lm, samples, exported)
        task_samples, primary, metrics = judge_choices(items, prompts, results)
        expected = contexts_ours
        generated_tokens = 0
    progress.advance(len(samples) if task.regime == "qa" else len(ll_requests))
    seconds = time.perf_counter() - started
    metrics.update(lm_metrics)
    # the prompts lm-eval built from the exported data should be ours, character for character
    metrics["prompt_mismatches"] = float(sum(a != b for a, b in zip(prompts, expected,
                                                                    strict=True)))
    result = TaskResult(
        task=task.name, regime=task.regime, language=task.language, n=len(items),
        primary=primary, metrics=metrics, seconds=round(seconds, 3),
        items_per_s=round(len(items) / seconds, 3) if seconds else 0.0,
        prompt_tokens=prompt_tokens, computed_tokens=prompt_tokens + generated_tokens,
        generated_tokens=generated_tokens, tokens_saved=0,
    )
    return result, task_samples


def _record(run_dir: Path, options: RunOptions, suite: Suite, loaded: _Loaded,
            task_names: list[str], started_at: dt.datetime, load_seconds: float) -> RunRecord:
    style = loaded.style
    return RunRecord(
        run_id=run_dir.name, status="running", started=started_at,
        harness_version=__version__, harness_git_sha=git_sha(),
        model=ModelRecord(**asdict(loaded.info)),
        suite=SuiteRecord(name=suite.name, version=suite.config.version,
                          content_hash=suite.content_hash, path=str(options.suite),
                          tasks=task_names),
        settings=Settings(engine=ENGINE, chat_template=style.chat, thinking=style.thinking,
                          system_prompt=style.system_prompt, batch_size=options.batch_size,
                          prefix_reuse=False,  # lm-eval runs every request in full
                          limit=options.limit, max_new_tokens=options.max_new_tokens),
        load_seconds=round(load_seconds, 3),
    )


def run_with_lm_eval(options: RunOptions, progress: Progress | None = None) -> Path:
    """Evaluate `options.model` on the suite through lm-eval; returns the run folder, written
    like `harness run`'s (run.json with settings.engine "lm-eval", samples.jsonl)."""
    from lm_eval.tasks import TaskManager

    progress = progress or SilentProgress()
    suite = load_suite(options.suite)
    tasks = select_tasks(suite, options.tasks)
    if options.limit is not None and options.limit < 1:
        raise HarnessError(f"--limit {options.limit}: must be at least 1")
    started_at = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    model, tokenizer, info = load_model(options.model, LoadOptions(
        options.device, options.dtype, options.revision, options.trust_remote_code))
    load_seconds = time.perf_counter() - t0
    style = PromptStyle.choose(tokenizer, chat=options.chat, thinking=options.thinking,
                               system_prompt=options.system_prompt or suite.config.system_prompt,
                               max_new_tokens=options.max_new_tokens)
    loaded = _Loaded(model, tokenizer, info, style)
    run_dir = prepare_run_dir(options.results_dir,
                              new_run_id(options.model, suite.name, started_at))
    record = _record(run_dir, options, suite, loaded, [t.name for t in tasks], started_at,
                     load_seconds)
    write_run(run_dir, record)
    samples: list[Sample] = []
    if info.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    try:
        with tempfile.TemporaryDirectory(prefix="harness-lmeval-") as tmp:
            exported = export_tasks(suite, Path(tmp), tasks=tasks, limit=options.limit,
                                    style=style, system_prompt=style.system_prompt)
            task_manager = TaskManager(include_path=tmp, include_defaults=False)
            for one in exported:
                result, task_samples = run_exported_task(loaded, task_manager, one,
                                                         options.batch_size, progress)
                record.tasks[one.task.name] = result
                samples.extend(task_samples)
                write_samples(run_dir, samples)
                write_run(run_dir, record)
    except BaseException:
        record.status = "failed"
        write_run(run_dir, record)
        raise
    record.status = "complete"
    record.finished = dt.datetime.now(dt.timezone.utc)
    record.total_seconds = round(time.perf_counter() - t0, 3)
    record.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if info.device.startswith("cuda"):
        record.peak_gpu_mb = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    write_run(run_dir, record)
    return run_dir
