"""`harness leaderboard` as a user runs it (the command is wired into the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import harness_cli


def test_formats_from_the_command_line(demo_results: Path) -> None:
    md = harness_cli("leaderboard", "--results", str(demo_results), check=True).stdout
    header = next(line for line in md.splitlines() if line.startswith("| model"))
    assert "knowledge gap (open_qa − closed_qa)" in header and "mean rank" in header
    data = json.loads(harness_cli("leaderboard", "--results", str(demo_results), "--format",
                                  "json", "--sort", "closed_qa", check=True).stdout)
    rows = data["suites"][0]["rows"]
    assert rows[0]["tasks"]["closed_qa"]["value"] >= rows[1]["tasks"]["closed_qa"]["value"]
    html = harness_cli("leaderboard", "--results", str(demo_results), "--format", "html",
                       check=True).stdout
    assert html.startswith("<!DOCTYPE html>") and 'class="sortable leaderboard"' in html
    bad = harness_cli("leaderboard", "--results", str(demo_results), "--metric", "nope")
    assert bad.returncode == 2 and "--metric nope" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_an_unknown_suite_is_one_error_line(demo_results: Path) -> None:
    bad = harness_cli("leaderboard", "--results", str(demo_results), "--suite", "nosuch")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "--suite nosuch: no run of that suite" in bad.stderr and "kr-news-2025-07" in bad.stderr
