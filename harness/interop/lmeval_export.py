"""Export a suite as lm-eval 0.4 tasks: one YAML and one JSONL data file per task (regime),
plus a group YAML. Data only: the prompts are rendered here (`build_items`), so the YAMLs need
no `!function` and no Python files; lm-eval reads the JSONL through its `json` dataset."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.prompts.chat import plain_fewshot
from harness.prompts.fewshot import pick_examples
from harness.runs.requests import Decoding, PromptStyle, generation_budget
from harness.suite.items import Item, build_items
from harness.suite.loader import Suite
from harness.suite.schema import TaskDef

SPLIT = "test"


def group_name(suite: Suite) -> str:
    """The lm-eval group of a suite: its name with every character lm-eval task names avoid
    ('-', '.') replaced by '_' (kr-news-2025-07 -> kr_news_2025_07)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", suite.name)


def lm_eval_task_name(suite: Suite, task: TaskDef) -> str:
    """The lm-eval task name of one of the suite's tasks: `<group>_<task>`."""
    return f"{group_name(suite)}_{task.name}"


@dataclass(frozen=True)
class ExportedTask:
    name: str  # lm-eval task name
    task: TaskDef
    items: tuple[Item, ...]
    pool: tuple[Item, ...]  # every item of the task: where few-shot examples come from
    prompts: tuple[str, ...]  # what each doc's `prompt` holds (few-shot examples included)
    budget: int  # max_gen_toks (generation tasks)
    config: Path
    data: Path


def plain_style(suite: Suite) -> PromptStyle:
    """The style of `harness tasks export`: plain prompts, the suite's system prompt, each
    task's own number of few-shot examples."""
    return PromptStyle(chat=False, thinking=False, system_prompt=suite.config.system_prompt)


def check_supported(task: TaskDef, style: PromptStyle, decoding: Decoding) -> None:
    """What lm-eval's data-only tasks cannot express, refused with one clear line."""
    if style.chat and style.multiturn and style.shots(task) > 0:
        raise HarnessError(
            f"task {task.name}: few-shot examples as chat turns cannot be exported to lm-eval "
            "(its sampler would pick other examples); use --no-fewshot-as-multiturn (examples "
            "in the user message) or --num-fewshot 0")
    if decoding.max_thinking_tokens is not None or decoding.max_answer_tokens is not None:
        raise HarnessError("--max-thinking-tokens/--max-answer-tokens: lm-eval cannot force "
                           "</think> at a budget; use --engine hf")


def user_prompt(task: TaskDef, item: Item, pool: Sequence[Item], style: PromptStyle) -> str:
    """The item's prompt with its few-shot examples as text before it: the user message our
    `model_prompt` builds (the whole text of a plain prompt, system prompt aside)."""
    examples = pick_examples(task, item, pool, style.shots(task), style.seed)
    return plain_fewshot(item.prompt, [(e.example_prompt, e.target) for e in examples],
                         style.delimiter(task))


def _record(item: Item, prompt: str, shots: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "item_id": item.item_id, "task": item.task, "regime": item.regime,
        "fact_id": item.fact_id, "document": item.document, "as_of": item.as_of.isoformat(),
        "question": item.question, "answer": item.answer, "aliases": list(item.aliases),
        "answer_type": item.answer_type.value, "num_fewshot": shots, "prompt": prompt,
    }
    if item.regime == "qa":
        record["gold"] = item.answer
        record["targets"] = list(dict.fromkeys([item.answer, *item.aliases]))
    else:
        record["choices"] = list(item.choices)
        record["gold"] = item.label
        record["proposed"] = item.proposed
    return record


def _description(style: PromptStyle) -> str:
    r"""lm-eval puts the task description first: as plain text without a separator, or as the
    system message under a chat template. Our plain prompts are `system + "\n\n" + prompt`."""
    if not style.system_prompt:
        return ""
    return style.system_prompt if style.chat else style.system_prompt + "\n\n"


def _generation_kwargs(task: TaskDef, style: PromptStyle, decoding: Decoding,
                       budget: int) -> dict[str, Any]:
    # with thinking, stop strings are cut after </think> by the caller: lm-eval would stop at
    # the first "\n" of the thinking
    kwargs: dict[str, Any] = {"until": [] if style.thinking else list(task.stop),
                              "max_gen_toks": budget, "do_sample": decoding.temperature > 0}
    if decoding.temperature > 0:
        kwargs.update(temperature=decoding.temperature, top_p=decoding.top_p)
        if decoding.top_k > 0:
            kwargs["top_k"] = decoding.top_k
    return kwargs


