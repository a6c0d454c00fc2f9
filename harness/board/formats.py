"""The leaderboard as markdown, CSV (one line per row and task) and JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from harness.board.board import BoardRow, Leaderboard, SuiteBoard
from harness.board.columns import board_columns
from harness.board.incomplete import describe
from harness.board.skipped import skipped_line

NOTE = ("Values: score in % with 95% bootstrap CI clustered by fact; knowledge gap: "
        "open-book minus closed-book, in points; mean rank over tasks (1 = best); throughput "
        "over task time.")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_board(board: SuiteBoard) -> str:
    columns = board_columns(board)
    lines = [f"### {_md_escape(board.title)}", "",
             "| " + " | ".join(_md_escape(c.label) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_escape(c.text(row)) for c in columns) + " |"
              for row in board.rows]
    metrics = ", ".join(f"{t} {m}" for t, m in board.metrics.items())
    return "\n".join([*lines, "", f"Metrics: {metrics}. {NOTE}"])


def _md_incomplete(board: Leaderboard) -> str:
    lines = ["### Incomplete runs (not ranked)", "", "| run | model | suite | status | done |",
             "|---|---|---|---|---|"]
    for run in map(describe, board.incomplete):
        cells = [run.run_id, run.model_id, run.suite, run.status, run.progress]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    return "\n".join(lines)


def to_markdown(board: Leaderboard) -> str:
    """One table per suite version and content hash; incomplete runs in their own table."""
    blocks = [_md_board(b) for b in board.boards]
    if not blocks:
        blocks.append("No complete runs found.")
    if len(board.boards) > 1:
        blocks.insert(0, "Runs of different suite versions or contents, or of a different "
                         "--limit, are in separate tables.")
    if board.incomplete:
        blocks.append(_md_incomplete(board))
    if board.skipped:
        blocks.append(f"**Warning**: {_md_escape(skipped_line(board.skipped))}")
    return "\n\n".join(blocks)


CSV_FIELDS = ["suite", "suite_version", "content_hash", "limit", "model", "dtype", "thinking",
              "engine", "prompt_config", "parameters", "run_id", "task", "metric", "value",
              "ci_low", "ci_high",
              "mean_rank", "items_per_s", "prompt_tokens_per_s", "generated_tokens_per_s",
              "peak_rss_mb", "peak_gpu_mb"]


def _csv_lines(board: SuiteBoard, row: BoardRow) -> list[list[Any]]:
    r, e = row.row.run, row.efficiency
    head = [board.name, board.version, board.content_hash, board.limit, r.model.model_id,
            r.model.dtype, str(r.settings.thinking).lower(), r.settings.engine,
            r.settings.prompt_config, r.model.parameters, r.run_id]
    tail = [row.mean_rank, e.items_per_s, e.prompt_tokens_per_s, e.generated_tokens_per_s,
            e.peak_rss_mb, e.peak_gpu_mb]
    return [[*head, task, cell.metric, cell.value, cell.low, cell.high, *tail]
            for task, cell in row.cells.items()]


def to_csv(board: Leaderboard) -> str:
    """Tidy CSV: one line per (row, task), each line naming its suite version and hash."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for suite in board.boards:
        for row in suite.rows:
            writer.writerows([["" if v is None else v for v in line]
                              for line in _csv_lines(suite, row)])
    return out.getvalue()


def _json_row(row: BoardRow) -> dict[str, Any]:
    r = row.row.run
    return {
        "model": r.model.model_id, "dtype": r.model.dtype, "thinking": r.settings.thinking,
        "engine": r.settings.engine, "prompt_config": r.settings.prompt_config,
        "parameters": r.model.parameters, "run_id": r.run_id,
        "run_dir": str(row.row.run_dir), "started": r.started.isoformat(),
        "tasks": {t: {"metric": c.metric, "value": c.value, "ci_low": c.low, "ci_high": c.high}
                  for t, c in row.cells.items()},
        "knowledge_gap": row.gaps, "mean_rank": row.mean_rank,
        "efficiency": asdict(row.efficiency),
    }


def to_json(board: Leaderboard) -> str:
    data = {
        "metric": board.metric,
        "suites": [{"name": b.name, "version": b.version, "content_hash": b.content_hash,
                    "limit": b.limit, "tasks": b.tasks, "metrics": b.metrics,
                    "rows": [_json_row(r) for r in b.rows]} for b in board.boards],
        "incomplete": [asdict(describe(r)) for r in board.incomplete],
        "skipped": board.skipped,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
