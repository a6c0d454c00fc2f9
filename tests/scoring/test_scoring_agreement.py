"""scripts/scorer_agreement.py runs, computes both agreements and passes its threshold."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("lm_eval")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "scorer_agreement.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scorer_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agreement_script(capsys: pytest.CaptureFixture[str]) -> None:
    module = _load()
    assert module.main([]) == 0
    out = capsys.readouterr().out
    assert "lm-eval EM" in out and "overall" in out
    for kind in ("percent", "date", "person", "yes_no", "class romanization", "class list",
                 "class acronym", "class elaboration", "class date-year"):
        assert kind in out
    assert "agreement_set.jsonl" in out and "holdout_set.jsonl" in out
    assert "seed distractors judged correct: 0" in out


def test_agreement_set_is_large_and_graded_both_ways() -> None:
    """>= 60 answers over the five classes, correct and incorrect in each, with Korean ones."""
    import json
    path = SCRIPT.parents[1] / "tests" / "scoring" / "agreement_set.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 60
    for cls in ("romanization", "acronym", "list", "elaboration", "date-year"):
        verdicts = {r["expected"] for r in rows if r["class"] == cls}
        assert verdicts == {"correct", "incorrect"}, cls
    assert sum(r["lang"] == "ko" for r in rows) >= 10


def test_lm_eval_baseline_is_computed() -> None:
    module = _load()
    assert module.lm_eval_exact_match("Seoul.", ["seoul"])
    assert not module.lm_eval_exact_match("25 percent", ["25%"])
    assert module.lm_eval_exact_match("25%\nmore", ["25%"])


def test_threshold_failure_exits_non_zero(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"id": "x", "gold": "Seoul", "aliases": [], "answer_type": "place", '
        '"prediction": "Busan", "expected": "correct", "note": "deliberately mislabelled"}\n'
    )
    assert _load().main(["--cases", str(cases), "--report-only"]) == 1
