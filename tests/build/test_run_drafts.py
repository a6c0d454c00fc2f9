"""`harness run` on a built suite: one warning line for draft facts, their count in run.json."""

from __future__ import annotations

import json
from pathlib import Path

from harness.build.cli_support import build_seed_like
from harness.suite.loader import Suite
from tests.conftest import harness_cli


def test_run_warns_and_records_draft_facts(suite: Suite, random_model: Path,
                                           tmp_path: Path) -> None:
    built = tmp_path / "drafted"
    build_seed_like(suite, built, documents=["kh-exaone-4"], max_facts=4)
    result = harness_cli("run", "--model", str(random_model), "--suite", str(built),
                         "--results", str(tmp_path / "results"), "--task", "mc", check=True)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: suite kr-news-2025-07-drafted has 4 draft facts not yet "
                        f"reviewed (harness tasks review {built.resolve()})"]
    record = json.loads(next((tmp_path / "results").rglob("run.json")).read_text())
    assert record["suite"]["draft_facts"] == 4
