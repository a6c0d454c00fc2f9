"""The static site: pages, charts, self-containment."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import report
from harness.report.plots import Series, grouped_bars
from harness.results.store import find_runs, read_samples
from tests.conftest import cli_app


def _pages(index: Path) -> list[Path]:
    return [index, *sorted((index.parent / "runs").glob("*.html")),
            *sorted((index.parent / "pairs").glob("*.html"))]


def test_index_has_leaderboard_charts_and_links(report_index: Path, demo_results: Path) -> None:
    html = report_index.read_text(encoding="utf-8")
    assert '<table class="sortable leaderboard">' in html
    assert "tiny-exaone4-memorizer" in html and "tiny-exaone4-random" in html
    assert html.count("<svg") >= 4  # per-task bars, knowledge gap, answer type, document
    assert "% correct by answer type" in html and "% correct by document" in html
    for _, run in find_runs(demo_results):
        assert f'href="runs/{run.run_id}.html"' in html
    pair_links = re.findall(r'href="(pairs/[^"]+\.html)"', html)
    assert len(pair_links) == 1 and (report_index.parent / pair_links[0]).is_file()


def test_run_pages_show_every_item(report_index: Path, demo_results: Path) -> None:
    for path, run in find_runs(demo_results):
        page = (report_index.parent / "runs" / f"{run.run_id}.html").read_text(encoding="utf-8")
        samples = read_samples(path)
        assert page.count('<tr>\n<td data-sort="') == len(samples)
        assert all(f">{s.item_id}<" in page for s in samples)


def test_pair_page_has_the_comparison(report_index: Path) -> None:
    page = next((report_index.parent / "pairs").glob("*.html")).read_text(encoding="utf-8")
    assert "McNemar p" in page and "A better" in page and "Flips (" in page


def test_pages_are_self_contained(report_index: Path) -> None:
    for page in _pages(report_index):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html), page
        assert "<link" not in html and "@import" not in html
        assert not re.search(r"url\((?!#)", html)  # only in-page references (SVG clips)
        assert "default-src 'none'" in html  # CSP: nothing may be fetched


def test_chart_labels_are_escaped_by_the_svg_writer() -> None:
    svg = str(grouped_bars("t <b>", ["a&b"], [Series("<script>alert(1)</script>", [0.5])]))
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "a&amp;b" in svg and svg.startswith("<svg")


def test_report_command(demo_results: Path, tmp_path: Path) -> None:
    app = cli_app(report.register)
    out = tmp_path / "site"
    result = CliRunner().invoke(app, ["report", "--results", str(demo_results), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and str(out / "index.html") in result.stdout
    missing = CliRunner().invoke(app, ["report", "--results", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no such results folder" in missing.stderr
