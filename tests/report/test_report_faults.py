"""A bad samples line: the report skips that run with a warning naming file and line, and
the site it swaps in is whole (every link resolves); the old site is never half-rewritten."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness.report.builder import build_report
from tests.conftest import harness_cli


def _links_resolve(index: Path) -> list[str]:
    hrefs = re.findall(r'href="((?:runs|pairs)/[^"#]+)"', index.read_text(encoding="utf-8"))
    assert hrefs
    return [h for h in hrefs if not (index.parent / h).is_file()]


def test_a_bad_samples_line_skips_that_run(demo_results: Path, tmp_path: Path) -> None:
    results, site = tmp_path / "results", tmp_path / "site"
    shutil.copytree(demo_results, results)
    (site / "notes").mkdir(parents=True)
    (site / "notes" / "mine.txt").write_text("kept", encoding="utf-8")
    build_report(results, site)
    pairs_before = sorted(p.name for p in (site / "pairs").iterdir())
    assert pairs_before

    bad_run = sorted(results.iterdir())[0]
    lines = (bad_run / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = '{"item_id": "x", "truncated'
    (bad_run / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    warnings: list[str] = []
    index = build_report(results, site, warn=warnings.append)

    assert warnings == [f"skipped run {bad_run}: {bad_run / 'samples.jsonl'}:3: bad sample "
                        f"({warnings[0].rsplit('bad sample (', 1)[-1]}"]
    assert _links_resolve(index) == []
    text = index.read_text(encoding="utf-8")
    assert bad_run.name not in text  # not ranked, not linked
    assert len(list((site / "runs").iterdir())) == len(list(results.iterdir())) - 1
    assert (site / "notes" / "mine.txt").read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_command_warns_and_succeeds(demo_results: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(demo_results, results)
    bad_run = sorted(results.iterdir())[-1]
    with (bad_run / "samples.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    out = harness_cli("report", "--results", str(results), "--out", str(tmp_path / "site"))
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith(f"warning: skipped run {bad_run}: ")
    last = len((bad_run / "samples.jsonl").read_text(encoding="utf-8").splitlines())
    assert f"samples.jsonl:{last}: bad sample" in out.stderr
    assert _links_resolve(tmp_path / "site" / "index.html") == []
