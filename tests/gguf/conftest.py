"""Fixtures of the GGUF tests: llama.cpp's converter (fetched once into the user's cache, not
the tests' private one: it is source code, the same for every session), the tiny memorizer
converted to f32, Q8_0 and Q4_K_M by `harness convert-gguf`, and runs of the seed suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.gguf.source import ENV, converter_source
from tests.conftest import SEED_SUITE, harness_cli

pytest.importorskip("llama_cpp", reason="the gguf extra (llama-cpp-python) is not installed")

USER_CACHE = os.environ.get("XDG_CACHE_HOME")  # before the tests' private cache replaces it
PRE_TOKENIZER = "exaone4"  # what llama.cpp names EXAONE 4's pre-tokenizer (docs/gguf.md)


@pytest.fixture(scope="session")
def llama_source() -> Path:
    """llama.cpp's converter; $HARNESS_LLAMACPP_SRC for every conversion of the session."""
    if not os.environ.get(ENV):
        private = os.environ.get("XDG_CACHE_HOME")
        try:
            if USER_CACHE is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = USER_CACHE
            os.environ[ENV] = str(converter_source())
        finally:
            if private is not None:
                os.environ["XDG_CACHE_HOME"] = private
    return Path(os.environ[ENV])


def convert(model: Path, out: Path, outtype: str) -> Path:
    harness_cli("convert-gguf", str(model), "--out", str(out), "--outtype", outtype,
                "--pre-tokenizer", PRE_TOKENIZER, check=True)
    return out


@pytest.fixture(scope="session")
def gguf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf")


@pytest.fixture(scope="session")
def gguf_f32(llama_source: Path, memorizer_model: Path, gguf_dir: Path) -> Path:
    return convert(memorizer_model, gguf_dir / "memorizer-f32.gguf", "f32")


@pytest.fixture(scope="session")
def gguf_q8(llama_source: Path, memorizer_model: Path, gguf_dir: Path) -> Path:
    return convert(memorizer_model, gguf_dir / "memorizer-q8_0.gguf", "q8_0")


@pytest.fixture(scope="session")
def gguf_q4km(llama_source: Path, memorizer_model: Path, gguf_dir: Path) -> Path:
    return convert(memorizer_model, gguf_dir / "memorizer-q4_k_m.gguf", "q4_k_m")


def run_suite(model: Path, results: Path, *args: str) -> Path:
    """One run of the seed suite (every task, --limit 3, no request cache) into the fresh
    folder `results`; the run's folder."""
    harness_cli("run", "--model", str(model), "--suite", str(SEED_SUITE), "--results",
                str(results), "--limit", "3", "--no-cache", *args, check=True)
    (run_dir,) = [p for p in results.iterdir() if p.is_dir()]
    return run_dir


@pytest.fixture(scope="session")
def f32_run(gguf_f32: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed suite on the f32 file (--engine llamacpp), shared by the tests comparing it."""
    return run_suite(gguf_f32, tmp_path_factory.mktemp("f32-run") / "runs", "--engine",
                     "llamacpp")
