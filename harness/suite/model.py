"""A loaded suite (data only). Its own module so that prompts can use it without importing
the loader, which checks every task's template through prompts when it loads a suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError
from harness.suite.messages import unknown
from harness.suite.schema import DocumentMeta, Fact, SuiteConfig, TaskDef


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    text: str


@dataclass(frozen=True)
class Suite:
    root: Path
    config: SuiteConfig
    documents: dict[str, Document]
    facts: tuple[Fact, ...]
    tasks: tuple[TaskDef, ...]
    content_hash: str
    fact_lines: dict[str, str] = field(default_factory=dict)  # fact id -> "file:line"
    task_lines: dict[str, str] = field(default_factory=dict)  # task name -> "file:line"

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def tasks_file(self) -> Path:
        """The real path of the task definitions file."""
        return (self.root / self.config.tasks).resolve()

    def task_location(self, name: str) -> str:
        """Where task `name` is defined: "file:line" (the file alone without line info)."""
        return self.task_lines.get(name) or str(self.tasks_file)

    def task(self, name: str) -> TaskDef:
        for task in self.tasks:
            if task.name == name:
                return task
        known = [t.name for t in self.tasks]
        raise HarnessError(f"suite {self.name}: {unknown('task', name, known)}")
