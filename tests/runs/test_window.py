"""Over-long prompts are never cut silently: refused before the model runs, one line per
task, unless a truncation policy is chosen; then each sample records its cut."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenRequest, LoglikRequest
from harness.engine.window import cut, fit_pair, fit_prompt
from harness.errors import HarnessError
from harness.results.store import read_run, read_samples
from tests.conftest import SEED_SUITE, harness_cli

CONTEXT = 512  # the seed suite's documents are 632-1318 tokens long


@pytest.fixture(scope="module")
def short_model(tmp_path_factory: pytest.TempPathFactory, random_model: Path) -> Path:
    """The random reference model with a 512-token context."""
    folder = tmp_path_factory.mktemp("short") / "tiny-short-context"
    shutil.copytree(random_model, folder)
    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = CONTEXT
    config["rope_parameters"]["original_max_position_embeddings"] = CONTEXT // 16  # as scaled
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_policies_cut_where_they_say() -> None:
    ids = list(range(10))
    assert cut(ids, 10, None) == ids  # fits: untouched, whatever the policy
    assert cut(ids, 4, "left") == [6, 7, 8, 9]
    assert cut(ids, 4, "middle") == [0, 1, 8, 9]
    assert cut(ids, 5, "middle") == [0, 1, 7, 8, 9]
    with pytest.raises(HarnessError, match="--truncate left|middle"):
        cut(ids, 4, None)
    assert fit_prompt(ids, 4, 10, "left") == [4, 5, 6, 7, 8, 9]  # room for 4 new tokens
    assert fit_pair(ids, [20, 21], 10, "left") == (ids[1:], [20, 21])  # 9 + 2 - 1 fed = 10


def test_the_engine_never_cuts_without_a_policy(short_model: Path) -> None:
    model, tokenizer, info = load_model(str(short_model), LoadOptions("cpu", "float32"))
    long = "word " * 2000
    engine = HFEngine(model, tokenizer, info)
    with pytest.raises(HarnessError, match="exceeds the model's context"):
        engine.generate([GenRequest(long, 4)])
    with pytest.raises(HarnessError, match="exceeds the model's context"):
        engine.loglikelihood([LoglikRequest(long, " yes")])
    cutting = HFEngine(model, tokenizer, info, truncate="left")
    assert cutting.generate([GenRequest(long, 4)])[0].prompt_tokens == CONTEXT - 4
    assert cutting.loglikelihood([LoglikRequest(long, " yes")])[0].continuation_tokens >= 1


def test_over_long_items_are_refused_before_the_model_runs(short_model: Path,
                                                           tmp_path: Path) -> None:
    result = harness_cli("run", "--model", str(short_model), "--suite", str(SEED_SUITE),
                         "--task", "open_qa", "--task", "closed_qa", "--task", "mc_open",
                         "--limit", "3", "--results", str(tmp_path), "--no-cache")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: open_qa: 3 items exceed the "
                                                   "model's 512-token context")
    assert "mc_open: 3 items exceed" in lines[0] and "closed_qa" not in lines[0]
    assert "--truncate left|middle" in lines[0]
    assert not list(tmp_path.glob("*/run.json"))  # nothing ran


def test_a_chosen_policy_runs_and_is_recorded(short_model: Path, tmp_path: Path) -> None:
    harness_cli("run", "--model", str(short_model), "--suite", str(SEED_SUITE), "--task",
                "open_qa", "--task", "closed_qa", "--limit", "2", "--results", str(tmp_path),
                "--no-cache", "--truncate", "middle", check=True)
    (run_dir,) = [p.parent for p in tmp_path.glob("*/run.json")]
    record = read_run(run_dir)
    assert record.status == "complete" and record.settings.truncate == "middle"
    assert record.tasks["open_qa"].metrics["truncated_items"] == 2
    assert "truncated_items" not in record.tasks["closed_qa"].metrics
    samples = read_samples(run_dir)
    cuts = {s.task: s.truncated_tokens for s in samples}
    assert cuts["open_qa"] > 0 and cuts["closed_qa"] == 0
    assert all(s.prompt_tokens is not None and s.prompt_tokens <= CONTEXT for s in samples)
