"""User errors give one line on stderr and exit 2, whatever the text of the paths in them;
nothing is lost to a traceback (run in-process: `main()` as the console script calls it)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.results.store import atomic_write
from harness.runs.options import RunOptions
from harness.runs.preflight import preflight
from tests.conftest import SEED_SUITE


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *args: str) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["harness", *args])
    monkeypatch.setenv("HARNESS_DEBUG", "")  # off, and whatever main() sets is undone after
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    return int(exited.value.code or 0), err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_brackets_in_a_path_are_printed_as_written(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    """Rich would read `[/]` or `[bold]` in a message as markup: crash, or lose the text."""
    for name in ("x[/]y", "[bold]x"):
        code, err = _main(monkeypatch, capsys, "run", "--model", str(tmp_path / name),
                          "--results", str(tmp_path / "results"))
        assert code == 2 and name in _one_line(err)


def test_an_output_path_that_is_a_file_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, err = _main(monkeypatch, capsys, "export", "lm-eval", str(SEED_SUITE), "--out",
                      str(a_file))
    assert code == 2 and str(a_file) in _one_line(err)
    code, err = _main(monkeypatch, capsys, "run", "--model", "no-such-model", "--results",
                      str(a_file))
    assert code == 2 and "--results" in _one_line(err) and "not a folder" in err


def test_a_missing_results_folder_is_an_error_for_the_leaderboard(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    code, err = _main(monkeypatch, capsys, "leaderboard", "--results", str(tmp_path / "nope"))
    assert code == 2 and "no such results folder" in _one_line(err)


def test_export_of_an_unknown_task_is_refused(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _main(monkeypatch, capsys, "tasks", "export", str(SEED_SUITE), "--task",
                      "nosuch")
    assert code == 2 and "nosuch: no such task" in _one_line(err)


def test_debug_may_follow_the_command(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    monkeypatch.setattr("sys.argv", ["harness", "leaderboard", "--results",
                                     str(tmp_path / "nope"), "--debug"])
    monkeypatch.setenv("HARNESS_DEBUG", "")  # off; what main() sets is undone after the test
    with pytest.raises(SystemExit):  # the error line still, but no "No such option"
        main()
    assert "No such option" not in capsys.readouterr().err
    assert os.environ.get("HARNESS_DEBUG") == "1"


def test_results_files_follow_the_umask(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a shared results folder or a served report stays readable."""
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "run.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == 0o644


def test_a_broken_suite_does_not_hide_the_others_in_the_list(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    import shutil
    shutil.copytree(SEED_SUITE, tmp_path / "good")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "suite.yaml").write_text("name: [unclosed\n")
    monkeypatch.setattr("sys.argv", ["harness", "tasks", "list", str(tmp_path)])
    monkeypatch.setenv("HARNESS_DEBUG", "")
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and "1.0.0" in out and "144" in out  # the good one
    assert "suite.yaml" in _one_line(err)


@pytest.mark.parametrize(("args", "expected"), [
    (("--num-fewshot", "1000"), "--num-fewshot 1000: task closed_qa can show at most 95"),
    (("--max-thinking-tokens", "10"), "--max-thinking-tokens 10: only with --thinking"),
    (("--max-answer-tokens", "10"), "--max-answer-tokens 10: only with --thinking"),
    (("--task", "mc", "--thinking"), "--thinking: no task of this run generates text (mc: "
                                     "choices scored by log-likelihood); drop it or add a qa task"),
    (("--task", "mc", "--task", "tf", "--temperature", "0.7", "--max-new-tokens", "8"),
     "--temperature, --max-new-tokens: no task of this run generates text (mc, tf: choices"),
    (("--task", "mc_open", "--preset", "exaone-chat"), "--preset exaone-chat: no task of this"),
    (("--engine", "lm-eval", "--task", "tf", "--top-k", "5"), "--top-k: no task of this run"),
    (("--engine", "lm-eval", "--num-fewshot", "1000"), "--num-fewshot 1000: task closed_qa"),
])
def test_run_options_that_cannot_be_honoured_are_refused_before_loading(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        args: tuple[str, ...], expected: str) -> None:
    """Not recorded and silently ignored (or given fewer examples): one line, exit 2, before
    the model (here one that does not exist) is loaded."""
    code, err = _main(monkeypatch, capsys, "run", "--model", str(tmp_path / "no-model"),
                      "--suite", str(SEED_SUITE), "--results", str(tmp_path / "r"), *args)
    assert code == 2 and expected in _one_line(err)


def test_generation_options_are_kept_when_a_task_generates() -> None:
    plan = preflight(RunOptions(model="x", suite=SEED_SUITE, tasks=("mc", "closed_qa"),
                                preset="exaone-reasoning", max_new_tokens=8))
    assert plan.options.thinking and plan.options.temperature == 0.6
    assert [t.name for t in plan.tasks] == ["mc", "closed_qa"]
