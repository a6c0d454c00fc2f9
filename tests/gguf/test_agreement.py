"""`--engine llamacpp` on the f32 GGUF of the memorizer agrees with `--engine hf` on every
regime of the seed suite: the same prompts, predictions, texts and verdicts, and
log-likelihoods within `LOGLIK_TOL` (measured: at most 1.5e-5 nats per choice; llama.cpp
and torch sum in different orders. With llama.cpp's default f16 KV cache it was 4e-3,
hence the f32 cache for f32 files: `engine/llamacpp/model.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results.records import Sample
from harness.results.store import read_run, read_samples
from tests.gguf.conftest import run_suite

LOGLIK_TOL = 1e-4  # nats, per choice (measured: at most 1.5e-5 with an f32 KV cache)


@pytest.fixture(scope="module")
def both(f32_run: Path, memorizer_model: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("agreement")
    return run_suite(memorizer_model, out / "hf", "--device", "cpu"), f32_run


def keyed(run_dir: Path) -> dict[tuple[str, str, int | None], Sample]:
    return {(s.task, s.item_id, s.repeat): s for s in read_samples(run_dir)}


def test_every_regime_agrees_with_the_hf_engine(both: tuple[Path, Path], suite) -> None:  # type: ignore[no-untyped-def]
    hf, cpp = keyed(both[0]), keyed(both[1])
    assert hf.keys() == cpp.keys()
    assert {task for task, _, _ in cpp} == {t.name for t in suite.tasks}
    worst: dict[str, float] = {}
    for key, a in hf.items():
        b = cpp[key]
        assert (a.prompt, a.verdict) == (b.prompt, b.verdict), key
        if a.logliks is not None:
            assert b.logliks is not None
            assert (a.pred, a.pred_norm) == (b.pred, b.pred_norm), key
            diff = max(abs(x - y) for x, y in zip(a.logliks, b.logliks, strict=True))
            worst[key[0]] = max(worst.get(key[0], 0.0), diff)
        else:
            assert (a.raw_output, a.prompt_tokens, a.generated_tokens, a.finish) == (
                b.raw_output, b.prompt_tokens, b.generated_tokens, b.finish), key
    print("\nmax |loglik(llamacpp f32) - loglik(hf)| per task:",
          {task: f"{value:.2e}" for task, value in sorted(worst.items())})
    assert worst and max(worst.values()) <= LOGLIK_TOL


def test_the_run_records_the_gguf_file(both: tuple[Path, Path], gguf_f32: Path) -> None:
    record = read_run(both[1])
    assert record.settings.engine == "llamacpp"
    assert record.model.path == str(gguf_f32.resolve())
    assert record.model.revision.startswith("sha256-")
    assert (record.model.dtype, record.model.quantization) == ("float32", None)
    assert record.model.architecture == "exaone4"
    assert record.backend["tokenizer"] == "gguf"
    hf_record = read_run(both[0])
    assert {t: r.primary for t, r in record.tasks.items()} == {
        t: r.primary for t, r in hf_record.tasks.items()}
