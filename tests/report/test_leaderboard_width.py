"""The HTML leaderboard of a full suite (8 tasks, gaps, throughput) fits a 1400 px window
without horizontal scrolling, measured in headless chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.board.table import load_leaderboard
from harness.report.pages import leaderboard_page

CHROMIUM = Path("/usr/bin/chromium")
TASKS = ["mc_open", "mc_ko", "tf_ko"]  # added beside the demo's 5 tasks: 8 in all
MEASURE = ("<script>window.addEventListener('load', function () { var t = document."
           "querySelector('table.leaderboard'); document.body.setAttribute('data-measure', "
           "t.scrollWidth + ' ' + t.parentNode.clientWidth); });</script></body>")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="chromium is not installed at /usr/bin/chromium")


def _widened(demo_results: Path, dest: Path) -> Path:
    shutil.copytree(demo_results, dest)
    for path in dest.glob("*/run.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for name in TASKS:
            data["tasks"][name] = {**data["tasks"]["mc"], "task": name}
        data["suite"]["tasks"] = list(data["tasks"])
        path.write_text(json.dumps(data), encoding="utf-8")
    return dest


def test_leaderboard_fits_1400_px(demo_results: Path, tmp_path: Path) -> None:
    board = load_leaderboard(_widened(demo_results, tmp_path / "results"))
    assert len(board.boards[0].tasks) == 8  # every task of the seed suite
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                  leaderboard_page(board))  # the test's own script may run
    page = tmp_path / "board.html"
    page.write_text(html.replace("</body>", MEASURE), encoding="utf-8")
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'data-measure="(\d+) (\d+)"', result.stdout)
    assert found, result.stderr[-2000:]
    table, container = int(found.group(1)), int(found.group(2))
    assert table <= container, f"table {table} px in a {container} px container: scrolls"
