"""Fixtures of the served-model tests: real servers on free loopback ports, started once per
session and always stopped, and runs of `harness run` against them."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.results.records import Sample
from harness.results.store import read_samples
from harness.runs.options import RunOptions
from harness.runs.runner import run
from tests.conftest import SEED_SUITE
from tests.served.servers import (
    ServerProcess,
    convert_gguf,
    converter,
    llama_cpp_serve,
    transformers_serve,
)

GEN_TASKS = ("closed_qa", "open_qa", "closed_qa_ko")  # every generation regime of the seed
LIMIT = 4


def needs(*modules: str) -> pytest.MarkDecorator:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)} (the serve "
                                                    "extra; .ci/run installs it)")


@pytest.fixture(scope="session")
def served_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def transformers_server(memorizer_model: Path, served_logs: Path) -> Iterator[ServerProcess]:
    server = transformers_serve(memorizer_model, served_logs / "transformers.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def memorizer_gguf(memorizer_model: Path, tmp_path_factory: pytest.TempPathFactory,
                   pytestconfig: pytest.Config) -> Path:
    """The memorizer in f32 GGUF, converted by llama.cpp's converter (the sdist is kept in
    pytest's cache between sessions)."""
    vendor = converter(pytestconfig.cache.mkdir("llama-cpp-sdist"))
    return convert_gguf(memorizer_model, tmp_path_factory.mktemp("gguf") / "mem-f32.gguf",
                        vendor)


@pytest.fixture(scope="session")
def llama_server(memorizer_gguf: Path, served_logs: Path) -> Iterator[ServerProcess]:
    server = llama_cpp_serve(memorizer_gguf, served_logs / "llama-cpp.log").start()
    try:
        yield server
    finally:
        server.stop()


def served_options(url: str, model: str, results: Path, **changes: object) -> RunOptions:
    fields: dict[str, object] = dict(model=model, suite=SEED_SUITE, tasks=GEN_TASKS,
                                     limit=LIMIT, results_dir=results, engine="openai",
                                     base_url=url, cache_dir=results / "cache")
    fields.update(changes)
    return RunOptions(**fields)  # type: ignore[arg-type]


def run_samples(options: RunOptions, notes: list[str] | None = None) -> tuple[Path, list[Sample]]:
    run_dir = run(options, notice=(notes.append if notes is not None else lambda _line: None))
    return run_dir, read_samples(run_dir)


@pytest.fixture(scope="session")
def hf_samples(memorizer_model: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> list[Sample]:
    """The reference: the same generation tasks through `--engine hf`."""
    results = tmp_path_factory.mktemp("hf-results")
    options = RunOptions(model=str(memorizer_model), suite=SEED_SUITE, tasks=GEN_TASKS,
                         limit=LIMIT, results_dir=results, cache_dir=None)
    return run_samples(options)[1]


def outputs(samples: list[Sample]) -> list[tuple[str, str, str | None, str]]:
    """What must agree between backends: each item's text, extraction and verdict."""
    return [(s.item_id, s.task, s.extracted, s.verdict) for s in samples] + [
        (s.item_id, "raw", s.raw_output, "") for s in samples]
