"""`harness score` through Typer's CliRunner on a fresh app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harness.cli.score import register
from tests.conftest import cli_app


@pytest.fixture()
def app() -> typer.Typer:
    return cli_app(register)


@pytest.fixture()
def predictions(tmp_path: Path) -> Path:
    rows = [
        {"id": "tariff-024", "prediction": "25%", "answer": "25 percent",
         "answer_type": "percent"},
        {"id": "tariff-024", "prediction": "<think>...", "answer": "25 percent"},
        {"id": "chung-x", "prediction": "정 장관", "answer": "정동영", "answer_type": "person"},
        {"id": "tariff-003", "prediction": "Aug. 15", "answer": "Aug. 1",
         "aliases": ["August 1"]},
    ]
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_jsonl_output(app: typer.Typer, predictions: Path) -> None:
    result = CliRunner().invoke(app, ["score", str(predictions)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["correct", "not_attempted", "correct", "incorrect"]
    assert rows[2]["extracted"] == "정 장관"
    assert rows[3]["rule"] == "date:value-mismatch"
    assert rows[0]["answer_type"] == "percent" and "aliases" in rows[3]


def test_json_output(app: typer.Typer, predictions: Path) -> None:
    result = CliRunner().invoke(app, ["score", str(predictions), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["n"] == 4
    assert report["summary"]["accuracy"] == 0.5
    assert report["summary"]["accuracy_ci_low"] <= 0.5 <= report["summary"]["accuracy_ci_high"]
    assert report["verdicts"] == {"correct": 2, "incorrect": 1, "not_attempted": 1}
    assert set(report["by_answer_type"]) == {"percent", "person", "date"}
    assert report["errors"] == 0


def test_md_output(app: typer.Typer, predictions: Path) -> None:
    result = CliRunner().invoke(app, ["score", str(predictions), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "| accuracy | 50.0 | [" in result.stdout
    assert "| person | 1 | 100.0 |" in result.stdout


def test_bad_lines_go_to_stderr_and_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prediction": "Seoul", "answer": "Seoul"}\n{oops\n{"answer": "x"}\n')
    result = CliRunner().invoke(app, ["score", str(path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout.strip())["verdict"] == "correct"
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith(f"{path}:2: json: invalid JSON")
    assert errors[1] == f"{path}:3: prediction: missing (a string is required)"


def test_missing_file_is_one_line_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["score", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.jsonl'}: no such file"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_help_explains(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("PREDICTIONS", "not_attempted", "aliases", "answer_type", "--format",
                  "jsonl", "95%", "exits with status 2"):
        assert words in result.stdout, words


def test_empty_file_says_no_predictions_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    for fmt in ("jsonl", "json", "md"):
        result = CliRunner().invoke(app, ["score", str(path), "--format", fmt])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {path}: no predictions")
        assert result.stdout == ""


def test_bom_and_boolean_id(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "prediction": "Seoul", "answer": "Seoul"}\n'
                     b'{"id": true, "prediction": "Seoul", "answer": "Seoul"}\n')
    result = CliRunner().invoke(app, ["score", str(path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout.strip())["verdict"] == "correct"
    assert result.stderr.strip() == f"{path}:2: id: expected a string or integer, got bool"


def test_context_fields_enable_relaxations(app: typer.Typer, tmp_path: Path) -> None:
    rows = [
        {"prediction": "Yun Seok-yeol", "answer": "Yoon Suk Yeol", "answer_ko": "윤석열",
         "answer_type": "person"},
        {"prediction": "Yun Seok-yeol", "answer": "Yoon Suk Yeol", "answer_type": "person"},
        {"prediction": "July 3", "answer": "July 3, 2025", "answer_type": "date",
         "question": "On what date in 2025 did the Assembly pass it?"},
        {"prediction": "July 3", "answer": "July 3, 2025", "answer_type": "date",
         "as_of": "2025-07-15"},
        {"prediction": "KEIA", "answer": "Korea Economic Institute of America",
         "answer_type": "organization", "distractors": ["Korea Energy Institute of America"]},
        {"prediction": "aluminium and steel", "answer": "steel and aluminum"},
    ]
    path = tmp_path / "ctx.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(path)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["verdict"], r["rule"]) for r in out] == [
        ("correct", "person:romanization"), ("incorrect", "person:name-mismatch"),
        ("correct", "date:year-from-question"), ("correct", "date:year-from-as-of"),
        ("incorrect", "organization:no-match"), ("correct", "list:unordered"),
    ]


def test_bad_context_fields_are_line_errors(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prediction": "x", "answer": "x", "as_of": "July 2025"}\n'
                    '{"prediction": "x", "answer": "x", "distractors": "y"}\n'
                    '{"prediction": "x", "answer": "x", "answer_ko": 3}\n')
    result = CliRunner().invoke(app, ["score", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"{path}:1: as_of: expected a date YYYY-MM-DD, got 'July 2025'",
        f"{path}:2: distractors: expected a list of strings, got str",
        f"{path}:3: answer_ko: expected a string, got int",
    ]
