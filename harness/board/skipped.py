"""Run folders the leaderboard cannot read: named with the reason, never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from harness.results.records import RunRecord

RUN_FILE = "run.json"


def _reason(path: Path) -> str | None:
    """Why `path` is not a readable run record (None when it is one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except OSError as err:
        return f"cannot read ({err.strerror})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if not text.strip() or err.pos >= len(text.rstrip()):
            return "truncated JSON" if text.strip() else "empty file"
        return f"malformed JSON (line {err.lineno}, column {err.colno})"
    try:
        RunRecord.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        return f"not a run record ({field}: {first['msg']})"
    return None


def unreadable_runs(results_dir: Path) -> list[str]:
    """`results/X/run.json: truncated JSON` for every run folder that cannot be read."""
    found = []
    for path in sorted(results_dir.glob(f"*/{RUN_FILE}")):
        reason = _reason(path)
        if reason is not None:
            found.append(f"{path}: {reason}")
    return found


def skipped_line(skipped: list[str]) -> str:
    """`skipped 2 runs: A; B` (empty when none)."""
    if not skipped:
        return ""
    return f"skipped {len(skipped)} run{'s' if len(skipped) > 1 else ''}: {'; '.join(skipped)}"
