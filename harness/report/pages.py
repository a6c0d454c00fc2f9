"""Render the report's pages from their view models."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.board.board import Leaderboard
from harness.board.incomplete import IncompleteRun, describe
from harness.compare.formats import HEADER, row_cells, run_label
from harness.compare.stats import ALPHA
from harness.report.env import asset, render
from harness.report.items import items_by_task
from harness.report.pairs import Pair
from harness.report.sections import Section
from harness.report.table_view import table_view
from harness.results.records import RunRecord, Sample


def _script() -> dict[str, object]:
    """The inline script and its CSP hash: the only script the page may run."""
    script = asset("sort.js")
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return {"script": script, "script_hash": "sha256-" + base64.b64encode(digest).decode()}


def leaderboard_page(board: Leaderboard) -> str:
    """`harness leaderboard --format html`: the tables alone, as one page."""
    return render("leaderboard.jinja", tables=[table_view(b) for b in board.boards],
                  incomplete=[describe(r) for r in board.incomplete], **_script())


def index_page(sections: Sequence[Section], incomplete: Sequence[IncompleteRun],
               links: Mapping[str, str], results_dir: Path, run_count: int) -> str:
    return render("index.jinja", sections=sections, incomplete=incomplete, links=links,
                  results_dir=str(results_dir), run_count=run_count, **_script())


def run_page(run: RunRecord, samples: list[Sample]) -> str:
    return render("run.jinja", run=run, items=items_by_task(samples), **_script())


def pair_page(pair: Pair) -> str:
    c = pair.comparison
    return render("pair.jinja", a_label=pair.a_label, b_label=pair.b_label,
                  a_run=run_label(c.a), b_run=run_label(c.b), header=HEADER,
                  rows=[row_cells(t) for t in c.tasks], flips=c.flips, alpha=ALPHA,
                  **_script())
