"""Fuzz the suite loader: thousands of malformed suites, each one located line, no crash."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.suite.loader import load_suite
from harness.suite.validate import validate_suite

VALID_FACT = {
    "id": "f-001", "document": "doc", "evidence": "The rate is 25 percent.",
    "question": "What is the rate?", "answer": "25 percent", "aliases": ["25%"],
    "answer_type": "percent", "distractors": ["10 percent", "15 percent", "30 percent"],
    "as_of": "2025-07-15",
}
SUITE = {
    "name": "fuzz", "version": "1", "description": "d",
    "documents": [{"id": "doc", "title": "t", "outlet": "o", "published": "2025-07-15",
                   "published_evidence": "e", "language": "en", "file": "doc.txt"}],
    "facts": ["facts.jsonl"], "tasks": "tasks.yaml",
}
TASKS = "tasks:\n  - name: qa\n    regime: qa\n    template: 'Q: {{ question }}'\n"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10,
)


def _write(root: Path, suite: Any, facts: list[str], tasks: str, suite_text: str | None) -> None:
    (root / "doc.txt").write_text("The rate is 25 percent.\n", encoding="utf-8")
    (root / "suite.yaml").write_text(suite_text if suite_text is not None else json.dumps(suite),
                                     encoding="utf-8")
    (root / "facts.jsonl").write_text("\n".join(facts) + "\n", encoding="utf-8")
    (root / "tasks.yaml").write_text(tasks, encoding="utf-8")


@st.composite
def broken_suites(draw: st.DrawFn) -> tuple[Any, list[str], str, str | None]:
    suite: dict[str, Any] = json.loads(json.dumps(SUITE))
    fact: dict[str, Any] = dict(VALID_FACT)
    facts = [json.dumps(fact)]
    tasks, suite_text = TASKS, None
    kind = draw(st.sampled_from(["suite-key", "suite-drop", "suite-text", "doc-path", "fact-key",
                                 "fact-drop", "fact-line", "fact-json", "tasks-text",
                                 "tasks-key"]))
    if kind == "suite-key":
        suite[draw(st.sampled_from(sorted(SUITE)))] = draw(json_values)
    elif kind == "suite-drop":
        del suite[draw(st.sampled_from(sorted(SUITE)))]
    elif kind == "suite-text":
        suite_text = draw(st.text(max_size=200))
    elif kind == "doc-path":
        suite["documents"][0]["file"] = draw(st.sampled_from(
            ["../doc.txt", "/etc/hostname", "missing.txt", "", "."]) | st.text(max_size=20))
    elif kind == "fact-key":
        fact[draw(st.sampled_from(sorted(VALID_FACT)) | st.text(max_size=8))] = draw(json_values)
        facts = [json.dumps(fact)]
    elif kind == "fact-drop":
        del fact[draw(st.sampled_from(sorted(VALID_FACT)))]
        facts = [json.dumps(fact)]
    elif kind == "fact-line":
        facts.append(draw(st.text(max_size=80)))
    elif kind == "fact-json":
        facts = [json.dumps(draw(json_values))]
    elif kind == "tasks-text":
        tasks = draw(st.text(max_size=200))
    else:
        tasks = TASKS + f"    {draw(st.text(max_size=10))}: {json.dumps(draw(json_values))}\n"
    return suite, facts, tasks, suite_text


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=broken_suites())
def test_loader_never_crashes(case: tuple[Any, list[str], str, str | None]) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzz-suite-"))
    try:
        _write(root, *case)
        try:
            validate_suite(load_suite(root))
        except HarnessError as err:
            message = str(err)
            assert "\n" not in message
            assert str(root) in message or "suite.yaml" in message or ".jsonl" in message, message
    finally:
        shutil.rmtree(root, ignore_errors=True)
