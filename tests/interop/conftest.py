"""Fixtures of the lm-eval interop tests: the random reference model loaded once, an export of
the seed suite, and lm-eval's views of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.engine.loading import LoadOptions, load_model
from harness.interop.lmeval_export import export_lm_eval
from harness.suite.loader import Suite

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def loaded(random_model: Path) -> tuple[Any, Any, Any]:
    """(model, tokenizer, info) of the random reference model, fp32 on CPU."""
    return load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, suite: Suite) -> Path:
    out = tmp_path_factory.mktemp("lmeval-export")
    export_lm_eval(suite, out)
    return out


@pytest.fixture(scope="session")
def task_manager(exported: Path) -> Any:
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(exported), include_defaults=False)


@pytest.fixture(scope="session")
def hflm(loaded: tuple[Any, Any, Any]) -> Any:
    """lm-eval's HFLM around the loaded model (nothing loaded again)."""
    from lm_eval.models.huggingface import HFLM

    model, tokenizer, _ = loaded
    return HFLM(pretrained=model, tokenizer=tokenizer, batch_size=8)
