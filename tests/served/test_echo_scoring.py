"""The probe's passing side and the choice regimes' echo path, end to end, against a server
whose prompt log-probabilities are right (tests/served/reference_server.py, standing in for
vLLM and SGLang): choice tasks then run through `--engine openai --tokenizer` and give the
log-likelihoods, predictions and verdicts of `--engine hf`."""

from __future__ import annotations

import math
from pathlib import Path

from harness.results.store import read_run
from harness.runs.options import RunOptions
from tests.conftest import SEED_SUITE
from tests.served.conftest import needs, run_samples, served_options
from tests.served.reference_server import MODEL_NAME, reference_server

pytestmark = needs("openai")
CHOICE_TASKS = ("mc", "tf", "mc_ko")


def test_choices_through_echo_match_hf(memorizer_model: Path, tmp_path: Path) -> None:
    hf_options = RunOptions(model=str(memorizer_model), suite=SEED_SUITE, tasks=CHOICE_TASKS,
                            limit=3, results_dir=tmp_path / "hf", cache_dir=None)
    _, expected = run_samples(hf_options)
    notes: list[str] = []
    with reference_server(memorizer_model) as url:
        options = served_options(url, MODEL_NAME, tmp_path / "served", tasks=CHOICE_TASKS,
                                 limit=3, tokenizer=str(memorizer_model), max_concurrency=2)
        run_dir, samples = run_samples(options, notes)
    assert notes == []
    probe = read_run(run_dir).backend["probe"]
    assert probe["passed"] is True and probe["tokens"] > 0 and probe["max_difference"] < 1e-3
    assert [(s.item_id, s.pred, s.pred_norm, s.verdict) for s in samples] == \
        [(s.item_id, s.pred, s.pred_norm, s.verdict) for s in expected]
    for got, want in zip(samples, expected, strict=True):
        assert got.logliks is not None and want.logliks is not None
        assert all(math.isclose(a, b, abs_tol=1e-3) for a, b in zip(got.logliks, want.logliks,
                                                                      strict=True))
