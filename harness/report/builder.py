"""`build_report`: the whole site, built in a folder of its own and swapped in whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.board.board import build_leaderboard
from harness.board.incomplete import describe
from harness.board.sample_ci import SampleCache
from harness.board.select import Row, Selection, select_runs
from harness.errors import HarnessError
from harness.report.names import page_name
from harness.report.pages import index_page, pair_page, run_page
from harness.report.sections import build_section
from harness.report.swap import staged
from harness.results.records import Sample
from harness.results.store import SAMPLES_FILE, atomic_write, read_samples

Warn = Callable[[str], None]


def _samples(row: Row, complete: bool) -> list[Sample]:
    """A run's samples; an incomplete run may have none yet (no file): no samples."""
    if not complete and not (row.run_dir / SAMPLES_FILE).exists():
        return []
    return read_samples(row.run_dir)


def readable(selection: Selection, warn: Warn) -> tuple[Selection, dict[Path, list[Sample]]]:
    """The selection without runs whose samples cannot be read (each named in one warning:
    its file and line), and the samples of the others."""
    kept: dict[Path, list[Sample]] = {}
    groups: list[list[Row]] = []
    for rows, complete in ((selection.rows, True), (selection.incomplete, False)):
        good = []
        for row in rows:
            try:
                kept[row.run_dir] = _samples(row, complete)
            except HarnessError as err:
                warn(f"skipped run {row.run_dir}: {err}")
                continue
            good.append(row)
        groups.append(good)
    return Selection(rows=groups[0], incomplete=groups[1]), kept


def _write_run_pages(out_dir: Path, rows: list[Row], samples: dict[Path, list[Sample]]
                     ) -> dict[str, str]:
    links = {}
    for row in rows:
        href = f"runs/{page_name(row.run.run_id)}.html"
        atomic_write(out_dir / href, run_page(row.run, samples[row.run_dir]))
        links[row.run.run_id] = href
    return links


def build_report(results_dir: Path, out_dir: Path, suite: str | None = None,
                 warn: Warn | None = None) -> Path:
    """Write index.html, runs/*.html and pairs/*.html under `out_dir`; returns index.html.
    The site is built in a new folder and swapped in when whole: an error leaves the old
    site as it was. Runs with unreadable samples are left out, each with a `warn` line."""
    if not results_dir.is_dir():
        raise HarnessError(f"{results_dir}: no such results folder")
    selection, samples = readable(select_runs(results_dir, suite), warn or (lambda _: None))
    board = build_leaderboard(selection)
    with staged(out_dir) as stage:
        for sub in ("runs", "pairs"):
            (stage / sub).mkdir()
        links = _write_run_pages(stage, [*selection.rows, *selection.incomplete], samples)
        cache = SampleCache()
        sections = [build_section(b, cache, links) for b in board.boards]
        for section in sections:
            for pair in section.pairs:
                atomic_write(stage / pair.href, pair_page(pair))
        atomic_write(stage / "index.html", index_page(
            sections, [describe(r) for r in selection.incomplete], links, results_dir,
            len(links)))
    return out_dir / "index.html"
