"""Model output and task text are untrusted: they must render as text."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.report.builder import build_report
from harness.results.store import find_runs, read_run, read_samples, write_run, write_samples

PAYLOAD = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'


def _poisoned(demo_results: Path, dest: Path) -> Path:
    """A copy of the demo results with a script in a raw output and markup in a question and
    a model id."""
    shutil.copytree(demo_results, dest)
    for path, _ in find_runs(dest):
        samples = read_samples(path)
        first = next(i for i, s in enumerate(samples) if s.raw_output is not None)
        samples[first] = samples[first].model_copy(update={"raw_output": PAYLOAD})
        samples[1] = samples[1].model_copy(update={"question": IMG})
        write_samples(path, samples)
    path, record = find_runs(dest)[0]
    model = record.model.model_copy(update={"model_id": "evil" + IMG})
    write_run(path, read_run(path).model_copy(update={"model": model}))
    return dest


def test_injected_markup_is_escaped_everywhere(demo_results: Path, tmp_path: Path) -> None:
    index = build_report(_poisoned(demo_results, tmp_path / "results"), tmp_path / "site")
    pages = [index, *index.parent.glob("runs/*.html"), *index.parent.glob("pairs/*.html")]
    text = {page: page.read_text(encoding="utf-8") for page in pages}
    joined = "\n".join(text.values())
    assert "<script>alert" not in joined and "<img src=x" not in joined
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert "&lt;img src=x onerror=alert(2)&gt;" in joined
    assert "evil&#34;&gt;&lt;img" in text[index] or "evil&quot;&gt;&lt;img" in text[index]
    for html in text.values():  # the only script is our own sorting script
        assert html.count("<script") == 1
