"""Every bad input ends in one located line and exit 2, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from harness.errors import HarnessError
from harness.runs.runner import RunOptions, run
from harness.suite import files as suite_files
from harness.suite.loader import load_suite
from harness.suite.validate import validate_suite
from tests.conftest import SEED_SUITE, harness_cli


@pytest.fixture()
def suite_copy(tmp_path: Path) -> Path:
    target = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, target)
    return target


def _rewrite_fact(root: Path, **changes: object) -> None:
    path = root / "facts" / "kh-exaone-4.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    fact = json.loads(lines[0])
    fact.update(changes)
    lines[0] = json.dumps(fact, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return "\n".join(lines)


def test_evidence_not_in_document(suite_copy: Path) -> None:
    _rewrite_fact(suite_copy, evidence="LG unveiled a quantum computer.")
    problems = validate_suite(load_suite(suite_copy))
    assert any("kh-exaone-4.jsonl:1: fact exaone-001: evidence: not found verbatim" in p
               for p in problems)
    out = _one_error_line(harness_cli("tasks", "validate", str(suite_copy)))
    assert "evidence" in out


def test_empty_and_duplicate_choices(suite_copy: Path) -> None:
    _rewrite_fact(suite_copy, distractors=["", "Exaone 3.5", "exaone 3.5"])
    problems = "\n".join(validate_suite(load_suite(suite_copy)))
    assert "distractors.0: empty after normalization" in problems
    assert "distractors.2" in problems and "repeats another distractor" in problems


def test_missing_document_file(suite_copy: Path) -> None:
    (suite_copy / "documents" / "kh-exaone-4.txt").unlink()
    out = _one_error_line(harness_cli("tasks", "validate", str(suite_copy)))
    assert "documents.3.file" in out and "not found" in out


def test_huge_file_refused(suite_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite_files, "MAX_FILE_BYTES", 1000)
    with pytest.raises(HarnessError, match="over the 1000 byte limit"):
        load_suite(suite_copy)


def test_results_dir_not_writable(tmp_path: Path, random_model: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = _one_error_line(harness_cli("run", "--model", str(random_model), "--task", "mc",
                                      "--limit", "1", "--results", str(blocker / "results")))
    assert "not writable" in out


def test_out_of_memory_suggests_smaller_batch(tmp_path: Path, random_model: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.engine.hf import HFEngine

    def explode(*_args: object, **_kwargs: object) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(HFEngine, "loglikelihood", explode)
    with pytest.raises(HarnessError, match="smaller --batch-size"):
        run(RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=("mc",), limit=2,
                       results_dir=tmp_path))
    record = json.loads(next(tmp_path.glob("*/run.json")).read_text(encoding="utf-8"))
    assert record["status"] == "failed"


@pytest.mark.parametrize("args, expected", [
    (["run", "--model", "x", "--limit", "0"], "--limit 0"),
    (["run", "--model", "x", "--batch-size", "zero"], "--batch-size zero"),
    (["run", "--model", "x", "--repeats", "3"], "greedy"),
    (["run", "--model", "x", "--preset", "fast"], "--preset fast"),
    (["run", "--model", "x", "--task", "nope", "--limit", "1"], "no task 'nope'"),
    (["tasks", "validate", "/nonexistent/suite"], "not a suite folder"),
])
def test_cli_argument_errors(args: list[str], expected: str) -> None:
    out = _one_error_line(harness_cli(*args))
    assert expected in out
