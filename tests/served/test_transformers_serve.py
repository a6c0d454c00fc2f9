"""`--engine openai` against `transformers serve` running the tiny memorizer: generation
regimes give what `--engine hf` gives; its choice tasks are refused by the probe (its
/completions ignores `echo` and `logprobs`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.results.store import read_run
from tests.served.conftest import (
    GEN_TASKS,
    needs,
    outputs,
    run_samples,
    served_options,
)
from tests.served.servers import ServerProcess

pytestmark = needs("openai", "fastapi", "uvicorn")


def test_generation_regimes_match_hf(transformers_server: ServerProcess, memorizer_model: Path,
                                     hf_samples: list, tmp_path: Path) -> None:
    options = served_options(transformers_server.url, str(memorizer_model), tmp_path)
    run_dir, samples = run_samples(options)
    assert {s.task for s in samples} == set(GEN_TASKS)
    assert outputs(samples) == outputs(hf_samples)
    assert any(s.verdict == "correct" for s in samples)  # the memorizer knows its facts
    record = read_run(run_dir)
    assert record.settings.engine == "openai" and record.status == "complete"
    backend = record.backend
    assert backend["base_url"] == transformers_server.url
    assert backend["served_model"] == str(memorizer_model)
    assert backend["probe"]["passed"] is False
    assert record.model.path == transformers_server.url
    # requests ran through the cache: the same run again computes nothing
    again = read_run(run_samples(replace(options, resume=False))[0])
    assert again.cache.computed == 0 and again.cache.hits == len(samples)


def test_choice_tasks_refused_before_the_run(transformers_server: ServerProcess,
                                             memorizer_model: Path, tmp_path: Path) -> None:
    notes: list[str] = []
    options = served_options(transformers_server.url, str(memorizer_model), tmp_path,
                             tasks=("closed_qa", "mc", "tf"), limit=2)
    run_dir, samples = run_samples(options, notes)
    assert len(notes) == 1 and "\n" not in notes[0]
    assert notes[0].startswith("mc, tf refused (server failed the log-probability probe")
    assert "logprobs" in notes[0] and notes[0].endswith("running closed_qa")
    assert {s.task for s in samples} == {"closed_qa"}
    record = read_run(run_dir)
    assert record.backend["refused_tasks"] == ["mc", "tf"]
    assert record.suite.tasks == ["closed_qa"]


def test_only_choice_tasks_is_one_error(transformers_server: ServerProcess,
                                        memorizer_model: Path, tmp_path: Path) -> None:
    options = served_options(transformers_server.url, str(memorizer_model), tmp_path,
                             tasks=("mc",), limit=2)
    with pytest.raises(HarnessError) as caught:
        run_samples(options)
    assert str(caught.value).startswith("mc refused (server failed the log-probability probe")
    assert "\n" not in str(caught.value)
    assert not list(tmp_path.glob("*/run.json"))  # refused before the run started


def test_concurrency_1_and_8_identical(transformers_server: ServerProcess, memorizer_model: Path,
                                       tmp_path: Path) -> None:
    one = served_options(transformers_server.url, str(memorizer_model), tmp_path / "one",
                         cache_dir=None, max_concurrency=1, tasks=("closed_qa", "open_qa"))
    eight = served_options(transformers_server.url, str(memorizer_model), tmp_path / "eight",
                           cache_dir=None, max_concurrency=8, tasks=("closed_qa", "open_qa"))
    assert outputs(run_samples(one)[1]) == outputs(run_samples(eight)[1])


def test_prompts_rendered_here_match_hf(transformers_server: ServerProcess,
                                        memorizer_model: Path, hf_samples: list,
                                        tmp_path: Path) -> None:
    """With --tokenizer, prompts are rendered here (chat template included) and go to
    /v1/completions as text: the same answers as --engine hf."""
    options = served_options(transformers_server.url, str(memorizer_model), tmp_path,
                             tokenizer=str(memorizer_model))
    run_dir, samples = run_samples(options)
    assert outputs(samples) == outputs(hf_samples)
    assert [s.prompt for s in samples] == [s.prompt for s in hf_samples]
    assert read_run(run_dir).backend["prompts"].startswith("rendered here")
