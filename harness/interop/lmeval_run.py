"""Run a suite through lm-eval (`lm_eval.simple_evaluate` on an `HFLM`) into our results format.

The suite is exported to a temporary folder (`export_tasks`: prompts rendered by us, few-shot
examples, budgets and sampling as `harness run` would use them) and evaluated task by task.
lm-eval's per-sample outputs become our engine results (log-likelihoods from `resps`, generated
text) and go through the same judging as `harness run`: our answer scorer for generation, our
choice metrics with cluster-bootstrap intervals for mc/tf. lm-eval's own aggregate metrics are
kept next to ours as `lm_eval_<metric>`, and `prompt_mismatches` counts the prompts lm-eval built
that differ from the ones our engine would get (0 unless something drifted).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from harness.cache.store import model_key
from harness.engine.batching import rows_per_batch
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenResult, LoglikResult, ModelInfo
from harness.errors import HarnessError
from harness.evaluate.judging import judge_choices, judge_generations
from harness.evaluate.options import RunOptions
from harness.evaluate.preflight import preflight
from harness.evaluate.requests import (
    Decoding,
    PromptStyle,
    choice_requests,
    generation_requests,
    prompting,
)
from harness.evaluate.rundir import open_run_dir
from harness.evaluate.runner import (
    Progress,
    SilentProgress,
    abort_run,
    finish_run,
    new_record,
    template_sha,
)
from harness.interop.lmeval_export import ExportedTask, export_tasks
from harness.results.records import CacheRecord, RunRecord, Sample, TaskResult
from harness.results.store import read_samples, write_run, write_samples

THINK_END = "</think>"


@dataclass(frozen=True)
class Loaded:
    """The model, loaded once by our loader, and how it is prompted."""

    model: Any
    tokenizer: Any
    info: ModelInfo
    style: PromptStyle
    decoding: Decoding


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def think_end_token(tokenizer: Any) -> int | str:
    """Where HFLM cuts the thinking off: the token id of `</think>` when it is one token
    (special tokens vanish from decoded text, so the string would never be found), else the
    string."""
    ids = _encode(tokenizer, THINK_END)
    return int(ids[0]) if len(ids) == 1 else THINK_END


def make_lm(loaded: Loaded, batch_size: int, *, generation: bool) -> Any:
    """An HFLM around the already loaded model and tokenizer (nothing is loaded twice).

    Under a chat template, `enable_thinking` reaches the template as in our prompts; lm-eval
    refuses log-likelihoods with thinking on, so choice tasks always get it off."""
    from lm_eval.models.huggingface import HFLM

    kwargs: dict[str, Any] = {}
    if loaded.style.chat:
        thinking = generation and loaded.style.thinking
        kwargs["enable_thinking"] = thinking
        if thinking:
            kwargs["think_end_token"] = think_end_token(loaded.tokenizer)
    return HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=batch_size,
                **kwargs)


def batch_size_for(loaded: Loaded, longest_tokens: int, fixed: int | None) -> int:
    """A fixed --batch-size, or our engine's memory-budget rule for the longest row (lm-eval's
    own "auto" probes 64 rows of the model's whole context window: hours on a CPU)."""
    return rows_per_batch(loaded.model.config, longest_tokens, loaded.info, fixed, plain=True)


def _lm_eval_metrics(results: Mapping[str, Any]) -> dict[str, float]:
    """lm-eval's aggregate numbers of one task as `lm_eval_<metric>` (stderrs left out)."""
    metrics: dict[str, float] = {}
    for key, value in results.items():
        metric, comma, _ = key.partition(",")  # "acc,none": metric,filter
        if (not comma or "stderr" in metric or isinstance(value, bool)
                or not isinstance(value, (int, float))):
            continue
        metrics[f"lm_eval_{metric}"] = float(value)
    return metrics


