"""The command line as a user meets it: help, errors, validation, export, runs, leaderboard."""

from __future__ import annotations

import json
from pathlib import Path

from harness.results.store import read_run, read_samples
from tests.conftest import SEED_SUITE, harness_cli


def test_help_on_every_command() -> None:
    for args in (["--help"], ["run", "--help"], ["leaderboard", "--help"], ["tasks", "--help"],
                 ["tasks", "validate", "--help"], ["tasks", "export", "--help"],
                 ["score", "--help"], ["compare", "--help"], ["report", "--help"],
                 ["bench", "--help"], ["export", "lm-eval", "--help"], ["tasks", "show", "--help"]):
        result = harness_cli(*args)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout


def test_unknown_model_offline_is_one_line(tmp_path: Path) -> None:
    result = harness_cli("run", "--model", "LGAI-EXAONE/EXAONE-4.0-1.2B-not-cached",
                         "--results", str(tmp_path), env={"HF_HUB_OFFLINE": "1",
                                                          "HF_HOME": str(tmp_path / "hf")})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not available locally" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_model_folder_without_tokenizer(tmp_path: Path, random_model: Path) -> None:
    folder = tmp_path / "no-tokenizer"
    folder.mkdir()
    for name in ("config.json", "model.safetensors", "generation_config.json"):
        (folder / name).write_bytes((random_model / name).read_bytes())
    result = harness_cli("run", "--model", str(folder), "--results", str(tmp_path / "r"))
    assert result.returncode == 2 and "tokenizer" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_seed_suite() -> None:
    result = harness_cli("tasks", "validate", str(SEED_SUITE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: kr-news-2025-07")


def test_export_has_every_item(suite) -> None:  # type: ignore[no-untyped-def]
    result = harness_cli("tasks", "export", str(SEED_SUITE), "--format", "jsonl", check=True)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(suite.facts) * len(suite.tasks)
    tf = [r for r in rows if r["task"] == "tf"]
    assert {r["label"] for r in tf} == {True, False}
    mc = next(r for r in rows if r["task"] == "mc")
    assert mc["choices"][mc["label"]] == mc["answer"]
    assert set(rows[0]) >= {"suite", "task", "item_id", "fact_id", "document", "question",
                            "answer", "aliases", "answer_type", "choices", "label", "as_of",
                            "evidence", "prompt"}


def test_end_to_end_results_and_leaderboard(demo_results: Path, suite) -> None:  # type: ignore[no-untyped-def]
    runs = sorted(p.parent for p in demo_results.glob("*/run.json"))
    assert len(runs) == 2
    by_kind = {}
    for run_dir in runs:
        record = read_run(run_dir)
        assert record.status == "complete"
        assert record.model.architecture == "Exaone4ForCausalLM"
        assert record.suite.content_hash == suite.content_hash
        assert record.harness_git_sha and record.model.revision
        # the backend that ran it says what decides its numbers
        assert record.settings.engine == "hf" and record.backend["prefix_reuse"] is True
        assert record.model.context_length and record.settings.truncate is None
        samples = read_samples(run_dir)
        assert len(samples) == 5 * len(suite.facts)
        qa = [s for s in samples if s.task == "closed_qa"]
        assert all(s.raw_output is not None and s.extracted is not None for s in qa)
        assert all(s.prompt.startswith("[|user|]") for s in samples)  # chat template used
        accuracy = sum(s.verdict == "correct" for s in qa) / len(qa)
        assert abs(accuracy - record.tasks["closed_qa"].primary.value) < 1e-9
        by_kind[Path(record.model.model_id).name] = record
    memo, rand = by_kind["tiny-exaone4-memorizer"], by_kind["tiny-exaone4-random"]
    assert memo.tasks["closed_qa"].primary.value > rand.tasks["closed_qa"].primary.value + 0.5
    assert memo.tasks["mc"].primary.value > rand.tasks["mc"].primary.value
    assert memo.tasks["open_qa"].tokens_saved > 0

    table = harness_cli("leaderboard", "--results", str(demo_results), check=True).stdout
    assert "tiny-exaone4-memorizer" in table and "tiny-exaone4-random" in table
    header = next(line for line in table.splitlines() if line.startswith("| model"))
    assert "closed_qa" in header and "open_qa" in header
    assert table.index("tiny-exaone4-memorizer") < table.index("tiny-exaone4-random")


def test_bench_prints_side_by_side_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    result = harness_cli("bench", "--shape", "tiny", "--limit", "2", "--regime", "mc",
                         "--regime", "closed_qa", "--max-new-tokens", "4", "--reference",
                         "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").strip() == result.stdout.strip()
    row = next(line for line in result.stdout.splitlines() if line.startswith("| mc |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    ours, theirs, ratio = float(cells[2]), float(cells[3]), float(cells[4].split("x")[0])
    assert ours > 0 and theirs > 0 and abs(ratio - ours / theirs) <= 0.01 * ratio + 0.01
    assert float(cells[6]) <= 1e-4  # same log-likelihoods as lm-eval's HFLM
    ours_tps, ceiling = float(cells[8]), float(cells[9])
    fraction, last_fraction = float(cells[10].split("%")[0]), float(cells[11].rstrip("%"))
    assert ceiling > 0 and abs(fraction - 100 * ours_tps / ceiling) <= 1
    assert cells[10].endswith(("✓", "✗")) and last_fraction > 0
    assert float(cells[14].rstrip("x")) > 1  # lm-eval runs each question once per choice
    assert cells[15:] == ["–", "–", "–"]  # no decode steps
    row = next(line for line in result.stdout.splitlines() if line.startswith("| closed_qa |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    ours_share, theirs_share = float(cells[15].rstrip("%")), float(cells[16].rstrip("%"))
    assert 0 < ours_share < 100 and 0 < theirs_share < 100
    assert float(cells[17].rstrip("x")) > 1  # lm-eval's time includes its prompt passes
    # --reference: each engine against every request run alone; in float32 both match it
    alone = result.stdout[result.stdout.index("run alone"):].splitlines()
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
            for line in alone if line.startswith(("| mc |", "| closed_qa |"))}
    assert float(rows["mc"][1]) <= 1e-4 and float(rows["mc"][2]) <= 1e-4
    assert rows["mc"][3:] == ["–", "–"] and rows["closed_qa"][1:3] == ["–", "–"]
    assert rows["closed_qa"][3:] == ["100%", "100%"]


def test_bench_times_a_trained_model(memorizer_model: Path) -> None:
    """--model: a trained model with its own tokenizer and chat template, whose rows stop."""
    result = harness_cli("bench", "--model", str(memorizer_model), "--limit", "4", "--regime",
                         "closed_qa", "--regime", "mc", "--max-new-tokens", "24")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header.startswith(f"model {memorizer_model} at revision content-"), header
    assert "chat template" in header
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
            for line in result.stdout.splitlines() if line.startswith(("| mc |", "| closed_qa |"))}
    assert float(rows["mc"][6]) <= 1e-4 and rows["closed_qa"][7] == "100%"
    assert "rows stop at different steps" in result.stdout


def test_bench_rejects_bad_model_choices(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text("{}", encoding="utf-8")
    for args, message in ((["--shape", "tiny", "--model", str(tmp_path)], "give one"),
                          (["--model", str(tmp_path / "empty")], "no usable tokenizer"),
                          (["--shape", "huge"], "--shape huge: expected one of tiny, thin, small"),
                          (["--model", str(tmp_path / "nope")], "no such folder")):
        result = harness_cli("bench", *args)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and message in lines[0], result.stderr
