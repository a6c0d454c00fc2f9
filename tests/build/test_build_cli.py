"""`harness build` end to end on documents written for these tests: exact facts, a suite that
validates, rejected.jsonl with reasons, and bad inputs as one line each while the build goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harness.cli.build import register
from harness.errors import HarnessError
from harness.suite.loader import load_suite
from harness.suite.validate import validate_suite
from tests.build.test_reader import HTML
from tests.conftest import cli_app

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def app() -> typer.Typer:
    return cli_app(register)


def _facts(out: Path, doc_id: str) -> list[dict[str, object]]:
    lines = (out / "facts" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_news_article_gives_exactly_these_facts(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "suite"
    result = CliRunner().invoke(app, ["build", str(DATA / "harbor-bridge.txt"), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    facts = _facts(out, "harbor-bridge")
    assert [(f["answer"], f["answer_type"]) for f in facts] == [
        ("Riverton City Council", "organization"), ("March 3, 2025", "date"),
        ("$450 million", "money"), ("four years", "duration"), ("Helen Brandt", "person"),
        ("38,000", "number"), ("15%", "percent"), ("2029", "year")]
    first = facts[2]
    assert first["question"] == (
        'According to the article "Riverton approves new harbor bridge" (March 4, 2025), what '
        'amount fills the blank in "The Riverton City Council on March 3, 2025 approved a ___ '
        'plan to build a new harbor bridge across the Alder River"?')
    assert first["distractors"] == ["$500 million", "$400 million", "$550 million"]
    assert all(f["status"] == "draft" and f["drafted_by"] == "rules" and
               f["as_of"] == "2025-03-04" for f in facts)
    suite = load_suite(out)
    assert validate_suite(suite) == []
    assert [t.name for t in suite.tasks] == ["closed_qa", "open_qa", "mc", "mc_open", "tf"]
    rejected = [json.loads(line) for line in
                (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["reason"], r["draft"]["answer"]) for r in rejected] == [
        ("type-disagreement", "Alder River"), ("type-disagreement", "Alder Bridge")]
    assert "the scorer reads it as person" in rejected[0]["detail"]
    assert "8 accepted, 2 rejected" in result.output
    build = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert build["documents"][0]["sha256"] == suite.content_hash or \
        len(build["documents"][0]["sha256"]) == 64
    assert (out / "documents" / "harbor-bridge.txt").read_text(encoding="utf-8") == \
        (DATA / "harbor-bridge.txt").read_text(encoding="utf-8")


def test_korean_article_gives_korean_facts_and_regimes(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "ko"
    result = CliRunner().invoke(app, ["build", str(DATA / "busan-port.txt"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    facts = _facts(out, "busan-port")
    assert [(f["answer"], f["answer_type"]) for f in facts] == [
        ("5%", "percent"), ("1350만", "number"), ("강도형", "person")]
    assert facts[0]["question"] == (
        '"부산항 물동량 역대 최대"(2025년 3월 4일) 기사에 따르면, 다음 문장의 빈칸에 들어갈 비율은 '
        '무엇인가? "환적 물량은 전년보다 ___ 늘어난 1350만 개였다"')
    assert all(f["question_ko"] == f["question"] and f["distractors_ko"] == f["distractors"]
               for f in facts)
    suite = load_suite(out)
    assert validate_suite(suite) == []
    assert [t.name for t in suite.tasks] == ["closed_qa_ko", "open_qa_ko", "mc_ko",
                                             "mc_open_ko", "tf_ko"]


def test_html_page_builds(app: typer.Typer, tmp_path: Path) -> None:
    page = tmp_path / "acme.html"
    page.write_text(HTML, encoding="utf-8")
    out = tmp_path / "html"
    result = CliRunner().invoke(app, ["build", str(page), "--out", str(out)])
    assert result.exit_code == 0, result.output
    facts = _facts(out, "acme")
    assert [(f["answer"], f["answer_type"]) for f in facts] == [
        ("4,500", "number"), ("Maria Lopez", "person"), ("$2.3 billion", "money")]
    rejected = [json.loads(line) for line in
                (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["reason"], r["draft"]["answer"]) for r in rejected] == [
        ("not-standalone", "Acme Corp"), ("question-contains-answer", "12%"),  # title: 12%
        ("not-standalone", "April 1"), ("question-contains-answer", "2025"),  # date says 2025
        ("too-few-distractors", "Springfield"), ("too-few-distractors", "Northbank")]
    assert load_suite(out).documents["acme"].meta.outlet == "Daily Planet"


def test_bad_inputs_are_one_line_each_and_the_build_goes_on(app: typer.Typer,
                                                            tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_text("", encoding="utf-8")
    (docs / "latin1.txt").write_bytes("Caf\u00e9 ".encode("latin-1") * 40)
    (docs / "huge.txt").write_text("word " * 3000, encoding="utf-8")
    (docs / "bridge.txt").write_text((DATA / "harbor-bridge.txt").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(docs), str(tmp_path / "nope.txt"), "--out",
                                      str(out), "--max-bytes", "10000"])
    assert result.exit_code == 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'nope.txt'}: no such file or folder",
        f"error: {docs / 'empty.txt'}: empty; a document needs at least 80 characters of text",
        f"error: {docs / 'huge.txt'}: 15000 bytes, over the 10000 byte limit (--max-bytes)",
        f"error: {docs / 'latin1.txt'}:1: not UTF-8 text (byte 3); convert it to UTF-8",
    ]
    assert len(_facts(out, "bridge")) == 8


def test_out_folder_is_not_overwritten_without_force(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(DATA / "harbor-bridge.txt"), "--out",
                                      str(out)])
    assert isinstance(result.exception, HarnessError)
    assert "folder not empty; choose another or add --force" in str(result.exception)
    assert (out / "keep.txt").exists()


def test_no_fact_at_all_is_an_error(app: typer.Typer, tmp_path: Path) -> None:
    doc = tmp_path / "opinion.txt"
    doc.write_text("An opinion\nThey said it was good, and we agreed with them about it all, "
                   "as you would expect from people like us.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(doc), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no fact passed verification" in result.output
    assert (tmp_path / "o" / "rejected.jsonl").exists()
