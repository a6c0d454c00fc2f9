"""Score a predictions JSONL file: one JSON object a line with `prediction` and `answer`
(required), `aliases`, `answer_type`, `question`, `answer_ko`, `as_of`, `distractors`, `id`
(optional). `question`, `answer_ko` (the Hangul answer), `as_of` (YYYY-MM-DD) and `distractors`
(answers never to accept) enable the rules that need them: romanized names, dates without the
year the question fixes, acronyms and short names.

A malformed line becomes one error "PATH:LINE: field: problem" and the other lines are still
scored; a file with no line at all is an error ("no predictions"). A UTF-8 byte order mark on
line 1 is ignored. An absent or unknown `answer_type` is inferred from the answer. Rows sharing
an `id` (a string or an integer, never a boolean) form one bootstrap cluster; a row without an id
is its own cluster (its line number).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.scoring.context import GoldContext
from harness.scoring.judge import Judgement, judge
from harness.scoring.metrics import generation_summary


@dataclass
class ScoredFile:
    """`rows`: each valid input object with `verdict`, `extracted` and `rule` added;
    `errors`: one line per malformed input line; `summary`: `generation_summary` of the rows."""

    path: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)
    judgements: list[Judgement] = field(default_factory=list)


_DATE = re.compile(r"[12]\d{3}-\d{2}-\d{2}")


class _LineError(Exception):
    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")


def _string(obj: dict[str, Any], key: str, *, required: bool) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            raise _LineError(key, "missing (a string is required)")
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise _LineError(key, f"expected a string, got {type(value).__name__}")
    return value


def _strings(obj: dict[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _LineError(key, f"expected a list of strings, got {type(value).__name__}")
    for k, item in enumerate(value):
        if not isinstance(item, str):
            raise _LineError(f"{key}[{k}]", f"expected a string, got {type(item).__name__}")
    return list(value)


def _context(obj: dict[str, Any]) -> GoldContext:
    as_of = _string(obj, "as_of", required=False)
    if as_of is not None and not _DATE.fullmatch(as_of.strip()):
        raise _LineError("as_of", f"expected a date YYYY-MM-DD, got {as_of!r}")
    return GoldContext(
        question=_string(obj, "question", required=False),
        answer_ko=_string(obj, "answer_ko", required=False),
        as_of=as_of,
        excluded=tuple(_strings(obj, "distractors")),
    )


def _parse(line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise _LineError("json", f"invalid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(obj, dict):
        raise _LineError("line", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _judge_row(obj: dict[str, Any]) -> Judgement:
    prediction = _string(obj, "prediction", required=True)
    answer = _string(obj, "answer", required=True)
    assert prediction is not None and answer is not None
    if not answer.strip():
        raise _LineError("answer", "empty")
    aliases = _strings(obj, "aliases")
    answer_type = obj.get("answer_type")
    if answer_type is not None and not isinstance(answer_type, str):
        raise _LineError("answer_type", f"expected a string, got {type(answer_type).__name__}")
    context = _context(obj)
    identifier = obj.get("id")
    if identifier is not None and (isinstance(identifier, bool)
                                   or not isinstance(identifier, (str, int))):
        raise _LineError("id", f"expected a string or integer, got {type(identifier).__name__}")
    return judge(prediction, answer, aliases, answer_type, context=context)


def score_predictions_file(path: Path) -> ScoredFile:
    """Judge every line of `path`; raises HarnessError if the file cannot be read at all."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise HarnessError(f"{path}: is a directory, expected a JSONL file") from None
    except OSError as err:
        raise HarnessError(f"{path}: cannot read ({err.strerror})") from None
    scored = ScoredFile(path=Path(path))
    clusters: list[str] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            scored.errors.append(f"{path}:{number}: encoding: not valid UTF-8")
            continue
        if not line.strip():
            continue
        try:
            obj = _parse(line)
            judgement = _judge_row(obj)
        except _LineError as err:
            scored.errors.append(f"{path}:{number}: {err}")
            continue
        scored.judgements.append(judgement)
        scored.rows.append({
            **obj,
            "verdict": judgement.verdict.value,
            "extracted": judgement.extracted,
            "rule": judgement.rule,
        })
        has_id = obj.get("id") is not None
        clusters.append(f"id:{obj['id']}" if has_id else f"line:{number}")
    if not scored.rows and not scored.errors:
        raise HarnessError(f"{path}: no predictions (the file holds no JSON lines; expected one "
                           "object a line with `prediction` and `answer`)")
    scored.summary = generation_summary(scored.judgements, clusters)
    return scored
