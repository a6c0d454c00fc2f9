"""`harness compare` on real runs of the two reference models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from harness.cli import compare
from harness.compare.comparison import compare_runs
from harness.compare.flips import answer_text
from harness.results.store import find_runs, read_run, read_samples, write_run
from harness.scoring.stats import mcnemar_exact
from tests.conftest import cli_app

MEMO, RAND = "tiny-exaone4-memorizer", "tiny-exaone4-random"


def _dirs(results: Path) -> dict[str, Path]:
    return {Path(run.model.model_id).name: path for path, run in find_runs(results)}


def _cli(*args: str) -> tuple[int, str, str]:
    app = cli_app(compare.register)
    result = CliRunner().invoke(app, ["compare", *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_shared_task_against_the_samples(demo_results: Path) -> None:
    dirs = _dirs(demo_results)
    comparison = compare_runs(dirs[MEMO], dirs[RAND])
    assert [t.task for t in comparison.tasks] == ["closed_qa", "mc", "tf", "open_qa",
                                                  "closed_qa_ko"]
    memo, rand = read_samples(dirs[MEMO]), read_samples(dirs[RAND])
    for task in comparison.tasks:
        a = {s.item_id: s.verdict == "correct" for s in memo if s.task == task.task}
        b = {s.item_id: s.verdict == "correct" for s in rand if s.task == task.task}
        only_a = sum(a[i] and not b[i] for i in a)
        only_b = sum(b[i] and not a[i] for i in a)
        assert (task.n, task.a_only, task.b_only) == (len(a), only_a, only_b)
        assert task.p_value == mcnemar_exact(only_a, only_b)
        assert task.a == read_run(dirs[MEMO]).tasks[task.task].primary.value
        assert task.ci_low <= task.diff <= task.ci_high
    closed = comparison.tasks[0]
    assert closed.verdict == "A better" and closed.p_value < 0.05
    assert len(comparison.flips) == sum(t.a_only + t.b_only for t in comparison.tasks)


def test_markdown_json_and_flips(demo_results: Path) -> None:
    dirs = _dirs(demo_results)
    code, out, _ = _cli(dirs[MEMO].name, dirs[RAND].name, "--results", str(demo_results),
                        "--flips")
    assert code == 0
    assert "| closed_qa |" in out and "A better" in out and "### Flips" in out
    flip = next(f for f in compare_runs(dirs[MEMO], dirs[RAND]).flips if f.task == "closed_qa")
    assert flip.gold in out and flip.question in out
    code, out, _ = _cli(str(dirs[MEMO]), str(dirs[RAND]), "--format", "json", "--flips")
    data = json.loads(out)
    assert code == 0 and data["tasks"][0]["verdict"] == "A better"
    mc_flip = next(f for f in data["flips"] if f["task"] == "mc")
    sample = next(s for s in read_samples(dirs[MEMO]) if s.item_id == mc_flip["item_id"])
    assert sample.choices is not None and mc_flip["a_answer"] in sample.choices
    assert mc_flip["a_answer"] == answer_text(sample)


def test_different_suite_content_is_refused(demo_results: Path, tmp_path: Path) -> None:
    dirs = _dirs(demo_results)
    other = tmp_path / "other"
    shutil.copytree(dirs[RAND], other)
    record = read_run(other)
    write_run(other, record.model_copy(update={
        "suite": record.suite.model_copy(update={"content_hash": "f" * 16})}))
    code, out, err = _cli(str(dirs[MEMO]), str(other))
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "different suite contents" in lines[0]


def test_unknown_run_is_one_line(tmp_path: Path) -> None:
    code, _, err = _cli("no-such-run", "nor-this", "--results", str(tmp_path))
    assert code == 2 and "no-such-run: not a run folder" in err
