"""`--engine lm-eval`: lm-eval's HFLM behind our Engine interface, driven by the one runner:
the same prompts, log-likelihoods within 1e-4 of our engine's, our scorer, our cache."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from harness.engine.hf import HFEngine
from harness.engine.interface import Engine
from harness.engine.lmeval import LmEvalEngine, answer_cut, cut_at_stop
from harness.engine.types import GenRequest
from harness.errors import HarnessError
from harness.results.store import read_run, read_samples
from harness.runs.options import RunOptions
from harness.runs.requests import PromptStyle, choice_requests
from harness.runs.runner import run
from harness.suite.items import build_items
from harness.suite.loader import Suite
from tests.conftest import SEED_SUITE

TASKS = ("mc", "tf_ko", "closed_qa")
LIMIT = 3


def _options(random_model: Path, results: Path, cache: Path, **kw: Any) -> RunOptions:
    base: dict[str, Any] = {"model": str(random_model), "suite": SEED_SUITE, "tasks": TASKS,
                            "results_dir": results, "engine": "lm-eval", "device": "cpu",
                            "dtype": "float32", "limit": LIMIT, "batch_size": 4,
                            "cache_dir": cache}
    return RunOptions(**{**base, **kw})


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory: pytest.TempPathFactory, random_model: Path) -> Path:
    return run(_options(random_model, tmp_path_factory.mktemp("results"),
                        tmp_path_factory.mktemp("cache")))


def test_the_adapter_is_an_engine(loaded: tuple[Any, Any, Any]) -> None:
    model, tokenizer, info = loaded
    assert isinstance(LmEvalEngine(model, tokenizer, info), Engine)
    assert isinstance(HFEngine(model, tokenizer, info), Engine)


def test_run_folder_is_ours(lm_run: Path) -> None:
    record = read_run(lm_run)
    assert record.status == "complete" and record.settings.engine == "lm-eval"
    assert record.backend["lm_eval_version"] and record.backend["prefix_reuse"] is False
    assert record.settings.chat_template  # the tokenizer has a chat template: used by default
    assert list(record.tasks) == list(TASKS)
    samples = read_samples(lm_run)
    assert [s.task for s in samples] == [t for t in TASKS for _ in range(LIMIT)]
    assert record.cache.computed == LIMIT * (4 + 2 + 1)


def test_choice_tasks_have_our_logliks(lm_run: Path, suite: Suite,
                                       loaded: tuple[Any, Any, Any]) -> None:
    model, tokenizer, info = loaded
    samples = read_samples(lm_run)
    style = PromptStyle(chat=True, thinking=False, system_prompt=None)
    engine = HFEngine(model, tokenizer, info, batch_size=8)
    for name in ("mc", "tf_ko"):
        task = suite.task(name)
        contexts, requests = choice_requests(tokenizer, task, build_items(suite, task, LIMIT),
                                             style)
        ours = [r.logprob for r in engine.loglikelihood(requests)]
        theirs = [ll for s in samples if s.task == name for ll in (s.logliks or [])]
        assert [s.prompt for s in samples if s.task == name] == contexts
        assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) <= 1e-4


def test_generations_are_scored_by_our_scorer(lm_run: Path) -> None:
    record = read_run(lm_run)
    generated = [s for s in read_samples(lm_run) if s.task == "closed_qa"]
    assert all(s.raw_output is not None and s.rule and s.finish in ("stop", "length")
               for s in generated)
    assert all("\n" not in (s.raw_output or "") for s in generated)
    result = record.tasks["closed_qa"]
    assert result.primary.name == "accuracy"
    assert result.generated_tokens == sum(s.generated_tokens or 0 for s in generated)


def test_a_rerun_takes_every_request_from_the_cache(tmp_path: Path, random_model: Path) -> None:
    options = _options(random_model, tmp_path / "results", tmp_path / "cache",
                       tasks=("tf",), limit=2, chat=False)
    first = read_run(run(options))
    again = read_run(run(options.__class__(**{**vars(options), "resume": False})))
    assert first.cache.computed == 4 and again.cache.computed == 0 and again.cache.hits == 4
    assert again.tasks["tf"].primary == first.tasks["tf"].primary


def test_unsupported_options_fail_before_a_run_folder(tmp_path: Path,
                                                      random_model: Path) -> None:
    options = _options(random_model, tmp_path / "results", tmp_path / "cache",
                       tasks=("closed_qa",), thinking=True, max_thinking_tokens=16)
    with pytest.raises(HarnessError, match="max-thinking-tokens"):
        run(options)
    assert not list((tmp_path / "results").glob("*/run.json"))


def test_without_lm_eval_the_error_names_the_extra(tmp_path: Path, random_model: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lm_eval", None)  # as if not installed
    with pytest.raises(HarnessError, match=r"fact-harness\[lm-eval\]"):
        run(_options(random_model, tmp_path / "results", tmp_path / "cache"))


def test_stop_strings_cut_the_answer_only() -> None:
    assert cut_at_stop("Seoul\nmore", ("\n",)) == "Seoul"
    assert cut_at_stop("a. b\n", (".", "\n")) == "a"
    assert cut_at_stop("plain", ()) == "plain"
    thinking = GenRequest("p", 8, ("\n",), thinking=True)
    assert answer_cut("a\nb</think>\n\nSeoul\nx", thinking) == "a\nb</think>\n\nSeoul"
    assert answer_cut("still\nthinking", thinking) == "still\nthinking"
