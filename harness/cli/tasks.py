"""`harness tasks ...`: list, validate, show, export suites; start a new one; the format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harness.cli.common import DEFAULT_SUITE, console, error_line, fail, load_suite_or_exit, say
from harness.cli.review import review_command
from harness.errors import HarnessError
from harness.suite.builtin import builtin_root
from harness.suite.items import build_items
from harness.suite.loader import load_suite
from harness.suite.schema_doc import schema_markdown
from harness.suite.starter import new_suite
from harness.suite.validate import validate_suite

app = typer.Typer(help="Inspect, validate and export task suites.", no_args_is_help=True)

SuiteArg = Annotated[Path, typer.Argument(help="Suite folder (holding suite.yaml).")]
app.command("review")(review_command)


@app.command("list")
def list_suites(
    root: Annotated[Path | None, typer.Argument(
        help="Folder holding suites [default: ./tasks and the shipped suites]")] = None,
) -> None:
    """List the suites under ROOT with their version, facts and tasks."""
    if root is not None and not root.is_dir():
        fail(f"{root}: no such folder")
    roots = [root] if root is not None else [Path("tasks"), builtin_root()]
    table = Table("suite", "version", "documents", "facts", "tasks", "path")
    broken: list[str] = []
    seen: set[Path] = set()
    for suite_file in (f for r in roots if r.is_dir() for f in sorted(r.glob("*/suite.yaml"))):
        if suite_file.resolve() in seen:  # tasks/kr-news-2025-07 is the shipped suite
            continue
        seen.add(suite_file.resolve())
        try:
            suite = load_suite(suite_file.parent)
        except HarnessError as err:  # listed apart; the other suites still are
            broken.append(str(err))
            continue
        table.add_row(suite.name, suite.config.version, str(len(suite.documents)),
                      str(len(suite.facts)), ", ".join(t.name for t in suite.tasks),
                      str(suite_file.parent))
    console.print(table, markup=False, highlight=False)  # paths as written: `[red]` too
    for line in broken:
        error_line(line)
    if broken:
        raise typer.Exit(2)


@app.command()
def validate(suite_dir: SuiteArg = DEFAULT_SUITE) -> None:
    """Check schema, ids, evidence, answers, distractors, tf balance and Korean fields.

    Exit 0 with a one-line summary when valid; exit 2 with one line per problem otherwise.
    """
    suite = load_suite_or_exit(suite_dir)
    problems = validate_suite(suite)
    for problem in problems:
        error_line(problem)
    if problems:
        fail(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {suite_dir}")
    items = sum(len(build_items(suite, task)) for task in suite.tasks)
    say(f"ok: {suite.name} v{suite.config.version}: {len(suite.documents)} documents, "
        f"{len(suite.facts)} facts, {len(suite.tasks)} tasks, {items} items, "
        f"content {suite.content_hash}")


@app.command()
def show(suite_dir: SuiteArg = DEFAULT_SUITE) -> None:
    """Counts per document, task (regime) and answer type."""
    suite = load_suite_or_exit(suite_dir)
    docs = Table("document", "outlet", "published", "facts", title=f"{suite.name} documents")
    for doc_id, doc in suite.documents.items():
        count = sum(1 for f in suite.facts if f.document == doc_id)
        docs.add_row(doc_id, doc.meta.outlet, str(doc.meta.published), str(count))
    tasks = Table("task", "regime", "language", "open-book", "items", title="tasks")
    for task in suite.tasks:
        tasks.add_row(task.name, task.regime, task.language, "yes" if task.with_document else "no",
                      str(len(build_items(suite, task))))
    types = Table("answer type", "facts", title="answer types")
    for name, count in sorted(Counter(f.answer_type.value for f in suite.facts).items()):
        types.add_row(name, str(count))
    for table in (docs, tasks, types):
        console.print(table, markup=False, highlight=False)


@app.command()
def export(
    suite_dir: SuiteArg = DEFAULT_SUITE,
    fmt: Annotated[str, typer.Option("--format", help="Output format (jsonl).")] = "jsonl",
    task: Annotated[list[str] | None, typer.Option(help="Only these tasks.")] = None,
) -> None:
    """Print every rendered item of every task, one JSON object a line (prompt without chat
    template)."""
    if fmt != "jsonl":
        fail(f"--format {fmt}: only jsonl is supported")
    suite = load_suite_or_exit(suite_dir)
    unknown = sorted(set(task or []) - {t.name for t in suite.tasks})
    if unknown:
        fail(f"--task {', '.join(unknown)}: no such task in {suite.name} "
             f"(tasks: {', '.join(t.name for t in suite.tasks)})")
    for task_def in suite.tasks:
        if task and task_def.name not in task:
            continue
        for item in build_items(suite, task_def):
            label: int | bool | None = item.label
            if item.regime == "tf":
                label = item.label == 0
            record = {
                "suite": suite.name, "task": item.task, "item_id": item.item_id,
                "fact_id": item.fact_id, "document": item.document, "question": item.question,
                "answer": item.answer, "aliases": list(item.aliases),
                "answer_type": item.answer_type.value,
                "choices": list(item.choices) or None, "label": label,
                "as_of": item.as_of.isoformat(), "evidence": item.evidence, "prompt": item.prompt,
            }
            typer.echo(json.dumps(record, ensure_ascii=False))


@app.command()
def new(folder: Annotated[Path, typer.Argument(help="New suite folder (its name is the "
                                                     "suite's name).")]) -> None:
    """Create FOLDER with a minimal valid suite (one document, two facts, every regime),
    commented, to edit into your own."""
    try:
        written = new_suite(folder)
    except HarnessError as err:
        fail(str(err))
    for path in written:
        say(f"wrote {path}")
    say(f"next: edit {folder}/documents and {folder}/facts, then "
        f"`harness tasks validate {folder}`")


@app.command("schema-doc")
def schema_doc() -> None:
    """Print the suite format reference (docs/suite-format.md), generated from the schema."""
    typer.echo(schema_markdown(), nl=False)
