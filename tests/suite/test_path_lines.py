"""Path problems in suite.yaml name the line of the field, like every other loading problem."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.suite.loader import load_suite
from tests.conftest import SEED_SUITE


@pytest.mark.parametrize(("pattern", "replacement", "field", "problem"), [
    (r"file: documents/\S+", "file: ../../etc/passwd", "documents.0.file", "leaves the suite"),
    (r"file: documents/\S+", "file: documents/missing.txt", "documents.0.file", "not found"),
    (r"^tasks: \S+", "tasks: /etc/tasks.yaml", "tasks", "absolute path"),
])
def test_path_errors_name_the_line(tmp_path: Path, pattern: str, replacement: str, field: str,
                                   problem: str) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, suite)
    text = (suite / "suite.yaml").read_text(encoding="utf-8")
    text = re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)
    (suite / "suite.yaml").write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if replacement in row)
    with pytest.raises(HarnessError, match=rf"suite.yaml:{line}: {re.escape(field)}: .*{problem}"):
        load_suite(suite)
