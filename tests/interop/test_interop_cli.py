"""`harness export lm-eval SUITE --out DIR` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from harness.cli.interop import register
from harness.errors import HarnessError
from tests.conftest import SEED_SUITE, cli_app


def _app() -> typer.Typer:
    return cli_app(register)


def test_export_lm_eval_command(tmp_path: Path) -> None:
    out = tmp_path / "lm"
    result = CliRunner().invoke(_app(), ["export", "lm-eval", str(SEED_SUITE), "--out", str(out),
                                         "--task", "mc", "--task", "closed_qa", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "kr_news_2025_07" in result.output and "--include_path" in result.output
    group = yaml.safe_load((out / "_kr_news_2025_07.yaml").read_text(encoding="utf-8"))
    assert group["task"] == ["kr_news_2025_07_mc", "kr_news_2025_07_closed_qa"]
    data = (out / "kr_news_2025_07_mc.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(data) == 2


def test_export_help_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert "lm-eval" in runner.invoke(_app(), ["export", "--help"]).output
    missing = runner.invoke(_app(), ["export", "lm-eval", str(tmp_path), "--out", str(tmp_path)])
    assert missing.exit_code != 0 and isinstance(missing.exception, HarnessError)
    unknown = runner.invoke(_app(), ["export", "lm-eval", str(SEED_SUITE), "--out",
                                     str(tmp_path), "--task", "nope"])
    assert isinstance(unknown.exception, HarnessError) and "no task" in str(unknown.exception)
    no_out = runner.invoke(_app(), ["export", "lm-eval", str(SEED_SUITE)])
    assert no_out.exit_code == 2
