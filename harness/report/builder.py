"""`build_report`: the whole site, written under one folder."""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.leaderboard.board import build_leaderboard
from harness.leaderboard.incomplete import describe
from harness.leaderboard.sample_ci import SampleCache
from harness.leaderboard.select import Row, select_runs
from harness.report.names import page_name
from harness.report.pages import index_page, pair_page, run_page
from harness.report.sections import build_section
from harness.results.store import atomic_write, read_samples


def _clear_pages(folder: Path) -> None:
    """Remove pages of an earlier build (only .html files in our own sub-folders)."""
    for page in folder.glob("*.html"):
        page.unlink()


def _write_run_pages(out_dir: Path, rows: list[Row]) -> dict[str, str]:
    links = {}
    for row in rows:
        href = f"runs/{page_name(row.run.run_id)}.html"
        try:
            samples = read_samples(row.run_dir)
        except (OSError, HarnessError):
            samples = []
        atomic_write(out_dir / href, run_page(row.run, samples))
        links[row.run.run_id] = href
    return links


def build_report(results_dir: Path, out_dir: Path, suite: str | None = None) -> Path:
    """Write index.html, runs/*.html and pairs/*.html under `out_dir`; returns index.html."""
    if not results_dir.is_dir():
        raise HarnessError(f"{results_dir}: no such results folder")
    selection = select_runs(results_dir, suite)
    board = build_leaderboard(selection)
    for sub in ("runs", "pairs"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
        _clear_pages(out_dir / sub)
    links = _write_run_pages(out_dir, [*selection.rows, *selection.incomplete])
    cache = SampleCache()
    sections = [build_section(b, cache, links) for b in board.boards]
    for section in sections:
        for pair in section.pairs:
            atomic_write(out_dir / pair.href, pair_page(pair))
    index = out_dir / "index.html"
    atomic_write(index, index_page(sections, [describe(r) for r in selection.incomplete],
                                   links, results_dir, len(links)))
    return index
