"""The report in a real headless browser: rendered DOM and a screenshot."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="chromium is not installed at /usr/bin/chromium")


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False)


def test_rendered_dom_has_table_chart_and_ran_the_script(report_index: Path,
                                                         tmp_path: Path) -> None:
    result = _chromium(tmp_path / "profile", "--dump-dom", report_index.as_uri())
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "sortable leaderboard" in dom and "tiny-exaone4-memorizer" in dom
    assert "<svg" in dom
    assert "js-sortable" in dom  # the inline script ran under the page's CSP


def test_screenshot_is_not_blank(report_index: Path, tmp_path: Path) -> None:
    png = tmp_path / "index.png"
    result = _chromium(tmp_path / "profile", f"--screenshot={png}", "--window-size=1280,900",
                       report_index.as_uri())
    assert result.returncode == 0 and png.is_file(), result.stderr[-2000:]
    pixels = np.asarray(image.imread(png))
    assert pixels.shape[:2] == (900, 1280)
    assert float(pixels[..., :3].std()) > 0.05
    assert float(pixels[..., :3].mean()) < 0.98  # not an empty white page


def _clicked(index: Path, dest: Path, header: str, clicks: int) -> Path:
    """A copy of the index that clicks `header` of the leaderboard `clicks` times on load (the
    copy drops the CSP so that the test's own script may run)."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                  index.read_text(encoding="utf-8"))
    script = ("<script>var th = Array.prototype.filter.call(document.querySelectorAll("
              "'table.leaderboard th'), function (t) { return t.textContent === "
              f"{header!r}; }})[0]; for (var i = 0; i < {clicks}; i++) {{ th.click(); }}"
              "</script></body>")
    page = dest / f"clicked-{clicks}.html"
    page.write_text(html.replace("</body>", script), encoding="utf-8")
    return page


@pytest.mark.parametrize(("clicks", "first"), [(1, "memorizer"), (2, "random")])
def test_clicking_a_header_sorts_the_table(report_index: Path, tmp_path: Path, clicks: int,
                                           first: str) -> None:
    page = _clicked(report_index, tmp_path, "mean rank", clicks)
    dom = _chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    table = dom[dom.index("sortable leaderboard"):]
    table = table[:table.index("</table>")]
    order = re.findall(r"tiny-exaone4-(memorizer|random)", table.split("<tbody>")[1])
    assert order[0] == first and order[-1] != first
