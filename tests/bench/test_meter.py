"""The bench's forward meter and the decode columns of its printout."""

from __future__ import annotations

import multiprocessing

import pytest
import torch
from transformers import Exaone4ForCausalLM

from harness.bench.engines import ForwardMeter, Measurement
from harness.bench.load import busy_load
from harness.bench.printout import report
from harness.bench.run import Ceiling, RegimeResult, median_pair
from harness.engine.hf.kv import new_cache
from harness.refmodels.configs import exaone4_config


def test_meter_counts_positions_and_times_one_position_passes_only() -> None:
    torch.manual_seed(0)
    model = Exaone4ForCausalLM(exaone4_config("tiny", vocab_size=97, max_positions=64)).eval()
    meter = ForwardMeter(model, "cpu")
    with torch.inference_mode():
        out = model(input_ids=torch.randint(3, 97, (2, 5)), cache=new_cache(model.config, 2),
                    use_cache=True)
        assert meter.decode_calls == 0 and meter.decode_seconds == 0.0  # a prompt pass
        model(input_ids=torch.randint(3, 97, (2, 1)), cache=out.cache, use_cache=True)
        meter.close()
        model(input_ids=torch.randint(3, 97, (2, 1)))  # after close: not counted
    assert meter.positions == 2 * 5 + 2 * 1
    assert meter.decode_calls == 1 and meter.decode_seconds > 0


def _result(regime: str, seconds: tuple[float, float], decode: tuple[float, float]
            ) -> RegimeResult:
    ours, theirs = (Measurement(name, regime, 4, s, 100, positions=400, decode_seconds=d)
                    for name, s, d in zip(("ours", "lm-eval"), seconds, decode, strict=True))
    return RegimeResult(ours, theirs, Ceiling(0.0, 0.0, 0.0), None, 1.0)


def test_free_prompt_bound_is_lm_evals_time_over_its_decode_steps() -> None:
    result = _result("closed_qa", (5.0, 10.0), (4.0, 6.0))
    assert result.free_prompt_bound == pytest.approx(10.0 / 6.0)
    assert _result("mc", (1.0, 3.0), (0.0, 0.0)).free_prompt_bound is None
    meta = {"shape": "tiny", "parameters": 1e6, "dtype": "float32", "device": "cpu",
            "batch_size": 8, "torch": torch.__version__, "weights_bytes": 4e6}
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
            for line in report([result, _result("mc", (1.0, 3.0), (0.0, 0.0))],
                               meta).splitlines() if line.startswith("| ") and "---" not in line}
    assert rows["closed_qa"][15:] == ["80%", "60%", "1.67x"]
    assert rows["mc"][15:] == ["–", "–", "–"]
    assert len(rows["regime"]) == len(rows["mc"]) == 18


def test_printout_says_when_regimes_are_missing() -> None:
    meta = {"shape": "tiny", "parameters": 1e6, "dtype": "float32", "device": "cpu",
            "batch_size": 8, "torch": torch.__version__, "weights_bytes": 4e6, "regimes": 2}
    first = _result("mc", (1.0, 3.0), (0.0, 0.0))
    assert report([first], meta).endswith("Partial: 1 of 2 regimes measured so far.")
    both = report([first, _result("closed_qa", (5.0, 10.0), (4.0, 6.0))], meta)
    assert "Partial" not in both


def test_printout_says_when_cores_were_kept_busy() -> None:
    meta = {"shape": "tiny", "parameters": 1e6, "dtype": "float32", "device": "cpu",
            "batch_size": 8, "torch": torch.__version__, "weights_bytes": 4e6}
    result = _result("closed_qa", (5.0, 10.0), (4.0, 6.0))
    assert "kept busy" not in report([result], meta).splitlines()[0]
    assert "1 core(s) kept busy" in report([result], {**meta, "busy_cores": 1}).splitlines()[0]


def test_busy_load_runs_its_processes_and_stops_them() -> None:
    with busy_load(1, limit_s=30) as started:
        assert started == 1
        busy = [p for p in multiprocessing.active_children() if p.is_alive()]
        assert busy
    assert not [p for p in busy if p.is_alive()]
    with busy_load(0) as none:
        assert none == 0


def test_with_several_pairs_the_median_pair_is_kept_and_the_range_printed() -> None:
    """Alternating pairs on a machine that drifts: the row is the pair of the median ratio,
    its range beside it; one pair prints no range."""
    pairs = []
    for ours_s, theirs_s in ((4.0, 10.0), (5.0, 8.7), (5.0, 9.5)):  # 2.5x, 1.74x, 1.9x
        result = _result("closed_qa", (ours_s, theirs_s), (0.0, 0.0))
        pairs.append((result.ours, result.theirs, result.ceiling))
    (ours, theirs, _), ratios = median_pair(pairs)
    assert (ours.seconds, theirs.seconds) == (5.0, 9.5)
    assert ratios == pytest.approx((1.74, 1.9, 2.5))
    assert median_pair(pairs[:1])[1] == ()
    meta = {"shape": "tiny", "parameters": 1e6, "dtype": "float32", "device": "cpu",
            "batch_size": 8, "torch": torch.__version__, "weights_bytes": 4e6, "pairs": 3}
    row = RegimeResult(ours, theirs, Ceiling(0.0, 0.0, 0.0), None, 1.0, ratios=ratios)
    text = report([row], meta)
    assert "| 1.90x ✗ (1.74–2.50x, median of 3) |" in text
    assert "3 pairs per regime" in text
    assert "x, median of" not in report([_result("closed_qa", (5.0, 9.5), (0.0, 0.0))],
                                     {**meta, "pairs": 1})
