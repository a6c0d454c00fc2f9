"""What a user sees of the command line: piped output is never wrapped or cut, every error is
one `error: ...` line on stderr (click's usage errors too, not a box), a mistyped model path or
output folder is named as such, and `tasks show` takes the seed suite by default."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.engine.loading import resolve_model
from harness.errors import HarnessError
from harness.suite.loader import SuiteLoadError
from tests.conftest import ROOT, SEED_SUITE, harness_cli

BOX = set("╭╮╰╯│─━┃")


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *args: str) -> tuple[int, str, str]:
    """`harness ARGS` in-process, as the console script runs it: (exit code, stdout, stderr)."""
    monkeypatch.setattr("sys.argv", ["harness", *args])
    monkeypatch.setenv("HARNESS_DEBUG", "")
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def _suite_with_bad_distractors(root: Path, facts: int) -> Path:
    """A copy of the seed suite whose first `facts` facts each have one validation problem."""
    shutil.copytree(SEED_SUITE, root)
    path = root / "facts" / "kh-exaone-4.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    for k in range(facts):
        fact = json.loads(lines[k])
        fact["distractors"] = [*fact["distractors"][:2], fact["distractors"][1].lower()]
        lines[k] = json.dumps(fact, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# 1. Piped output: no line wrapped at 80 columns, no cell cut with "…"

def test_piped_tasks_list_keeps_every_cell_whole() -> None:
    result = harness_cli("tasks", "list", check=True)
    assert "…" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "kr-news-2025-07" in line)
    assert "closed_qa, open_qa, mc, mc_open, tf, closed_qa_ko, mc_ko, tf_ko" in row
    assert "tasks/kr-news-2025-07" in row.split("kr-news-2025-07", 1)[1]


def test_tasks_list_prints_paths_as_written(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    """A folder named `[red]x` is not rich markup: not coloured, not lost."""
    shutil.copytree(SEED_SUITE, tmp_path / "[red]x")
    code, out, _ = _main(monkeypatch, capsys, "tasks", "list", str(tmp_path))
    assert code == 0 and f"{tmp_path}/[red]x" in out


def test_piped_validate_is_one_line() -> None:
    result = harness_cli("tasks", "validate", str(SEED_SUITE), check=True)
    assert re.fullmatch(r"ok: kr-news-2025-07 v\S+: .*, content [0-9a-f]{16}\n", result.stdout)


def test_piped_run_ends_with_one_results_line(tmp_path: Path, random_model: Path) -> None:
    results = tmp_path / "a-results-folder-deep-enough-to-pass-eighty-columns"
    result = harness_cli("run", "--model", str(random_model), "--suite", str(SEED_SUITE),
                         "--task", "mc", "--limit", "1", "--results", str(results),
                         "--no-cache", check=True)
    last = result.stdout.splitlines()[-1]
    assert re.fullmatch(rf"results: {re.escape(str(results))}/\S+ \(requests computed \d+, "
                        r"from cache 0\)", last), result.stdout


# 2. Errors: one `error:` line on stderr; exit 2 (130 for Ctrl-C)

def test_run_error_is_not_preceded_by_a_blank_line(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    code, _, err = _main(monkeypatch, capsys, "run", "--model", str(tmp_path / "nope"),
                         "--suite", str(SEED_SUITE), "--results", str(tmp_path / "r"))
    assert (code, err) == (2, f"error: --model {tmp_path / 'nope'}: no such folder\n")


def test_suite_loading_problems_are_error_lines(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(SEED_SUITE, suite)
    facts = suite / "facts" / "kh-exaone-4.jsonl"
    lines = facts.read_text(encoding="utf-8").splitlines()
    facts.write_text("\n".join(["{broken", *lines[1:3], "{broken too", *lines[4:]]) + "\n",
                     encoding="utf-8")
    code, _, err = _main(monkeypatch, capsys, "tasks", "validate", str(suite))
    assert code == 2
    assert [line.split(": ")[0] for line in err.splitlines()] == ["error", "error"], err
    assert ":1: malformed JSON" in err.splitlines()[0] and ":4: malformed JSON" in err


@pytest.mark.parametrize(("facts", "count"), [(1, "1 problem"), (2, "2 problems")])
def test_the_problem_count_is_grammatical(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          facts: int, count: str) -> None:
    suite = _suite_with_bad_distractors(tmp_path / "suite", facts)
    code, _, err = _main(monkeypatch, capsys, "tasks", "validate", str(suite))
    lines = err.splitlines()
    assert code == 2 and len(lines) == facts + 1, err
    assert all(line.startswith("error: ") and "repeats another distractor" in line
               for line in lines[:-1])
    assert lines[-1] == f"error: {count} in {suite}"


def test_the_more_problems_count_is_grammatical() -> None:
    assert str(SuiteLoadError(["a: x", "b: y"])) == "a: x (and 1 more problem)"
    assert str(SuiteLoadError(["a: x", "b: y", "c: z"])) == "a: x (and 2 more problems)"
    assert str(SuiteLoadError(["a: x"])) == "a: x"


def test_ctrl_c_during_a_run_exits_130(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr("harness.runs.runner.run", interrupted)  # imported when a run starts
    code, _, err = _main(monkeypatch, capsys, "run", "--model", "x", "--results",
                         str(tmp_path))
    assert code == 130
    assert err == ("error: interrupted: results computed so far are in the request cache; run "
                   "the same command again to resume\n")


@pytest.mark.parametrize(("args", "message"), [
    (("run", "--model", "x", "--max-new-tokens", "0"), "Invalid value for '--max-new-tokens'"),
    (("leaderboard", "--format", "xml"), "Invalid value for '--format'"),
    (("export", "lm-eval", "--out", "x"), "Missing argument"),
    (("run",), "Missing option '--model'"),
    (("run", "--model", "x", "--bogus"), "No such option: --bogus"),
    (("nosuchcommand",), "No such command 'nosuchcommand'"),
])
def test_usage_errors_are_one_plain_line(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str],
                                         args: tuple[str, ...], message: str) -> None:
    code, out, err = _main(monkeypatch, capsys, *args)
    lines = err.splitlines()
    assert code == 2 and out == "" and not BOX & set(err), err
    assert len(lines) == 2 and lines[0].startswith("Usage: harness"), err
    assert lines[1].startswith(f"error: {message}"), err


@pytest.mark.parametrize(("args", "code", "shown"), [
    (("--help",), 0, "Usage: harness [OPTIONS] COMMAND"),
    (("run", "--help"), 0, "Usage: harness run [OPTIONS]"),
    (("--version",), 0, "fact-harness "),
    ((), 2, "Usage: harness [OPTIONS] COMMAND"),  # no arguments: the help
    (("tasks",), 2, "Usage: harness tasks [OPTIONS] COMMAND"),
])
def test_help_version_and_bare_groups_still_work(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str],
                                                 args: tuple[str, ...], code: int,
                                                 shown: str) -> None:
    exit_code, out, err = _main(monkeypatch, capsys, *args)
    assert exit_code == code and shown in out and err == ""


def test_a_command_s_own_exit_code_is_kept(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """`typer.Exit(2)` (suite problems), and 0 when a command returns."""
    suite = _suite_with_bad_distractors(tmp_path / "suite", 1)
    assert _main(monkeypatch, capsys, "tasks", "validate", str(suite))[0] == 2
    assert _main(monkeypatch, capsys, "tasks", "validate", str(SEED_SUITE))[0] == 0


# 3. Misleading errors: a mistyped folder, an output folder that is a file

@pytest.mark.parametrize("model", ["models/tiny-exaone4-memorizr", "./nosuch", "../nosuch",
                                   "/nosuch/dir", "~/nosuch", "a/b/c"])
def test_a_mistyped_model_path_is_no_such_folder(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path, model: str) -> None:
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, _, err = _main(monkeypatch, capsys, "run", "--model", model, "--suite",
                         str(SEED_SUITE), "--results", str(tmp_path / "r"))
    assert (code, err) == (2, f"error: --model {model}: no such folder\n")


def test_a_hub_id_not_cached_says_there_is_no_such_local_folder(tmp_path: Path) -> None:
    result = harness_cli("run", "--model", "no-such-org/no-such-model", "--results",
                         str(tmp_path), env={"HF_HUB_OFFLINE": "1",
                                             "HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 2
    assert result.stderr.startswith("error: --model no-such-org/no-such-model: no local folder "
                                    "of that name, and the weights are not available locally")
    assert len(result.stderr.splitlines()) == 1


def test_a_local_folder_named_like_the_owner_does_not_hide_the_hub_cache(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    cached = tmp_path / "hub" / "snapshot"
    cached.mkdir(parents=True)

    def snapshot_download(repo_id: str, revision: str | None = None,
                          local_files_only: bool = False) -> str:
        if repo_id == "org/cached" and local_files_only:
            return str(cached)
        raise LocalEntryNotFoundError("not cached")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    (tmp_path / "org").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_model("org/cached", None) == (cached, "hub-cache", "snapshot")
    with pytest.raises(HarnessError) as err:  # org/ is a folder here: a typo of a path in it
        resolve_model("org/typo", None)
    assert str(err.value) == "--model org/typo: no such folder"


@pytest.mark.parametrize("command", [("report", "--results", "no-such-results"),
                                     ("export", "lm-eval", "no-such-suite")])
def test_an_out_folder_that_is_a_file_is_refused_first(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path,
                                                       command: tuple[str, ...]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    code, out, err = _main(monkeypatch, capsys, *command, "--out", str(a_file))
    assert (code, out, err) == (2, "", f"error: --out {a_file}: a file, not a folder\n")


def test_a_bench_out_file_that_is_a_folder_is_refused_first(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    code, _, err = _main(monkeypatch, capsys, "bench", "--out", str(tmp_path))
    assert (code, err) == (2, f"error: --out {tmp_path}: a folder, not a file\n")


# 4. `tasks show` and `tasks export` take the seed suite, as `tasks validate` does

def test_tasks_show_and_export_default_to_the_seed_suite(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = _main(monkeypatch, capsys, "tasks", "show")
    assert code == 0 and "kr-news-2025-07 documents" in out
    code, out, _ = _main(monkeypatch, capsys, "tasks", "export", "--task", "mc")
    assert code == 0 and len(out.splitlines()) == 144
    for command in ("show", "export", "validate"):
        code, out, _ = _main(monkeypatch, capsys, "tasks", command, "--help")
        assert code == 0 and "[default: kr-news-2025-07]" in out


# 5. `make demo` prints the report's path once: `harness report` prints it

def test_make_demo_prints_the_report_line_once() -> None:
    if shutil.which("make") is None:
        pytest.skip("no make")
    dry = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    commands = [line for line in dry.splitlines() if "report" in line]
    assert len(commands) == 1 and " report --results " in commands[0], dry
