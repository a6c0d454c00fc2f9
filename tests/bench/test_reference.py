"""The bench's unbatched reference: each engine's distance from every request run alone."""

from __future__ import annotations

import pytest
import torch

from harness.bench.engines import Measurement
from harness.bench.printout import report
from harness.bench.reference import Reference, distance
from harness.bench.run import BenchConfig, Ceiling, RegimeResult, wants_reference


def _measured(engine: str, logliks: list[float], texts: list[str]) -> Measurement:
    return Measurement(engine, "mc", 2, 1.0, 10, logliks, texts)


def test_distance_is_each_engines_own() -> None:
    ours = _measured("ours", [-1.0, -2.5], ["a", "b"])
    theirs = _measured("lm-eval", [-1.25, -2.0], ["a", "c"])
    found = distance(ours, theirs, Reference([-1.001, -2.5], ["a", "b"]))
    assert found.max_delta == pytest.approx((0.001, 0.5))
    assert found.same_texts == (1.0, 0.5)
    alone = distance(_measured("ours", [-1.0], []), _measured("lm-eval", [-1.0], []),
                     Reference([-1.0], []))
    assert alone.same_texts is None and alone.max_delta == (0.0, 0.0)


def test_reference_by_default_in_half_precision_only() -> None:
    assert not wants_reference(BenchConfig(), "float32")
    assert wants_reference(BenchConfig(), "bfloat16") and wants_reference(BenchConfig(), "float16")
    assert wants_reference(BenchConfig(reference=True), "float32")
    assert not wants_reference(BenchConfig(reference=False), "bfloat16")


def test_printout_has_the_reference_table_only_when_measured() -> None:
    ours = _measured("ours", [-1.0, -2.5], [])
    theirs = _measured("lm-eval", [-1.25, -2.0], [])
    meta = {"shape": "tiny", "parameters": 1e6, "dtype": "bfloat16", "device": "cpu",
            "batch_size": 8, "torch": torch.__version__, "weights_bytes": 4e6}
    plain = RegimeResult(ours, theirs, Ceiling(0.0, 0.0, 0.0), 0.5, None)
    assert "run alone" not in report([plain], meta)
    alone = distance(ours, theirs, Reference([-1.0, -2.4], []))
    text = report([RegimeResult(ours, theirs, Ceiling(0.0, 0.0, 0.0), 0.5, None, alone)], meta)
    table = text[text.index("run alone"):].splitlines()
    row = next(line for line in table if line.startswith("| mc |"))
    assert [c.strip() for c in row.strip("|").split("|")] == [
        "mc", "1.00e-01", "4.00e-01", "–", "–"]
