"""Load a suite folder into typed objects; every problem is reported as file:line: field: what."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError
from harness.suite.builtin import builtin_names, resolve_suite_path
from harness.suite.files import line_of, load_yaml, read_text, resolve_inside
from harness.suite.items import check_templates
from harness.suite.messages import explain, unknown
from harness.suite.model import Document, Suite
from harness.suite.schema import Fact, SuiteConfig, TaskFile

__all__ = ["Document", "Suite", "SuiteLoadError", "load_suite"]


class SuiteLoadError(HarnessError):
    """Raised with every problem found; str() is the first one, `.problems` holds all."""

    def __init__(self, problems: list[str]) -> None:
        more = len(problems) - 1
        more_text = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(problems[0] + more_text)
        self.problems = problems


def _describe(err: ValidationError, where: str, model: type[BaseModel],
              node: yaml.Node | None = None) -> list[str]:
    problems = []
    for item in err.errors():
        loc = tuple(item["loc"])
        if item["type"] == "missing" and loc and isinstance(loc[-1], int):
            loc = loc[:-1]  # a tuple too short: "distractors: needs 3 items, has 2"
        line = line_of(node, loc) if node is not None else None
        at = f"{where}:{line}" if line else where
        field_name = ".".join(str(part) for part in loc) or "(top level)"
        problems.append(f"{at}: {field_name}: {explain(item, model)}")
    return problems


def _parse_yaml_model(path: Path, model: type[BaseModel]) -> tuple[Any, yaml.Node | None]:
    """The validated model of a YAML file, and its node tree (for line numbers)."""
    data, node = load_yaml(path)
    try:
        return model.model_validate(data), node
    except ValidationError as err:
        raise SuiteLoadError(_describe(err, str(path), model, node)) from err


def _parse_facts(path: Path, label: str, problems: list[str]) -> list[tuple[Fact, str]]:
    facts = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{label}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"{where}: malformed JSON: {err.msg} (column {err.colno})")
            continue
        try:
            facts.append((Fact.model_validate(data), where))
        except ValidationError as err:
            fact_id = data.get("id", "?") if isinstance(data, dict) else "?"
            problems.extend(f"{p} (fact {fact_id})" for p in _describe(err, where, Fact))
    return facts


def _content_hash(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def load_suite(path: Path | str) -> Suite:
    """Load `path` (a suite folder or its suite.yaml). Raises SuiteLoadError/HarnessError."""
    path = resolve_suite_path(path)
    root = path
    if root.is_file():
        root = root.parent
    suite_file = root / "suite.yaml"
    if not suite_file.is_file():
        shipped = ", ".join(builtin_names())
        reason = "no such folder" if not root.exists() else "no suite.yaml"
        raise HarnessError(f"{root}: not a suite folder ({reason}); give a folder holding "
                           f"suite.yaml, a shipped suite's name ({shipped}), or create one "
                           "with `harness tasks new NAME`")
    root = root.resolve()
    label_root = path if path.is_dir() else path.parent
    config: SuiteConfig
    config, suite_node = _parse_yaml_model(suite_file, SuiteConfig)
    problems: list[str] = []
    files = [suite_file.resolve()]

    def at(*loc: int | str) -> str:
        """`suite.yaml:LINE: a.b.c`, the field's location in suite.yaml."""
        line = line_of(suite_node, loc)
        return (f"{label_root / 'suite.yaml'}{f':{line}' if line else ''}: "
                f"{'.'.join(str(part) for part in loc)}")

    documents: dict[str, Document] = {}
    for index, meta in enumerate(config.documents):
        doc_path = resolve_inside(root, meta.file, where=at("documents", index, "file"))
        if meta.id in documents:
            problems.append(f"{at('documents', index, 'id')}: duplicate {meta.id!r}")
        documents[meta.id] = Document(meta, read_text(doc_path))
        files.append(doc_path)

    task_path = resolve_inside(root, config.tasks, where=at("tasks"))
    task_file: TaskFile
    task_file, task_node = _parse_yaml_model(task_path, TaskFile)
    files.append(task_path)
    task_lines: dict[str, str] = {}
    for index, task in enumerate(task_file.tasks):
        line = line_of(task_node, ("tasks", index))
        where = f"{task_path}:{line}" if line else str(task_path)
        if task.name in task_lines:
            problems.append(f"{where}: tasks.{index}.name: duplicate task name {task.name!r} "
                            f"({task_lines[task.name]})")
            continue
        task_lines[task.name] = where

    facts: list[Fact] = []
    fact_lines: dict[str, str] = {}
    for index, rel in enumerate(config.facts):
        fact_path = resolve_inside(root, rel, where=at("facts", index))
        files.append(fact_path)
        for fact, where in _parse_facts(fact_path, str(label_root / rel), problems):
            if fact.id in fact_lines:
                problems.append(
                    f"{where}: id: duplicate fact id {fact.id!r} ({fact_lines[fact.id]})")
                continue
            if fact.document not in documents:
                known = unknown("document", fact.document, list(documents))
                problems.append(f"{where}: document: {known}")
            fact_lines[fact.id] = where
            facts.append(fact)
    if not facts and not problems:
        problems.append(f"{label_root / 'suite.yaml'}: facts: the facts files hold no facts")
    if problems:
        raise SuiteLoadError(problems)
    suite = Suite(
        root=root,
        config=config,
        documents=documents,
        facts=tuple(facts),
        tasks=task_file.tasks,
        content_hash=_content_hash(root, files),
        fact_lines=fact_lines,
        task_lines=task_lines,
    )
    problems = check_templates(suite)  # before any model loads: not after the first tasks ran
    if problems:
        raise SuiteLoadError(problems)
    return suite
