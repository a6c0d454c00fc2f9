"""`harness tasks review`: decisions saved one by one, edits checked, rejects to rejected.jsonl,
--accept-all; the suite still validates after each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.build.cli_support import build_seed_like
from harness.cli.tasks import app
from harness.suite.loader import Suite, load_suite
from harness.suite.validate import validate_suite


@pytest.fixture(scope="module")
def drafted(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review") / "drafted"
    build_seed_like(suite, out, documents=["yonhap-tariff-talks", "kh-exaone-4"], max_facts=3)
    return out


@pytest.fixture()
def work(drafted: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(drafted, tmp_path / "suite"))


def _facts(root: Path) -> list[dict[str, object]]:
    """Every fact, in the suite's order (the order the review walks)."""
    files = [root / rel for rel in load_suite(root).config.facts]
    return [json.loads(line) for path in files
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_accept_reject_edit_and_stop(work: Path) -> None:
    before = _facts(work)
    bad_answer = "$999 trillion"
    keys = f"a\nr\nnot a fact\ne\n{bad_answer}\n\nx\n"
    result = CliRunner().invoke(app, ["review", str(work)], input=keys)
    assert result.exit_code == 0, result.output
    assert "not saved:" in result.output and "is not stated in the evidence" in result.output
    assert "1 accepted, 1 rejected, 0 skipped; 4 draft facts left (saved)" in result.output
    after = _facts(work)
    assert [f["status"] for f in after] == ["reviewed"] + ["draft"] * 4
    assert after[0]["id"] == before[0]["id"] and before[1]["id"] not in {f["id"] for f in after}
    rejected = [json.loads(line) for line in
                (work / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rejected[-1]["reason"] == "reviewer" and rejected[-1]["detail"] == "not a fact"
    assert validate_suite(load_suite(work)) == []


def test_an_edited_answer_that_checks_is_saved(work: Path) -> None:
    first = _facts(work)[0]
    assert first["answer_type"] in {"person", "place", "organization", "phrase", "date",
                                    "number", "percent", "money", "year", "duration", "law"}
    result = CliRunner().invoke(app, ["review", str(work)], input="q\nWhat is it?\n\nx\n")
    assert "'it' needs the article to be understood" in result.output
    assert _facts(work)[0]["status"] == "draft"


def test_rejecting_a_documents_last_fact_drops_the_document(work: Path) -> None:
    result = CliRunner().invoke(app, ["review", str(work)], input="r\n\n" * 3 + "x\n")
    assert result.exit_code == 0, result.output
    suite = load_suite(work)
    assert len(suite.documents) == 1 and validate_suite(suite) == []


def test_accept_all(work: Path) -> None:
    result = CliRunner().invoke(app, ["review", str(work), "--accept-all"])
    assert result.exit_code == 0 and "6 draft facts marked reviewed" in result.output
    assert {f["status"] for f in _facts(work)} == {"reviewed"}
    again = CliRunner().invoke(app, ["review", str(work)])
    assert "no draft facts to review" in again.output
