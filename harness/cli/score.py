"""`harness score PREDICTIONS`: judge a predictions JSONL file and report verdicts or metrics."""

from __future__ import annotations

import json
import math
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.cli.common import fail
from harness.errors import HarnessError
from harness.scoring.judge import Verdict, resolve_answer_type
from harness.scoring.metrics import generation_summary
from harness.scoring.score_file import ScoredFile, score_predictions_file


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    md = "md"


_HELP = "\n\n".join((
    "Judge every prediction in PREDICTIONS as correct, incorrect or not_attempted.",
    "PREDICTIONS is a JSONL file, one object a line: `prediction` and `answer` are required; "
    "`aliases` (list of other correct writings), `answer_type` (number, percent, money, date, "
    "year, duration, person, organization, place, law, phrase, yes_no; inferred from the answer "
    "when absent or unknown), `question`, `answer_ko` (the answer in Hangul), `as_of` "
    "(YYYY-MM-DD), `distractors` (answers never to accept) and `id` are optional. Rows with "
    "the same `id` form one cluster in the bootstrap. An empty file is an error (no "
    "predictions); a UTF-8 byte order mark is accepted.",
    "The answer is extracted first (reasoning in <think>...</think> dropped; an unterminated "
    "<think> is not_attempted; \"Answer:\", markdown and quotes dropped; the first line and "
    "sentence kept), then compared by answer type: numbers, percents, money, dates, years and "
    "durations by value (English and Korean), names by tokens (titles and Korean particles "
    "ignored), yes/no by polarity. Refusals (\"I don't know\", \"모르겠습니다\") are "
    "not_attempted. Named relaxations accept what a careful human accepts: another "
    "romanization of a Korean name (person:romanization, needs the Hangul), acronyms and "
    "short names (never a distractor's), lists in any order (list:unordered), values "
    "attached to another subject (elaboration), dates without the year the question or "
    "as_of fixes (date:year-from-question). The answer part is cut to 4,000 characters "
    "before extraction (rule cut-long).",
    "A malformed line is reported on stderr as PATH:LINE: field: problem, the other lines are "
    "still scored, and the command exits with status 2 at the end. A missing file is one error "
    "line and exit status 2.",
))

_FORMAT_HELP = (
    "jsonl: every valid input line echoed with `verdict`, `extracted` and `rule` added. "
    "json / md: aggregate metrics (accuracy, accuracy given attempted, not-attempted rate, "
    "token F1, strict EM) with 95% cluster-bootstrap intervals, overall and per answer type."
)


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else value


def _by_type(scored: ScoredFile) -> dict[str, dict[str, float]]:
    groups: dict[str, tuple[list[Any], list[str]]] = {}
    for k, (row, judgement) in enumerate(zip(scored.rows, scored.judgements, strict=True)):
        kind = resolve_answer_type(row["answer"], row.get("answer_type")).value
        judgements, clusters = groups.setdefault(kind, ([], []))
        judgements.append(judgement)
        clusters.append(str(row["id"]) if row.get("id") is not None else f"row:{k}")
    return {kind: generation_summary(j, c) for kind, (j, c) in sorted(groups.items())}


def _report(scored: ScoredFile) -> dict[str, Any]:
    counts = Counter(j.verdict.value for j in scored.judgements)
    return {
        "file": str(scored.path),
        "summary": {k: _clean(v) for k, v in scored.summary.items()},
        "verdicts": {v.value: counts.get(v.value, 0) for v in Verdict},
        "by_answer_type": {
            kind: {k: _clean(v) for k, v in summary.items()}
            for kind, summary in _by_type(scored).items()
        },
        "errors": len(scored.errors),
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def _ci(summary: dict[str, float | None], key: str) -> str:
    low, high = summary.get(f"{key}_ci_low"), summary.get(f"{key}_ci_high")
    return "n/a" if low is None or high is None else f"[{_pct(low)}, {_pct(high)}]"


def _markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        f"# Scores for {report['file']}",
        "",
        f"n = {int(s['n'])}; verdicts: "
        + ", ".join(f"{k} {v}" for k, v in report["verdicts"].items())
        + f"; malformed lines: {report['errors']}",
        "",
        "| metric | value (%) | 95% CI |",
        "|---|---:|---|",
        f"| accuracy | {_pct(s['accuracy'])} | {_ci(s, 'accuracy')} |",
        f"| accuracy given attempted | {_pct(s['accuracy_given_attempted'])} | |",
        f"| not attempted | {_pct(s['not_attempted_rate'])} | |",
        f"| token F1 | {_pct(s['f1'])} | {_ci(s, 'f1')} |",
        f"| strict EM | {_pct(s['strict_em'])} | |",
        "",
        "| answer type | n | accuracy (%) | 95% CI | not attempted (%) | F1 (%) |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for kind, t in report["by_answer_type"].items():
        lines.append(f"| {kind} | {int(t['n'])} | {_pct(t['accuracy'])} | {_ci(t, 'accuracy')} "
                     f"| {_pct(t['not_attempted_rate'])} | {_pct(t['f1'])} |")
    return "\n".join(lines)


def score_command(
    predictions: Annotated[Path, typer.Argument(
        help="Predictions JSONL file (see above for the fields).", show_default=False,
        metavar="PREDICTIONS")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help=_FORMAT_HELP)] = OutputFormat.jsonl,
) -> None:
    try:
        scored = score_predictions_file(predictions)
    except HarnessError as err:
        fail(str(err), err.exit_code)
    for error in scored.errors:
        typer.echo(error, err=True)
    if fmt is OutputFormat.jsonl:
        for row in scored.rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    elif fmt is OutputFormat.json:
        typer.echo(json.dumps(_report(scored), ensure_ascii=False, indent=2))
    else:
        typer.echo(_markdown(_report(scored)))
    if scored.errors:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the `score` command to `app`."""
    app.command("score", help=_HELP)(score_command)
