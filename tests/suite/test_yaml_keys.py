"""A key given twice in a YAML mapping is an error (safe_load would keep the last one)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.suite.files import DuplicateKeyError, UniqueKeyLoader, line_of, load_yaml
from harness.suite.loader import load_suite
from tests.conftest import SEED_SUITE, harness_cli


@pytest.fixture()
def copy_suite(tmp_path: Path) -> Path:
    target = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, target)
    return target


def _insert_after(path: Path, line: str, new: str) -> int:
    """Insert `new` after the first line equal to `line`; returns the new line's number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines.index(line) + 1
    lines.insert(index, new)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def test_top_level_duplicate_in_suite_yaml(copy_suite: Path) -> None:
    suite_yaml = copy_suite / "suite.yaml"
    line = _insert_after(suite_yaml, 'version: "1.0.0"', 'version: "2.0.0"')
    with pytest.raises(HarnessError) as err:
        load_suite(copy_suite)
    assert str(err.value) == f"{suite_yaml}:{line}: version: duplicate key (first on line " \
                             f"{line - 1})"


def test_nested_duplicate_in_suite_yaml(copy_suite: Path) -> None:
    suite_yaml = copy_suite / "suite.yaml"
    line = _insert_after(suite_yaml, "    outlet: Yonhap", "    outlet: Korea Herald")
    with pytest.raises(HarnessError, match=rf"suite.yaml:{line}: documents.0.outlet: "
                                           "duplicate key"):
        load_suite(copy_suite)


def test_nested_duplicate_in_tasks_yaml(copy_suite: Path) -> None:
    tasks_yaml = copy_suite / "tasks.yaml"
    line = _insert_after(tasks_yaml, "  - name: tf", "    regime: qa")  # before `regime: tf`
    with pytest.raises(HarnessError) as err:
        load_suite(copy_suite)
    assert str(err.value) == (f"{tasks_yaml.resolve()}:{line + 1}: tasks.4.regime: "
                              f"duplicate key (first on line {line})")


def test_cli_reports_duplicate_key_in_one_line(copy_suite: Path) -> None:
    suite_yaml = copy_suite / "suite.yaml"
    line = _insert_after(suite_yaml, 'version: "1.0.0"', 'version: "2.0.0"')
    result = harness_cli("tasks", "validate", str(copy_suite))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {suite_yaml}:{line}: version: duplicate key " \
                                    f"(first on line {line - 1})"


def _load(text: str) -> object:
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass: plain data only


@pytest.mark.parametrize("text, field, line, first", [
    ("a: 1\nb: 2\na: 3\n", "a", 3, 1),
    ("a:\n  b:\n    - {c: 1}\n    - c: 1\n      d: 2\n      c: 3\n", "a.b.1.c", 6, 4),
    ("yes: 1\ntrue: 2\n", "true", 2, 1),  # the same key once constructed (YAML 1.1 booleans)
    ("x: {k: 1}\ny: {k: 1, k: 2}\nx: 3\n", "y.k", 2, 2),  # the first in the document
])
def test_duplicates_at_any_depth(text: str, field: str, line: int, first: int) -> None:
    with pytest.raises(DuplicateKeyError) as err:
        _load(text)
    assert (err.value.field, err.value.line, err.value.first_line) == (field, line, first)


def test_same_data_as_safe_load_without_duplicates() -> None:
    text = ("base: &b {a: 1, b: 2}\nover:\n  <<: *b\n  a: 3\n1: int\n'1': str\n"
            "when: 2025-07-15\nlist: [*b, {k: v}]\n")
    assert _load(text) == yaml.safe_load(text)  # a merge's keys may be overridden


def test_still_safe() -> None:
    with pytest.raises(yaml.YAMLError):
        _load("a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(yaml.YAMLError):
        _load("!!python/name:os.system : 1\n")


def test_lines_of_an_overriding_key(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {a: 1}\nover:\n  <<: *b\n  a: 2\n", encoding="utf-8")
    data, node = load_yaml(path)
    assert data["over"] == {"a": 2}
    assert line_of(node, ("over", "a")) == 4


def test_unprintable_character_is_a_located_yaml_error(copy_suite: Path) -> None:
    """The loader's reader refuses it on construction: still one HarnessError, not a crash."""
    (copy_suite / "suite.yaml").write_text("\x1f", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"suite.yaml: malformed YAML: unacceptable character"):
        load_suite(copy_suite)
