"""Scoring a predictions file: malformed lines are reported with their line number and the
rest are still scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.scoring import score_predictions_file


def _write(path: Path, lines: list[str | bytes]) -> Path:
    data = b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)
    path.write_bytes(data + b"\n")
    return path


def _row(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def test_malformed_lines_reported_rest_scored(tmp_path: Path) -> None:
    path = _write(tmp_path / "preds.jsonl", [
        _row(id="tariff-024", prediction="25%", answer="25 percent", answer_type="percent"),
        "{not json",
        _row(id="tariff-003", prediction="Aug. 1"),
        "[1, 2]",
        _row(prediction="Seoul", answer="Seoul", aliases="Seoul"),
        "",
        _row(id="tariff-024", prediction="15%", answer="25 percent", aliases=["25%"]),
        b'{"prediction": "\xff", "answer": "x"}',
        _row(prediction="<think>hmm", answer="Seoul", answer_type="not-a-type"),
        _row(prediction=3, answer="3"),
    ])
    scored = score_predictions_file(path)
    assert scored.errors == [
        f"{path}:2: json: invalid JSON (Expecting property name enclosed in double quotes "
        "at column 2)",
        f"{path}:3: answer: missing (a string is required)",
        f"{path}:4: line: expected a JSON object, got list",
        f"{path}:5: aliases: expected a list of strings, got str",
        f"{path}:8: encoding: not valid UTF-8",
        f"{path}:10: prediction: expected a string, got int",
    ]
    assert [r["verdict"] for r in scored.rows] == ["correct", "incorrect", "not_attempted"]
    assert scored.rows[0]["id"] == "tariff-024"
    assert scored.rows[0]["rule"] == "percent:value-match"
    assert scored.rows[1]["extracted"] == "15%"
    assert scored.rows[2]["rule"] == "think-unterminated"
    assert scored.summary["n"] == 3.0
    assert scored.summary["accuracy"] == pytest.approx(1 / 3)
    assert scored.summary["not_attempted_rate"] == pytest.approx(1 / 3)


def test_answer_type_inferred_when_absent(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", [
        _row(prediction="8월 1일", answer="Aug. 1"),
        _row(prediction="Minister Chung", answer="Chung Dong-young", question="Who?"),
    ])
    scored = score_predictions_file(path)
    assert scored.errors == []
    assert [r["rule"] for r in scored.rows] == ["date:value-match", "person:partial-name"]
    assert scored.rows[1]["question"] == "Who?"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no such file"):
        score_predictions_file(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_no_predictions(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(HarnessError, match="no predictions"):
        score_predictions_file(path)


def test_bom_on_line_1_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _row(prediction="Seoul", answer="Seoul").encode() + b"\n"
                     + _row(prediction="25%", answer="25 percent").encode() + b"\n")
    scored = score_predictions_file(path)
    assert scored.errors == []
    assert [r["verdict"] for r in scored.rows] == ["correct", "correct"]


@pytest.mark.parametrize("identifier", [True, False])
def test_boolean_id_refused(tmp_path: Path, identifier: bool) -> None:
    path = _write(tmp_path / "ids.jsonl", [
        _row(id=identifier, prediction="Seoul", answer="Seoul"),
        _row(id=7, prediction="Seoul", answer="Seoul"),
    ])
    scored = score_predictions_file(path)
    assert scored.errors == [f"{path}:1: id: expected a string or integer, got bool"]
    assert [r["id"] for r in scored.rows] == [7]
