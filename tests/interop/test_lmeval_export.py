"""`export_lm_eval`: data-only lm-eval 0.4 tasks that lm-eval loads and runs unchanged, and
that build exactly the prompts our engine gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import HarnessError
from harness.interop.lmeval_export import (
    export_lm_eval,
    export_tasks,
    generation_budget,
    group_name,
    lm_eval_task_name,
)
from harness.prompts.chat import format_prompt
from harness.runs.requests import Decoding, PromptStyle, choice_requests, generation_requests
from harness.suite.items import build_items
from harness.suite.loader import Suite


def _yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _lm_tasks(task_manager: Any, names: list[str]) -> dict[str, Any]:
    loaded = task_manager.load(names)
    return {name: loaded["tasks"][name] for name in names}


def test_export_writes_one_yaml_and_jsonl_per_task_and_a_group(tmp_path: Path,
                                                               suite: Suite) -> None:
    paths = export_lm_eval(suite, tmp_path / "out")
    group = _yaml(paths[0])
    assert group["group"] == "kr_news_2025_07" == group_name(suite)
    assert group["task"] == [f"kr_news_2025_07_{t.name}" for t in suite.tasks]
    assert len(paths) == 1 + 2 * len(suite.tasks)
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == sorted(
        [".yaml"] * (1 + len(suite.tasks)) + [".jsonl"] * len(suite.tasks))
    for path in paths:
        assert "!function" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["closed_qa", "open_qa", "mc", "mc_open", "tf", "closed_qa_ko",
                                  "mc_ko", "tf_ko"])
def test_task_yaml_and_data(exported: Path, suite: Suite, name: str) -> None:
    task = suite.task(name)
    config = _yaml(exported / f"{lm_eval_task_name(suite, task)}.yaml")
    assert config["task"] == f"kr_news_2025_07_{name}"
    assert config["dataset_path"] == "json"
    data = Path(config["dataset_kwargs"]["data_files"]["test"])
    assert data.is_absolute() and data.is_file() and config["test_split"] == "test"
    assert config["doc_to_text"] == "{{prompt}}"
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    items = build_items(suite, task)
    assert [r["prompt"] for r in records] == [item.prompt for item in items]
    assert [r["item_id"] for r in records] == [item.item_id for item in items]
    if task.regime == "qa":
        assert config["output_type"] == "generate_until"
        assert config["generation_kwargs"] == {"until": list(task.stop),
                                               "max_gen_toks": task.max_new_tokens,
                                               "do_sample": False}
        assert [m["metric"] for m in config["metric_list"]] == ["exact_match"]
        assert [r["targets"][0] for r in records] == [item.answer for item in items]
    else:
        assert config["output_type"] == "multiple_choice"
        assert config["target_delimiter"] == task.target_delimiter
        assert [m["metric"] for m in config["metric_list"]] == ["acc", "acc_norm"]
        assert [r["choices"] for r in records] == [list(item.choices) for item in items]
        assert [r["gold"] for r in records] == [item.label for item in items]


def test_lm_eval_builds_our_plain_requests(task_manager: Any, suite: Suite,
                                           loaded: tuple[Any, Any, Any]) -> None:
    """lm-eval's contexts and continuations are exactly our engine's (chat template off)."""
    tokenizer = loaded[1]
    style = PromptStyle(chat=False, thinking=False, system_prompt=None)
    names = ["mc", "tf_ko", "closed_qa"]
    lm_tasks = _lm_tasks(task_manager, [f"kr_news_2025_07_{n}" for n in names])
    for name in names:
        task = suite.task(name)
        lm_task = lm_tasks[f"kr_news_2025_07_{name}"]
        items = build_items(suite, task, limit=4)
        docs = list(lm_task.test_docs())[:4]
        args: list[Any] = []
        for doc in docs:
            ctx = lm_task.fewshot_context(doc, 0)
            reqs = lm_task.construct_requests(doc=doc, ctx=ctx, metadata=(name, 0, 1))
            args.extend(r.args for r in (reqs if isinstance(reqs, list) else [reqs]))
        if task.regime == "qa":
            ours = generation_requests(tokenizer, task, items, style, Decoding())
            assert [a[0] for a in args] == [group[0].prompt for group in ours]
            assert all(a[1]["until"] == list(task.stop) for a in args)
        else:
            _, ours_ll = choice_requests(tokenizer, task, items, style)
            assert args == [(r.context, r.continuation) for r in ours_ll]


def test_lm_eval_builds_our_chat_prompts(tmp_path: Path, suite: Suite, hflm: Any,
                                         loaded: tuple[Any, Any, Any]) -> None:
    """Under lm-eval's --apply_chat_template (with enable_thinking off, as our prompts pass it)
    and a system prompt: the same text, and no target delimiter, as ours."""
    from lm_eval.tasks import TaskManager

    tokenizer = loaded[1]
    style = PromptStyle(chat=True, thinking=False, system_prompt="You are a careful assistant.")
    tasks = [suite.task("mc"), suite.task("closed_qa_ko")]
    export_tasks(suite, tmp_path, tasks=tasks, limit=3, style=style)
    lm_tasks = _lm_tasks(TaskManager(include_path=str(tmp_path), include_defaults=False),
                         [lm_eval_task_name(suite, t) for t in tasks])
    hflm.chat_template_args = {"enable_thinking": False}
    try:
        for task in tasks:
            lm_task = lm_tasks[lm_eval_task_name(suite, task)]
            items = build_items(suite, task, limit=3)
            contexts = [lm_task.fewshot_context(doc, 0, apply_chat_template=True,
                                                chat_template=hflm.apply_chat_template)
                        for doc in lm_task.test_docs()]
            assert contexts == [format_prompt(tokenizer, item.prompt, system=style.system_prompt)
                                for item in items]
            if task.regime == "mc":
                doc = lm_task.test_docs()[0]
                reqs = lm_task.construct_requests(doc=doc, ctx=contexts[0],
                                                  metadata=("mc", 0, 1),
                                                  apply_chat_template=True)
                _, ours = choice_requests(tokenizer, task, items[:1], style)
                assert [r.args for r in reqs] == [(r.context, r.continuation) for r in ours]
    finally:
        hflm.chat_template_args = {}


def test_plain_system_prompt_and_fewshot_match_ours(tmp_path: Path, suite: Suite,
                                                    loaded: tuple[Any, Any, Any]) -> None:
    from lm_eval.tasks import TaskManager

    tokenizer = loaded[1]
    style = PromptStyle(chat=False, thinking=False, system_prompt="Be brief.", num_fewshot=2,
                        seed=3)
    task = suite.task("tf")
    export_tasks(suite, tmp_path, tasks=[task], limit=3, style=style)
    lm_task = _lm_tasks(TaskManager(include_path=str(tmp_path), include_defaults=False),
                        [lm_eval_task_name(suite, task)])[lm_eval_task_name(suite, task)]
    pool = build_items(suite, task)
    contexts, _ = choice_requests(tokenizer, task, pool[:3], style, pool)
    assert [lm_task.fewshot_context(doc, 0) for doc in lm_task.test_docs()] == contexts
    assert all(c.startswith("Be brief.\n\n") and c.count("Answer:") == 3 for c in contexts)


@pytest.mark.parametrize(("thinking", "max_new_tokens"), [(False, None), (False, 7),
                                                          (True, None), (True, 7)])
def test_generation_budget_is_the_engines(suite: Suite, thinking: bool,
                                          max_new_tokens: int | None) -> None:
    task = suite.task("closed_qa")
    style = PromptStyle(chat=False, thinking=thinking, system_prompt=None)
    decoding = Decoding(max_new_tokens=max_new_tokens)
    ours = generation_requests(None, task, build_items(suite, task, 1), style, decoding)
    assert generation_budget(task, style, decoding) == ours[0][0].max_new_tokens


def test_sampling_repeats_and_thinking_reach_the_yaml(tmp_path: Path, suite: Suite) -> None:
    style = PromptStyle(chat=True, thinking=True, system_prompt=None)
    decoding = Decoding(temperature=0.6, top_p=0.95, top_k=20, repeats=3)
    [one] = export_tasks(suite, tmp_path, tasks=[suite.task("closed_qa")], limit=2, style=style,
                         decoding=decoding)
    config = _yaml(one.config)
    assert config["repeats"] == 3
    assert config["generation_kwargs"] == {
        "until": [], "max_gen_toks": one.budget, "do_sample": True, "temperature": 0.6,
        "top_p": 0.95, "top_k": 20}


def test_what_lm_eval_cannot_express_is_refused(tmp_path: Path, suite: Suite) -> None:
    chat_shots = PromptStyle(chat=True, thinking=False, system_prompt=None, num_fewshot=1)
    with pytest.raises(HarnessError, match="few-shot examples as chat turns"):
        export_tasks(suite, tmp_path, tasks=[suite.task("mc")], style=chat_shots)
    with pytest.raises(HarnessError, match="max-thinking-tokens"):
        export_tasks(suite, tmp_path, decoding=Decoding(max_thinking_tokens=64))
    with pytest.raises(HarnessError, match="limit"):
        export_lm_eval(suite, tmp_path, limit=0)


def test_simple_evaluate_runs_the_group_unchanged(task_manager: Any, suite: Suite,
                                                  random_model: Path) -> None:
    """What `lm_eval --model hf --model_args pretrained=...,dtype=float32 --include_path DIR
    --tasks kr_news_2025_07 --limit 2 --device cpu` does."""
    from lm_eval import simple_evaluate

    out = simple_evaluate(model="hf", model_args=f"pretrained={random_model},dtype=float32",
                          tasks=["kr_news_2025_07"], task_manager=task_manager, limit=2,
                          device="cpu", bootstrap_iters=0, log_samples=False)
    assert out is not None
    for task in suite.tasks:
        result = out["results"][lm_eval_task_name(suite, task)]
        if task.regime == "qa":
            assert 0.0 <= result["exact_match,strip"] <= 1.0
        else:
            assert 0.0 <= result["acc,none"] <= 1.0 and 0.0 <= result["acc_norm,none"] <= 1.0
    assert out["n-samples"][lm_eval_task_name(suite, suite.tasks[0])]["effective"] == 2
