"""`run_with_lm_eval`: a suite run through lm-eval lands in our results format, scored by our
scorer, with the same prompts and log-likelihoods as our engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.engine.hf import HFEngine
from harness.errors import HarnessError
from harness.evaluate.options import RunOptions
from harness.evaluate.requests import Decoding, PromptStyle, choice_requests
from harness.interop.lmeval_run import (
    Loaded,
    cut_at_stop,
    make_lm,
    run_with_lm_eval,
    think_end_token,
)
from harness.prompts.items import build_items
from harness.results.records import RunRecord
from harness.results.store import read_run, read_samples, write_run
from harness.suite.loader import Suite
from tests.conftest import SEED_SUITE

TASKS = ("mc", "tf_ko", "closed_qa")
LIMIT = 3


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory: pytest.TempPathFactory, random_model: Path) -> Path:
    options = RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=TASKS,
                         results_dir=tmp_path_factory.mktemp("results"), engine="lm-eval",
                         device="cpu", dtype="float32", limit=LIMIT, batch_size=4)
    return run_with_lm_eval(options)


def test_run_folder_is_ours(lm_run: Path) -> None:
    record = read_run(lm_run)
    assert record.status == "complete" and record.settings.engine == "lm-eval"
    assert record.settings.chat_template  # the tokenizer has a chat template: used by default
    assert list(record.tasks) == list(TASKS)
    assert record.model.dtype == "float32" and record.model.architecture == "Exaone4ForCausalLM"
    samples = read_samples(lm_run)
    assert [s.task for s in samples] == [t for t in TASKS for _ in range(LIMIT)]
    for name, result in record.tasks.items():
        assert result.n == LIMIT
        assert result.metrics["prompt_mismatches"] == 0, name
    assert record.cache.computed == LIMIT * (4 + 2 + 1)


def test_choice_tasks_have_our_logliks_and_lm_evals_acc(lm_run: Path, suite: Suite,
                                                        loaded: tuple[Any, Any, Any]) -> None:
    """Chat template on: lm-eval's per-choice logliks are our engine's, and its acc/acc_norm
    are ours."""
    model, tokenizer, info = loaded
    record = read_run(lm_run)
    samples = read_samples(lm_run)
    style = PromptStyle(chat=True, thinking=False, system_prompt=None)
    engine = HFEngine(model, tokenizer, info, batch_size=8)
    for name in ("mc", "tf_ko"):
        task = suite.task(name)
        items = build_items(suite, task, LIMIT)
        contexts, requests = choice_requests(tokenizer, task, items, style)
        ours = [r.logprob for r in engine.loglikelihood(requests)]
        theirs = [ll for s in samples if s.task == name for ll in (s.logliks or [])]
        assert [s.prompt for s in samples if s.task == name] == contexts
        assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) <= 1e-4
        metrics = record.tasks[name].metrics
        assert metrics["acc"] == metrics["lm_eval_acc"]
        assert metrics["acc_norm"] == metrics["lm_eval_acc_norm"]


def test_generations_are_rescored_by_our_scorer(lm_run: Path) -> None:
    record = read_run(lm_run)
    generated = [s for s in read_samples(lm_run) if s.task == "closed_qa"]
    assert all(s.raw_output is not None and s.rule and s.finish in ("stop", "length")
               for s in generated)
    assert all("\n" not in (s.raw_output or "") for s in generated)
    result = record.tasks["closed_qa"]
    assert result.primary.name == "accuracy"
    assert {"accuracy", "f1", "not_attempted_rate", "lm_eval_exact_match"} <= set(result.metrics)
    assert result.generated_tokens == sum(s.generated_tokens or 0 for s in generated)


def test_interrupted_run_resumes_and_keeps_finished_tasks(tmp_path: Path,
                                                          random_model: Path) -> None:
    options = RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=("tf", "tf_ko"),
                         results_dir=tmp_path, engine="lm-eval", device="cpu", dtype="float32",
                         limit=1, chat=False)
    first = run_with_lm_eval(options)
    record = read_run(first)
    kept = record.tasks["tf"]
    broken = RunRecord.model_validate({**record.model_dump(), "status": "failed",
                                       "tasks": {"tf": kept.model_dump()}})
    write_run(first, broken)
    again = run_with_lm_eval(options)
    resumed = read_run(again)
    assert again == first and resumed.resumed == 1 and resumed.status == "complete"
    assert resumed.tasks["tf"] == kept and list(resumed.tasks) == ["tf", "tf_ko"]
    assert resumed.cache.computed == 2  # only tf_ko's two choices were run again
    assert [s.task for s in read_samples(again)] == ["tf", "tf_ko"]
    assert not resumed.settings.chat_template


def test_unsupported_options_fail_before_a_run_folder(tmp_path: Path,
                                                      random_model: Path) -> None:
    options = RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=("closed_qa",),
                         results_dir=tmp_path / "results", engine="lm-eval", device="cpu",
                         thinking=True, max_thinking_tokens=16)
    with pytest.raises(HarnessError, match="max-thinking-tokens"):
        run_with_lm_eval(options)
    assert not list((tmp_path / "results").glob("*/run.json"))


def test_cut_at_stop() -> None:
    assert cut_at_stop("Seoul\nmore", ("\n",)) == "Seoul"
    assert cut_at_stop("a. b\n", (".", "\n")) == "a"
    assert cut_at_stop("plain", ()) == "plain"


def test_thinking_reaches_the_template_and_hflm_cuts_at_think_end(
        loaded: tuple[Any, Any, Any]) -> None:
    model, tokenizer, info = loaded
    style = PromptStyle(chat=True, thinking=True, system_prompt=None)
    state = Loaded(model, tokenizer, info, style, Decoding())
    generation = make_lm(state, 2, generation=True)
    assert generation.chat_template_args == {"enable_thinking": True}
    assert think_end_token(tokenizer) == tokenizer.convert_tokens_to_ids("</think>")
    assert generation.think_end_token == think_end_token(tokenizer)
    choices = make_lm(state, 2, generation=False)  # lm-eval refuses logliks while thinking
    assert choices.chat_template_args == {"enable_thinking": False}
    assert not choices.enable_thinking
    plain = make_lm(Loaded(model, tokenizer, info, PromptStyle(chat=False, thinking=False,
                                                                system_prompt=None),
                           Decoding()), 2, generation=True)
    assert plain.chat_template_args == {} and plain.batch_size == 2
