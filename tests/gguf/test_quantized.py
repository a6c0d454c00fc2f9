"""Quantized GGUF files run and are recorded: Q8_0 (the converter's) and Q4_K_M (llama.cpp's
quantizer through `llama_model_quantize`). Their differences from the f32 file on the seed
suite are printed (accuracy per task, log-likelihood differences per choice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results.store import read_run, read_samples
from tests.gguf.conftest import run_suite

Q8_LOGLIK_BOUND = 0.5  # nats per choice; measured: max 0.12, mean 0.047 (f32 file: f32 KV cache)


@pytest.fixture(scope="module")
def runs(f32_run: Path, gguf_q8: Path, gguf_q4km: Path,
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("quantized")
    return {"f32": f32_run, **{name: run_suite(path, out / name, "--engine", "llamacpp")
                               for name, path in (("q8_0", gguf_q8), ("q4_k_m", gguf_q4km))}}


def differences(base: Path, other: Path) -> tuple[dict[str, tuple[float, float]], float, float]:
    """(accuracy per task in base and other, max and mean |loglik difference| per choice)."""
    a, b = read_run(base), read_run(other)
    accuracy = {t: (a.tasks[t].primary.value, b.tasks[t].primary.value) for t in a.tasks}
    theirs = {(s.task, s.item_id): s for s in read_samples(other)}
    diffs = [abs(x - y) for s in read_samples(base) if s.logliks
             for x, y in zip(s.logliks, theirs[(s.task, s.item_id)].logliks or [], strict=True)]
    return accuracy, max(diffs), sum(diffs) / len(diffs)


@pytest.mark.parametrize("name", ["q8_0", "q4_k_m"])
def test_quantized_differences_from_f32(runs: dict[str, Path], name: str) -> None:
    accuracy, worst, mean = differences(runs["f32"], runs[name])
    print(f"\n{name} vs f32: |loglik diff| max {worst:.4f} mean {mean:.4f} nats; accuracy "
          + ", ".join(f"{t} {x:.2f}->{y:.2f}" for t, (x, y) in sorted(accuracy.items())))
    assert worst > 0  # quantized weights do change the numbers
    if name == "q8_0":
        assert worst <= Q8_LOGLIK_BOUND


@pytest.mark.parametrize(("name", "quantization"), [("f32", None), ("q8_0", "Q8_0"),
                                                      ("q4_k_m", "Q4_K_M")])
def test_the_file_type_is_recorded(runs: dict[str, Path], name: str,
                                   quantization: str | None) -> None:
    model = read_run(runs[name]).model
    assert model.quantization == quantization
    assert model.dtype == ("float32" if quantization is None else quantization.lower())
    revisions = {read_run(r).model.revision for r in runs.values()}
    assert len(revisions) == len(runs)  # each file's content its own revision
