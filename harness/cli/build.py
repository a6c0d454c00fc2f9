"""`harness build DOC... --out DIR`: draft a verified suite from your own documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from harness.build.pipeline import BuildOptions, BuildResult, Drafter, run_build
from harness.build.reader import MAX_BYTES
from harness.build.rules import DRAFTER, draft_document
from harness.build.source import slug
from harness.build.summary import by_reason, document_rows, totals
from harness.build.writer import prepare_out, write_provenance, write_rejected, write_suite
from harness.cli.common import console, error_line, fail, say
from harness.errors import HarnessError
from harness.suite.loader import load_suite
from harness.suite.validate import validate_suite


def _drafter(name: str, max_new_tokens: int, constrained: bool) -> tuple[Drafter, str]:
    if name == DRAFTER:
        return draft_document, DRAFTER
    from harness.build.model_drafter import ModelDrafter

    model = ModelDrafter.load(Path(name), max_new_tokens=max_new_tokens,
                              constrained=constrained)
    return model.draft_document, model.identity


def _published(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HarnessError(f"--published {value!r}: not a date; write YYYY-MM-DD") from None


def _print_summary(result: BuildResult, out: Path, written: int) -> None:
    table = Table("document", "lang", "date", "drafts", "accepted", "rejected", "top reasons",
                  title=f"harness build ({result.drafter})")
    for row in document_rows(result):
        table.add_row(*row)
    console.print(table, markup=False, highlight=False)
    reasons = by_reason(result)
    if reasons:
        say("rejected by reason: " + ", ".join(f"{k} {v}" for k, v in reasons))
    drafts, accepted, rejected = totals(result)
    say(f"{len(result.documents)} documents read, {drafts} drafts, {accepted} accepted, "
        f"{rejected} rejected (reasons in {out / 'rejected.jsonl'}); {written} documents "
        "written")


def build_command(
    documents: Annotated[list[Path], typer.Argument(
        help="Document files or folders (.txt, .md, .html, .pdf).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the suite to.")],
    drafter: Annotated[str, typer.Option(
        help="'rules' (offline, no model) or the folder of a local HF model.")] = DRAFTER,
    name: Annotated[str | None, typer.Option(help="Suite name (default: --out's name).")]
    = None,
    published: Annotated[str | None, typer.Option(
        help="Published date YYYY-MM-DD for every document (default: the page's own).")]
    = None,
    outlet: Annotated[str | None, typer.Option(help="Outlet of every document.")] = None,
    max_bytes: Annotated[int, typer.Option(help="Largest document file read.")] = MAX_BYTES,
    max_facts: Annotated[int | None, typer.Option(
        help="At most this many facts per document (first in text order).")] = None,
    max_new_tokens: Annotated[int, typer.Option(
        help="Model drafter: tokens generated per paragraph.")] = 384,
    constrain: Annotated[bool, typer.Option(
        help="Model drafter: generate under the JSON schema (lm-format-enforcer).")] = False,
    force: Annotated[bool, typer.Option(help="Replace --out when it holds files.")] = False,
) -> None:
    """Draft facts from DOCUMENTS, verify every draft against its document, and write a
    suite whose facts are `status: draft` (review them with `harness tasks review`)."""
    today = dt.date.today()
    options = BuildOptions(published=_published(published), outlet=outlet,
                           max_bytes=max_bytes, max_facts=max_facts)
    prepare_out(out, force)
    draft, identity = _drafter(drafter, max_new_tokens, constrain)
    result = run_build(documents, draft, identity, options, today=today)
    for problem in result.problems:
        error_line(problem)
    for doc in result.documents:
        if doc.doc.published is None:
            error_line(f"{doc.doc.source}: no published date found; {today.isoformat()} "
                       "(today) stands in as as_of; give --published YYYY-MM-DD")
    kept = write_suite(result, out, slug(name or out.resolve().name), today)
    write_rejected(result, out)
    write_provenance(result, out)
    _print_summary(result, out, len(kept))
    if not kept:
        fail(f"{out}: no fact passed verification; nothing to evaluate (see rejected.jsonl)")
    problems = validate_suite(load_suite(out))
    for problem in problems:
        error_line(problem)
    if problems:
        fail(f"{out}: the written suite has {len(problems)} problems")
    say(f"wrote {out}: validates (harness tasks validate {out}); review the drafts with "
        f"`harness tasks review {out}`")


def register(app: typer.Typer) -> None:
    app.command("build")(build_command)
