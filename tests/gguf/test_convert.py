"""`harness convert-gguf` with llama.cpp's real converter: what it refuses, in one line."""

from __future__ import annotations

from pathlib import Path

from harness.gguf.source import is_source
from tests.conftest import harness_cli


def test_the_converter_is_fetched_whole(llama_source: Path) -> None:
    assert is_source(llama_source)
    assert (llama_source / "gguf-py" / "gguf" / "gguf_writer.py").is_file()


def test_an_unknown_pre_tokenizer_is_one_line_naming_the_option(
        llama_source: Path, memorizer_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.gguf"
    result = harness_cli("convert-gguf", str(memorizer_model), "--out", str(out),
                         "--outtype", "f32")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "--pre-tokenizer" in lines[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.iterdir())  # no partial file left


def test_bad_arguments_are_refused_before_converting(memorizer_model: Path,
                                                     tmp_path: Path) -> None:
    cases = [
        ([str(tmp_path / "none"), "--out", str(tmp_path / "a.gguf")], "no such folder"),
        ([str(memorizer_model), "--out", str(tmp_path)], "is a folder"),
        ([str(memorizer_model), "--out", str(tmp_path / "a.gguf"), "--outtype", "q9"],
         "expected f32, f16, bf16, q8_0 or a llama.cpp quantization type"),
    ]
    for args, message in cases:
        result = harness_cli("convert-gguf", *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr, result.stderr


def test_a_folder_is_not_a_gguf_model(memorizer_model: Path, tmp_path: Path) -> None:
    result = harness_cli("run", "--engine", "llamacpp", "--model", str(memorizer_model),
                         "--results", str(tmp_path), "--task", "mc", "--limit", "1")
    assert result.returncode == 2
    assert "takes a .gguf file (harness convert-gguf" in result.stderr, result.stderr


def test_tokenizer_is_only_for_llamacpp(memorizer_model: Path, tmp_path: Path) -> None:
    result = harness_cli("run", "--model", str(memorizer_model), "--tokenizer",
                         str(memorizer_model), "--results", str(tmp_path), "--limit", "1")
    assert result.returncode == 2
    assert "--tokenizer" in result.stderr and "only with --engine llamacpp" in result.stderr
