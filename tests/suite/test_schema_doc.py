"""docs/suite-format.md is generated from the schema, and `harness tasks new` writes a valid
suite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.suite.loader import load_suite
from harness.suite.schema import DocumentMeta, Fact, SuiteConfig, TaskDef
from harness.suite.schema_doc import schema_markdown
from harness.suite.starter import new_suite
from harness.suite.validate import validate_suite
from tests.conftest import ROOT, harness_cli


def test_committed_reference_equals_the_generator() -> None:
    committed = (ROOT / "docs" / "suite-format.md").read_text(encoding="utf-8")
    assert committed == schema_markdown(), (
        "docs/suite-format.md is stale: run `harness tasks schema-doc > docs/suite-format.md`")


def test_reference_lists_every_field_with_meaning_and_regime_variables() -> None:
    text = schema_markdown()
    for model in (SuiteConfig, DocumentMeta, TaskDef, Fact):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
            assert f"| `{name}` |" in text
    for variable in ("question", "title", "document", "proposed"):
        assert f"| `{variable}` |" in text
    link = re.search(r"\[FACTS_GUIDE\.md\]\(([^)]+)\)", text)
    assert link and (ROOT / "docs" / link.group(1)).is_file()  # the link works from docs/


def test_schema_doc_command_prints_the_reference() -> None:
    result = harness_cli("tasks", "schema-doc", check=True)
    assert result.stdout == schema_markdown()


def test_new_suite_validates_with_every_regime(tmp_path: Path) -> None:
    folder = tmp_path / "my-suite"
    result = harness_cli("tasks", "new", str(folder), check=True)
    assert "wrote" in result.stdout
    result = harness_cli("tasks", "validate", str(folder), check=True)
    assert result.stdout.startswith("ok: my-suite v0.1.0: 1 documents, 2 facts, 4 tasks, 8 items")
    suite = load_suite(folder)
    assert {t.regime for t in suite.tasks} == {"qa", "mc", "tf"}
    assert validate_suite(suite) == []
    assert "#" in (folder / "suite.yaml").read_text(encoding="utf-8")  # commented


def test_new_suite_refuses_an_existing_folder_and_a_bad_name(tmp_path: Path) -> None:
    new_suite(tmp_path / "a")
    with pytest.raises(HarnessError, match="already exists"):
        new_suite(tmp_path / "a")
    with pytest.raises(HarnessError, match="suite's name"):
        new_suite(tmp_path / "-bad name")