def task_config(suite: Suite, task: TaskDef, data: Path, *, style: PromptStyle,
                decoding: Decoding, budget: int) -> dict[str, Any]:
    """The lm-eval task YAML (as a dict) of one task whose docs are in `data`."""
    config: dict[str, Any] = {
        "task": lm_eval_task_name(suite, task),
        "task_alias": task.name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {SPLIT: str(data.resolve())}},
        "test_split": SPLIT,
        "num_fewshot": 0,  # examples, if any, are already in the prompt
        "description": _description(style),
        "doc_to_text": "{{prompt}}",
    }
    if task.regime == "qa":
        config.update({
            "output_type": "generate_until",
            "doc_to_target": "targets",
            "generation_kwargs": _generation_kwargs(task, style, decoding, budget),
            "filter_list": [{"name": "strip", "filter": [{"function": "remove_whitespace"},
                                                         {"function": "take_first"}]}],
            "metric_list": [{"metric": "exact_match", "aggregation": "mean",
                             "higher_is_better": True, "ignore_case": True,
                             "ignore_punctuation": False}],
        })
        if decoding.repeats > 1:
            config["repeats"] = decoding.repeats
    else:
        config.update({
            "output_type": "multiple_choice",
            "doc_to_choice": "choices",
            "doc_to_target": "gold",
            "target_delimiter": task.target_delimiter,
            "metric_list": [
                {"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True},
            ],
        })
    config["metadata"] = {"version": suite.config.version, "suite": suite.name,
                          "suite_task": task.name, "regime": task.regime,
                          "language": task.language, "content_hash": suite.content_hash}
    return config


class _Dumper(yaml.SafeDumper):
    r"""Strings with line breaks or other control characters are written double-quoted
    ("\n"), which reads better than YAML's folded blocks and survives any editor."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    quoted = any(ch in value for ch in "\n\r\t") or value != value.strip()
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if quoted else None)


_Dumper.add_representer(str, _str)


def _dump(path: Path, data: dict[str, Any], header: str) -> None:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(f"# {header}\n" + text, encoding="utf-8")


def export_tasks(suite: Suite, out_dir: Path, *, tasks: Sequence[TaskDef] | None = None,
                 limit: int | None = None, style: PromptStyle | None = None,
                 decoding: Decoding | None = None) -> list[ExportedTask]:
    """Write the data and task YAML of each task (all of the suite's by default) and the group
    YAML into `out_dir`; returns what was written per task.

    `style` and `decoding` are those of a `harness run` (default: `plain_style`, greedy with
    the tasks' budgets): few-shot examples, system prompt placement, generation budget and
    sampling follow them, so lm-eval builds the same prompts as our engine gets."""
    style = style or plain_style(suite)
    decoding = decoding or Decoding()
    chosen = list(suite.tasks if tasks is None else tasks)
    if not chosen:
        raise HarnessError(f"suite {suite.name}: no tasks to export")
    if limit is not None and limit < 1:
        raise HarnessError(f"limit {limit}: must be at least 1")
    for task in chosen:
        check_supported(task, style, decoding)
    out_dir.mkdir(parents=True, exist_ok=True)
    exported: list[ExportedTask] = []
    for task in chosen:
        name = lm_eval_task_name(suite, task)
        pool = build_items(suite, task)
        items = pool[:limit] if limit else pool
        prompts = [user_prompt(task, item, pool, style) for item in items]
        data = out_dir / f"{name}.jsonl"
        shots = style.shots(task)
        lines = [json.dumps(_record(item, prompt, shots), ensure_ascii=False)
                 for item, prompt in zip(items, prompts, strict=True)]
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        budget = generation_budget(task, style, decoding)
        config = out_dir / f"{name}.yaml"
        _dump(config, task_config(suite, task, data, style=style, decoding=decoding,
                                  budget=budget),
              f"lm-eval task exported by fact-harness from suite {suite.name} "
              f"v{suite.config.version} ({suite.content_hash}), task {task.name}")
        exported.append(ExportedTask(name, task, tuple(items), tuple(pool), tuple(prompts),
                                     budget, config, data))
    group = {
        "group": group_name(suite),
        "task": [e.name for e in exported],
        "metadata": {"version": suite.config.version, "suite": suite.name,
                     "content_hash": suite.content_hash},
    }
    _dump(group_file(suite, out_dir), group,
          f"lm-eval group of suite {suite.name}: lm_eval --include_path {out_dir.resolve()} "
          f"--tasks {group_name(suite)}")
    return exported


def group_file(suite: Suite, out_dir: Path) -> Path:
    return out_dir / f"_{group_name(suite)}.yaml"


def export_lm_eval(suite: Suite, out_dir: Path, *, tasks: Sequence[TaskDef] | None = None,
                   limit: int | None = None) -> list[Path]:
    """Export `suite` (the plain prompts of `harness tasks export`, with the suite's system
    prompt and each task's few-shot examples) as lm-eval 0.4 tasks under `out_dir`; returns the
    written files: the group YAML, then each task's YAML and JSONL data."""
    exported = export_tasks(suite, out_dir, tasks=tasks, limit=limit)
    paths = [group_file(suite, out_dir)]
    for task in exported:
        paths.extend([task.config, task.data])
    return paths
