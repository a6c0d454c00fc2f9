from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.suite.loader import SuiteLoadError, load_suite
from tests.conftest import SEED_SUITE


def test_seed_suite_loads(suite) -> None:  # type: ignore[no-untyped-def]
    assert suite.name == "kr-news-2025-07"
    assert len(suite.documents) == 4
    assert len(suite.facts) >= 100
    assert len(suite.content_hash) == 16


@pytest.fixture()
def copy_suite(tmp_path: Path) -> Path:
    target = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, target)
    return target


def _facts_file(root: Path) -> Path:
    return root / "facts" / "yonhap-tariff-talks.jsonl"


def test_content_hash_changes_with_content(copy_suite: Path) -> None:
    before = load_suite(copy_suite).content_hash
    doc = copy_suite / "documents" / "kh-exaone-4.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "x", encoding="utf-8")
    assert load_suite(copy_suite).content_hash != before


def test_malformed_json_line_is_located(copy_suite: Path) -> None:
    path = _facts_file(copy_suite)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    assert "yonhap-tariff-talks.jsonl:3: malformed JSON" in str(err.value)


def test_missing_and_unknown_fields(copy_suite: Path) -> None:
    path = _facts_file(copy_suite)
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    del first["answer"]
    first["colour"] = "blue"
    lines[0] = json.dumps(first)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    problems = "\n".join(err.value.problems)
    assert ":1: answer: required field missing: the short gold answer" in problems
    assert ":1: colour: unknown field 'colour' (fields: id, document," in problems


def test_duplicate_fact_id(copy_suite: Path) -> None:
    path = _facts_file(copy_suite)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[0]]) + "\n", encoding="utf-8")
    with pytest.raises(SuiteLoadError, match="duplicate fact id"):
        load_suite(copy_suite)


@pytest.mark.parametrize("bad_path", ["../outside.txt", "/etc/passwd"])
def test_document_path_must_stay_inside(copy_suite: Path, bad_path: str) -> None:
    (copy_suite.parent / "outside.txt").write_text("x", encoding="utf-8")
    suite_yaml = copy_suite / "suite.yaml"
    text = suite_yaml.read_text(encoding="utf-8")
    suite_yaml.write_text(text.replace("documents/kh-exaone-4.txt", bad_path, 1),
                          encoding="utf-8")
    with pytest.raises(HarnessError, match="refused"):
        load_suite(copy_suite)


def test_yaml_error_has_line(copy_suite: Path) -> None:
    suite_yaml = copy_suite / "suite.yaml"
    suite_yaml.write_text("name: x\nversion: [1\n", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"suite.yaml:\d+: malformed YAML"):
        load_suite(copy_suite)


def test_wrong_type_in_yaml_names_line_and_field(copy_suite: Path) -> None:
    tasks = copy_suite / "tasks.yaml"
    text = tasks.read_text(encoding="utf-8")
    tasks.write_text(text.replace("max_new_tokens: 32", "max_new_tokens: lots", 1),
                     encoding="utf-8")
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    assert "tasks.yaml:" in str(err.value) and "max_new_tokens" in str(err.value)


def test_non_utf8_document(copy_suite: Path) -> None:
    (copy_suite / "documents" / "kh-exaone-4.txt").write_bytes(b"ok\n\xff\xfe bad")
    with pytest.raises(HarnessError, match=r"kh-exaone-4.txt:2: not valid UTF-8"):
        load_suite(copy_suite)
