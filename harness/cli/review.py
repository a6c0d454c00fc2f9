"""`harness tasks review SUITE`: walk the draft facts in the terminal, evidence in context;
accept, edit the answer or question, or reject; every decision is saved at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from harness.build.review import DraftRef, ReviewStore, check_edit
from harness.cli.common import console, say
from harness.scoring.infer import infer_answer_type

CONTEXT = 300  # characters of the document shown on each side of the evidence
CHOICES = {"a": "accept", "e": "edit answer", "q": "edit question", "r": "reject",
           "s": "skip", "x": "stop"}


def _context(text: str, evidence: str) -> str:
    """The evidence in bold within the text around it (markup-escaped)."""
    at = text.find(evidence)
    if at < 0:
        return escape(evidence)
    before = text[max(0, at - CONTEXT): at]
    after = text[at + len(evidence): at + len(evidence) + CONTEXT]
    return (f"…{escape(before)}[bold yellow]{escape(evidence)}[/]{escape(after)}…")


def _show(store: ReviewStore, ref: DraftRef, number: int, total: int) -> None:
    r = ref.record
    body = (f"[bold]Q:[/] {escape(r['question'])}\n"
            f"[bold]A:[/] [green]{escape(r['answer'])}[/] ({escape(r['answer_type'])})"
            f"{'  aliases: ' + escape(', '.join(r.get('aliases', []))) if r.get('aliases') else ''}"
            f"\n[bold]distractors:[/] {escape(' | '.join(r.get('distractors', [])))}\n"
            f"[bold]drafted by:[/] {escape(str(r.get('drafted_by')))}\n\n"
            f"{_context(store.document_text(r['document']), r['evidence'])}")
    console.print(Panel(body, title=f"{number}/{total} {r['id']} ({r['document']})"))


def _edit(store: ReviewStore, ref: DraftRef, field: str) -> dict[str, Any] | None:
    """Ask for a new answer or question until it passes the checks (None: given up)."""
    while True:
        value = Prompt.ask(f"new {field} (empty: keep as is)", default="", show_default=False)
        if not value.strip():
            return None
        changed = {**ref.record, field: value.strip()}
        if field == "answer":
            changed["answer_type"] = infer_answer_type(value.strip()).value
            changed["aliases"] = []
        problem = check_edit(changed, store.document_title(ref.record["document"]))
        if problem is None:
            return {k: changed[k] for k in (field, "answer_type", "aliases") if k in changed}
        say(f"not saved: {problem}")


def review_command(
    suite_dir: Annotated[Path, typer.Argument(help="Suite folder written by harness build.")],
    accept_all: Annotated[bool, typer.Option(
        "--accept-all", help="Mark every draft fact reviewed, without asking.")] = False,
) -> None:
    """Review the draft facts of SUITE one by one (saved after each decision; Ctrl-C loses
    nothing). Accepted facts become `status: reviewed`; rejected ones go to rejected.jsonl."""
    store = ReviewStore(suite_dir)
    drafts = store.drafts()
    if not drafts:
        say(f"{suite_dir}: no draft facts to review")
        return
    if accept_all:
        for ref in drafts:
            store.accept(ref)
        say(f"{suite_dir}: {len(drafts)} draft facts marked reviewed")
        return
    counts = {"accept": 0, "reject": 0, "skip": 0}
    interrupted = False
    try:
        for number, ref in enumerate(drafts, start=1):
            _show(store, ref, number, len(drafts))
            while True:
                key = Prompt.ask(" / ".join(f"[{k}] {v}" for k, v in CHOICES.items()),
                                 choices=list(CHOICES), default="a", show_choices=False)
                if key in ("e", "q"):
                    changes = _edit(store, ref, "answer" if key == "e" else "question")
                    if changes is None:
                        continue
                    store.accept(ref, changes)
                    counts["accept"] += 1
                elif key == "a":
                    store.accept(ref)
                    counts["accept"] += 1
                elif key == "r":
                    store.reject(ref, Prompt.ask("why (optional)", default="",
                                                 show_default=False))
                    counts["reject"] += 1
                elif key == "s":
                    counts["skip"] += 1
                else:
                    raise StopIteration
                break
    except (StopIteration, EOFError):
        pass
    except KeyboardInterrupt:
        interrupted = True
    left = len(store.drafts())
    say(f"{counts['accept']} accepted, {counts['reject']} rejected, {counts['skip']} skipped; "
        f"{left} draft facts left (saved)")
    if interrupted:
        raise typer.Exit(130)
