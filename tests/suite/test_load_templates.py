"""Every task's templates are rendered once when the suite loads: a broken template is a located
load error (tasks validate, run before the model loads), not a failure after other tasks ran."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.suite.items import build_items, check_templates
from harness.suite.loader import SuiteLoadError, load_suite
from tests.conftest import SEED_SUITE, harness_cli


@pytest.fixture()
def copy_suite(tmp_path: Path) -> Path:
    target = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, target)
    return target


def _task_line(tasks_yaml: Path, name: str) -> int:
    lines = tasks_yaml.read_text(encoding="utf-8").splitlines()
    return lines.index(f"  - name: {name}") + 1


def _break_template(root: Path, task: str, old: str, new: str) -> Path:
    """Replace the first `old` after task `task`'s entry in tasks.yaml with `new`."""
    tasks_yaml = root / "tasks.yaml"
    text = tasks_yaml.read_text(encoding="utf-8")
    start = text.index(f"  - name: {task}\n")
    assert old in text[start:]
    tasks_yaml.write_text(text[:start] + text[start:].replace(old, new, 1), encoding="utf-8")
    return tasks_yaml


@pytest.mark.parametrize("template, error", [
    ("{{ question.__class__ }}", "SecurityError: access to attribute '__class__'"),
    ("{{ question.upper.__globals__ }}", "UndefinedError"),
    ("{{ cycler.__init__.__globals__.os.system('id') }}", "SecurityError"),
    ("{{ question ", "TemplateSyntaxError: "),
    ("{% if %}", "TemplateSyntaxError: Expected an expression"),
    ("{{ nothere }}", "UndefinedError: 'nothere' is undefined"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_broken_template_fails_at_load(copy_suite: Path, template: str, error: str) -> None:
    tasks_yaml = _break_template(copy_suite, "tf_ko", "{{ question }}", template)
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    line = _task_line(tasks_yaml, "tf_ko")
    assert err.value.problems == [str(err.value)]  # one line, for the one broken task
    message = str(err.value)
    assert message.startswith(f"{tasks_yaml.resolve()}:{line}: task tf_ko: template: {error}")
    assert "\n" not in message


def test_syntax_error_names_the_template_line(copy_suite: Path) -> None:
    _break_template(copy_suite, "closed_qa", "Question: {{ question }}", "Question: {% if %}")
    with pytest.raises(SuiteLoadError, match=r"task closed_qa: template: TemplateSyntaxError: "
                                             r".*\(template line 2\)"):
        load_suite(copy_suite)


def test_fewshot_template_is_checked_too(copy_suite: Path) -> None:
    tasks_yaml = _break_template(copy_suite, "open_qa", "{{ question }}", "{{ answer }}")
    text = tasks_yaml.read_text(encoding="utf-8")
    start = text.index("  - name: open_qa\n")
    assert text.index("fewshot_template", start) < text.index("{{ answer }}", start)
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    line = _task_line(tasks_yaml, "open_qa")
    assert str(err.value).startswith(
        f"{tasks_yaml.resolve()}:{line}: task open_qa: fewshot_template: UndefinedError: "
        "'answer' is undefined")


def test_every_broken_task_is_reported(copy_suite: Path) -> None:
    _break_template(copy_suite, "mc", "{{ question }}", "{{ nothere }}")
    _break_template(copy_suite, "tf_ko", "{{ question }}", "{{ question.__class__ }}")
    with pytest.raises(SuiteLoadError) as err:
        load_suite(copy_suite)
    assert [p.split(": ")[1] for p in err.value.problems] == ["task mc", "task tf_ko"]
    assert str(err.value).endswith("(and 1 more problem)")


def test_seed_suite_templates_render(suite) -> None:  # type: ignore[no-untyped-def]
    assert check_templates(suite) == []
    assert set(suite.task_lines) == {t.name for t in suite.tasks}
    tasks_yaml = SEED_SUITE.resolve() / "tasks.yaml"
    assert suite.task_lines["tf_ko"] == f"{tasks_yaml}:{_task_line(tasks_yaml, 'tf_ko')}"


def test_render_time_error_names_the_real_file(copy_suite: Path) -> None:
    """Items built from a suite whose template broke after loading (the check bypassed) still
    name the real tasks.yaml, not `<suite name>/tasks.yaml`."""
    suite = load_suite(copy_suite)
    task = suite.task("closed_qa").model_copy(update={"template": "{{ nothere }}"})
    broken = dataclasses.replace(suite, tasks=(task,))
    with pytest.raises(HarnessError) as err:
        build_items(broken, task, limit=1)
    tasks_yaml = (copy_suite / "tasks.yaml").resolve()
    line = _task_line(tasks_yaml, "closed_qa")
    assert str(err.value) == (f"{tasks_yaml}:{line}: task closed_qa: template: UndefinedError: "
                              "'nothere' is undefined (regime qa provides question, title; "
                              "document needs with_document: true; proposed is for regime tf)")
    assert "kr-news-2025-07/tasks.yaml" not in str(err.value)


def test_cli_validate_and_run_refuse_before_the_model_loads(copy_suite: Path,
                                                            tmp_path: Path) -> None:
    tasks_yaml = _break_template(copy_suite, "tf_ko", "{{ question }}",
                                 "{{ question.upper.__globals__ }}")
    where = f"{tasks_yaml.resolve()}:{_task_line(tasks_yaml, 'tf_ko')}: task tf_ko: template"
    validate = harness_cli("tasks", "validate", str(copy_suite))
    assert validate.returncode == 2 and "Traceback" not in validate.stderr
    assert validate.stderr.strip().startswith(f"error: {where}")
    # A model that does not exist: the suite's error comes first, so nothing was loaded or run.
    results = tmp_path / "results"
    run = harness_cli("run", "--model", str(tmp_path / "no-such-model"), "--suite",
                      str(copy_suite), "--limit", "1", "--results", str(results))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().startswith(f"error: {where}")
    assert not list(results.glob("*/run.json"))
