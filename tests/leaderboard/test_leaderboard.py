"""The leaderboard computed on real runs of the two reference models."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.board.formats import to_csv, to_json, to_markdown
from harness.board.table import load_leaderboard
from harness.errors import HarnessError
from harness.results.records import RunRecord
from harness.results.store import find_runs, read_run, read_samples, write_run
from harness.scoring.metrics import bootstrap_ci

MEMO, RAND = "tiny-exaone4-memorizer", "tiny-exaone4-random"


def clone_run(src: Path, results: Path, name: str,
              edit: Callable[[RunRecord], RunRecord]) -> Path:
    """Copy run folder `src` to `results/name`, its run record passed through `edit`."""
    dest = results / name
    shutil.copytree(src, dest)
    write_run(dest, edit(read_run(dest)).model_copy(update={"run_id": name}))
    return dest


def later(record: RunRecord) -> dt.datetime:
    return record.started + dt.timedelta(minutes=10)


def _dirs(results: Path) -> dict[str, Path]:
    return {Path(run.model.model_id).name: path for path, run in find_runs(results)}


def test_one_row_per_model_with_stored_values(demo_results: Path) -> None:
    board = load_leaderboard(demo_results)
    assert len(board.boards) == 1 and not board.incomplete
    suite = board.boards[0]
    assert suite.tasks == ["closed_qa", "mc", "tf", "open_qa", "closed_qa_ko"]
    names = [Path(r.row.run.model.model_id).name for r in suite.rows]
    assert names == [MEMO, RAND]  # ranked: the memorizer wins most tasks
    for row in suite.rows:
        run = read_run(row.row.run_dir)
        for task, cell in row.cells.items():
            primary = run.tasks[task].primary
            assert (cell.metric, cell.value, cell.low, cell.high) == (
                primary.name, primary.value, primary.ci_low, primary.ci_high)
        gap = row.gaps["open_qa − closed_qa"]
        assert gap == pytest.approx(run.tasks["open_qa"].primary.value
                                    - run.tasks["closed_qa"].primary.value)
        seconds = sum(t.seconds for t in run.tasks.values())
        assert row.efficiency.items_per_s == pytest.approx(
            sum(t.n for t in run.tasks.values()) / seconds)
        assert row.efficiency.generated_tokens_per_s == pytest.approx(
            sum(t.generated_tokens for t in run.tasks.values()) / seconds)
    assert suite.rows[0].mean_rank is not None and suite.rows[1].mean_rank is not None
    assert suite.rows[0].mean_rank < suite.rows[1].mean_rank


def test_metric_without_stored_ci_is_bootstrapped_from_samples(demo_results: Path) -> None:
    board = load_leaderboard(demo_results, metric="strict_em")
    row = board.boards[0].rows[0]
    cell = row.cells["closed_qa"]
    run = read_run(row.row.run_dir)
    assert "strict_em_ci_low" not in run.tasks["closed_qa"].metrics
    assert cell.metric == "strict_em" and cell.value == run.tasks["closed_qa"].metrics["strict_em"]
    samples = [s for s in read_samples(row.row.run_dir) if s.task == "closed_qa"]
    expected = bootstrap_ci([float(bool(s.strict_em)) for s in samples],
                            [s.fact_id for s in samples])
    assert (cell.low, cell.high) == expected
    assert row.cells["mc"].metric == "acc"  # tasks without the metric keep their primary
    assert "closed_qa strict_em" in to_markdown(board)


def test_unknown_metric_and_sort_column_are_errors(demo_results: Path) -> None:
    with pytest.raises(HarnessError, match="--metric accurcy"):
        load_leaderboard(demo_results, metric="accurcy")
    with pytest.raises(HarnessError, match="--sort nope: no such column"):
        load_leaderboard(demo_results, sort="nope")


def test_sort_by_a_column(demo_results: Path) -> None:
    by_model = load_leaderboard(demo_results, sort="model").boards[0].rows
    ids = [r.row.run.model.model_id for r in by_model]
    assert ids == sorted(ids, key=str.lower)
    for name in ("gap:open_qa-closed_qa", "GAP:open_qa − closed_qa",
                 "knowledge gap (open_qa - closed_qa)"):
        gaps = [r.gaps["open_qa − closed_qa"]
                for r in load_leaderboard(demo_results, sort=name).boards[0].rows]
        assert gaps == sorted(gaps), name  # smallest gap first
    by_tf = load_leaderboard(demo_results, sort="tf").boards[0].rows
    values = [r.cells["tf"].value for r in by_tf]
    assert values == sorted(values, reverse=True)


def _bump_version(record: RunRecord) -> RunRecord:
    suite = record.suite.model_copy(update={"version": "9.9.9", "content_hash": "0" * 16})
    return record.model_copy(update={"suite": suite, "started": later(record)})


def test_other_suite_version_is_a_separate_table(results_copy: Path) -> None:
    clone_run(_dirs(results_copy)[MEMO], results_copy, "zz-memo-v9", _bump_version)
    board = load_leaderboard(results_copy)
    assert [len(b.rows) for b in board.boards] == [1, 2]
    assert board.boards[0].version == "9.9.9"
    text = to_markdown(board)
    assert text.count("### kr-news-2025-07") == 2 and "separate tables" in text
    assert "v9.9.9 (content 0000000000000000)" in text


def test_newest_run_wins_unless_all(results_copy: Path) -> None:
    clone_run(_dirs(results_copy)[RAND], results_copy, "zz-rand-rerun",
              lambda r: r.model_copy(update={"started": later(r)}))
    rows = load_leaderboard(results_copy).boards[0].rows
    assert [r.row.run.run_id for r in rows][1] == "zz-rand-rerun"
    assert len(load_leaderboard(results_copy, include_all=True).boards[0].rows) == 3


def _limited(limit: int) -> Callable[[RunRecord], RunRecord]:
    def edit(record: RunRecord) -> RunRecord:
        settings = record.settings.model_copy(update={"limit": limit})
        tasks = {name: task.model_copy(update={"n": limit}) for name, task in record.tasks.items()}
        return record.model_copy(update={"settings": settings, "tasks": tasks,
                                         "started": later(record)})
    return edit


def test_a_limited_run_is_a_table_of_its_own_and_hides_no_full_run(results_copy: Path) -> None:
    full = read_run(_dirs(results_copy)[MEMO])
    clone_run(_dirs(results_copy)[MEMO], results_copy, "zz-memo-limit4", _limited(4))
    board = load_leaderboard(results_copy)
    assert [(b.limit, len(b.rows)) for b in board.boards] == [(4, 1), (None, 2)]
    assert board.boards[0].rows[0].row.run.run_id == "zz-memo-limit4"
    assert full.run_id in [r.row.run.run_id for r in board.boards[1].rows]
    text = to_markdown(board)
    assert "(content " + full.suite.content_hash + "), first 4 facts of each task" in text
    assert "of a different --limit, are in separate tables" in text
    lines = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert {line["limit"] for line in lines} == {"4", ""}
    assert [s["limit"] for s in json.loads(to_json(board))["suites"]] == [4, None]


def test_a_run_of_fewer_tasks_is_a_row_of_its_own(results_copy: Path) -> None:
    def mc_only(record: RunRecord) -> RunRecord:
        return record.model_copy(update={"tasks": {"mc": record.tasks["mc"]},
                                         "started": later(record)})
    full = read_run(_dirs(results_copy)[RAND])
    clone_run(_dirs(results_copy)[RAND], results_copy, "zz-rand-mc", mc_only)
    rows = {r.row.run.run_id: r for r in load_leaderboard(results_copy).boards[0].rows}
    assert len(rows) == 3 and full.run_id in rows
    assert set(rows["zz-rand-mc"].cells) == {"mc"}
    assert set(rows[full.run_id].cells) == set(full.tasks)


def test_a_suite_no_run_has_is_an_error_naming_the_suites_there(demo_results: Path) -> None:
    with pytest.raises(HarnessError, match=r"--suite nosuch: no run of that suite in .*"
                                           r"\(its runs' suites: kr-news-2025-07\)"):
        load_leaderboard(demo_results, suite="nosuch")
    assert len(load_leaderboard(demo_results, suite="kr-news-2025-07").boards) == 1


def test_incomplete_run_is_listed_apart_never_as_complete(results_copy: Path) -> None:
    clone_run(_dirs(results_copy)[MEMO], results_copy, "zz-memo-failed",
              lambda r: r.model_copy(update={"started": later(r), "status": "failed"}))
    board = load_leaderboard(results_copy)
    assert "zz-memo-failed" not in [r.row.run.run_id for r in board.boards[0].rows]
    assert [r.run.run_id for r in board.incomplete] == ["zz-memo-failed"]
    text = to_markdown(board)
    table, incomplete = text.split("### Incomplete runs (not ranked)")
    assert "zz-memo-failed" not in table and "| failed |" in incomplete
    assert json.loads(to_json(board))["incomplete"][0]["status"] == "failed"


def test_csv_and_json_carry_every_cell(demo_results: Path) -> None:
    board = load_leaderboard(demo_results)
    lines = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert len(lines) == 2 * 5
    memo_closed = next(line for line in lines
                       if line["task"] == "closed_qa" and line["model"].endswith(MEMO))
    run = read_run(Path(next(p for p, r in find_runs(demo_results)
                             if r.run_id == memo_closed["run_id"])))
    assert float(memo_closed["value"]) == run.tasks["closed_qa"].primary.value
    assert memo_closed["content_hash"] == run.suite.content_hash
    assert (memo_closed["thinking"], memo_closed["limit"]) == ("false", "")
    assert memo_closed["prompt_config"] == run.settings.prompt_config
    data = json.loads(to_json(board))
    assert len(data["suites"]) == 1 and len(data["suites"][0]["rows"]) == 2
    assert set(data["suites"][0]["rows"][0]["tasks"]) == set(board.boards[0].tasks)


def test_a_run_served_from_the_request_cache_shows_no_throughput(results_copy: Path) -> None:
    """A rerun whose requests came from the cache took milliseconds: its items/s would be the
    cache's speed, so the newest run's row shows none (memory still shown)."""
    memo = _dirs(results_copy)[MEMO]
    clone_run(memo, results_copy, "cached-rerun", lambda r: r.model_copy(update={
        "started": later(r), "cache": r.cache.model_copy(update={"hits": 38, "computed": 0})}))
    rows = {Path(r.row.run.model.model_id).name: r
            for r in load_leaderboard(results_copy).boards[0].rows}
    assert rows[MEMO].row.run.run_id == "cached-rerun"
    efficiency = rows[MEMO].efficiency
    assert (efficiency.items_per_s, efficiency.prompt_tokens_per_s,
            efficiency.generated_tokens_per_s) == (None, None, None)
    assert efficiency.peak_rss_mb == read_run(memo).peak_rss_mb
    assert rows[RAND].efficiency.items_per_s is not None