def evaluate_exported(lm: Any, task_manager: Any, exported: ExportedTask, *, chat: bool,
                      seed: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """lm-eval's logged samples of one exported task, in item order, and its metrics."""
    from lm_eval import simple_evaluate

    out = simple_evaluate(model=lm, tasks=[exported.name], task_manager=task_manager,
                          log_samples=True, apply_chat_template=chat, bootstrap_iters=0,
                          random_seed=seed, numpy_random_seed=seed, torch_random_seed=seed,
                          fewshot_random_seed=seed)
    if out is None:  # only on the non-zero ranks of a distributed run
        raise HarnessError("lm-eval returned no results (distributed runs are not supported)")
    by_id = {s["doc"]["item_id"]: s for s in out["samples"][exported.name]}
    missing = [item.item_id for item in exported.items if item.item_id not in by_id]
    if missing:
        raise HarnessError(f"lm-eval returned no sample for {len(missing)} items of "
                           f"{exported.name} (first: {missing[0]})")
    samples = [by_id[item.item_id] for item in exported.items]
    return samples, _lm_eval_metrics(out["results"][exported.name])


def choice_outputs(lm: Any, samples: Sequence[Mapping[str, Any]], exported: ExportedTask
                   ) -> tuple[list[str], list[LoglikResult], int]:
    """Contexts, per-choice results (item by item, choice by choice) and prompt tokens (as
    lm-eval tokenized them) of a multiple-choice task's samples."""
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
            context_ids, continuation_ids = lm._encode_pair(context, continuation)
            tokens += len(context_ids) + len(continuation_ids) - 1
            results.append(LoglikResult(float(logprob), bool(greedy), len(continuation_ids)))
    return contexts, results, tokens


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return text[:cut] if cut >= 0 else text


def generation_outputs(tokenizer: Any, samples: Sequence[Mapping[str, Any]],
                       exported: ExportedTask) -> tuple[list[str], list[list[GenResult]]]:
    """Prompts and results (one per repeat) from lm-eval's raw, unfiltered generations.

    lm-eval returns text only: token counts are those of the text re-encoded, the finish is
    "length" when that count reaches the budget and "stop" otherwise (stop string or end of
    sequence). With thinking, HFLM returns the answer after `</think>`; its stop strings were
    left out of the export, so they are applied here, to the answer only."""
    prompts: list[str] = []
    outputs: list[list[GenResult]] = []
    for sample in samples:
        prompt = str(sample["arguments"][0][0])
        prompt_tokens = len(_encode(tokenizer, prompt))
        repeats = []
        for raw in sample["resps"][0]:
            text = cut_at_stop(str(raw), exported.task.stop)
            generated = len(_encode(tokenizer, text))
            repeats.append(GenResult(text, prompt_tokens, generated,
                                     "length" if generated >= exported.budget else "stop",
                                     answer_tokens=generated))
        prompts.append(prompt)
        outputs.append(repeats)
    return prompts, outputs


def run_exported_task(loaded: Loaded, task_manager: Any, exported: ExportedTask,
                      batch_size: int | None, progress: Progress
                      ) -> tuple[TaskResult, list[Sample], int]:
    """Evaluate one exported task with lm-eval and judge it like `harness run`; also returns
    the number of requests lm-eval computed."""
    task, items = exported.task, list(exported.items)
    style, decoding, tok = loaded.style, loaded.decoding, loaded.tokenizer
    started = time.perf_counter()
    if task.regime == "qa":
        ours = generation_requests(tok, task, items, style, decoding, exported.pool)
        expected = [group[0].prompt for group in ours]
        longest = max((len(_encode(tok, p)) for p in expected), default=1) + exported.budget
        lm = make_lm(loaded, batch_size_for(loaded, longest, batch_size), generation=True)
        requests = len(items) * decoding.repeats
        progress.start(task.name, requests)
        samples, lm_metrics = evaluate_exported(lm, task_manager, exported, chat=style.chat,
                                                seed=decoding.seed)
        prompts, outputs = generation_outputs(tok, samples, exported)
        task_samples, primary, metrics = judge_generations(task, items, prompts, outputs)
        prompt_tokens = sum(group[0].prompt_tokens * len(group) for group in outputs)
        generated_tokens = sum(o.generated_tokens for group in outputs for o in group)
    else:
        expected, ll_requests = choice_requests(tok, task, items, style, exported.pool)
        longest = max((len(_encode(tok, r.context + r.continuation)) for r in ll_requests),
                      default=1)
        lm = make_lm(loaded, batch_size_for(loaded, longest, batch_size), generation=False)
        requests = len(ll_requests)
        progress.start(task.name, requests)
        samples, lm_metrics = evaluate_exported(lm, task_manager, exported, chat=style.chat,
                                                seed=decoding.seed)
        prompts, results, prompt_tokens = choice_outputs(lm, samples, exported)
        task_samples, primary, metrics = judge_choices(items, prompts, results)
        generated_tokens = 0
    progress.advance(requests)
    seconds = time.perf_counter() - started
    metrics.update(lm_metrics)
    metrics["prompt_mismatches"] = float(sum(a != b for a, b in zip(prompts, expected,
                                                                    strict=True)))
    result = TaskResult(
        task=task.name, regime=task.regime, language=task.language, n=len(items),
        template_sha=template_sha(task), num_fewshot=style.shots(task),
        primary=primary, metrics=metrics, seconds=round(seconds, 3),
        items_per_s=round(len(items) / seconds, 3) if seconds else 0.0,
        prompt_tokens=prompt_tokens, computed_tokens=prompt_tokens + generated_tokens,
        generated_tokens=generated_tokens, tokens_saved=0,  # lm-eval runs each request whole
    )
    return result, task_samples, requests


def _resumed(run_dir: Path, previous: RunRecord | None) -> tuple[dict[str, TaskResult],
                                                              list[Sample]]:
    """Tasks (and their samples) an interrupted run of the same evaluation completed."""
    if previous is None or not previous.tasks or not (run_dir / "samples.jsonl").is_file():
        return {}, []
    samples = [s for s in read_samples(run_dir) if s.task in previous.tasks]
    return dict(previous.tasks), samples


def run_with_lm_eval(options: RunOptions, progress: Progress | None = None) -> Path:
    """Evaluate `options.model` on the suite through lm-eval; returns the run folder, written
    like `harness run`'s (run.json with settings.engine "lm-eval", samples.jsonl).

    The model is loaded once, by our loader (so run.json's model record is the same as with
    the hf engine), and handed to lm-eval's HFLM. A rerun of an interrupted evaluation resumes
    in the same folder and skips the tasks it completed."""
    from lm_eval.tasks import TaskManager

    plan = preflight(options)  # before the model loads
    options, suite, tasks = plan.options, plan.suite, plan.tasks
    progress = progress or SilentProgress()
    t0 = time.perf_counter()
    model, tokenizer, info = load_model(options.model, LoadOptions(
        options.device, options.dtype, options.revision, options.trust_remote_code))
    load_seconds = time.perf_counter() - t0
    style, decoding = prompting(options, tokenizer, suite.config.system_prompt)
    loaded = Loaded(model, tokenizer, info, style, decoding)
    signature = options.signature(model_key(info), suite.content_hash)
    with tempfile.TemporaryDirectory(prefix="harness-lmeval-") as tmp:
        # export first: what lm-eval cannot express fails before a run folder exists
        exported = export_tasks(suite, Path(tmp), tasks=tasks, limit=options.limit,
                                style=style, decoding=decoding)
        run_dir, previous = open_run_dir(options.results_dir, options.model, suite.name,
                                         signature, resume=options.resume)
        record = new_record(options, suite, tasks, info, style, run_dir.name, signature)
        record.settings = record.settings.model_copy(update={"prefix_reuse": False,
                                                             "tune_kernels": False,
                                                             "cache": False})
        record.load_seconds = round(load_seconds, 3)
        record.cache = CacheRecord()
        done, samples = _resumed(run_dir, previous)
        if previous is not None:
            record.started, record.resumed = previous.started, previous.resumed + 1
            record.tasks.update(done)
        write_run(run_dir, record)
        if info.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        try:
            task_manager = TaskManager(include_path=tmp, include_defaults=False)
            for one in exported:
                if one.task.name in done:
                    continue
                result, task_samples, computed = run_exported_task(
                    loaded, task_manager, one, options.batch_size, progress)
                record.tasks[one.task.name] = result
                record.cache.computed += computed
                samples.extend(task_samples)
                write_samples(run_dir, samples)
                write_run(run_dir, record)
        except BaseException as err:
            abort_run(run_dir, record, err)
            raise
    order = {t.name: index for index, t in enumerate(tasks)}
    record.tasks = {t.name: record.tasks[t.name] for t in tasks}  # suite order
    write_samples(run_dir, sorted(samples, key=lambda s: order[s.task]))
    finish_run(run_dir, record, t0, info.device)
    return run_dir
