"""`--engine openai` against llama-cpp-python's OpenAI server on the memorizer's f32 GGUF:
generation regimes give what `--engine hf` gives; the probe catches its prompt
log-probabilities shifted by one position (abetlen/llama-cpp-python#1983) and refuses the
choice tasks. The day upstream fixes the shift, `test_probe_catches_the_shift` fails: then
choice tasks can run against this server (and the test should say so instead)."""

from __future__ import annotations

from pathlib import Path

from harness.engine.openai.opener import open_openai
from harness.engine.openai.probe import TOLERANCE
from harness.results.store import read_run
from tests.served.conftest import needs, outputs, run_samples, served_options
from tests.served.servers import ServerProcess

pytestmark = needs("openai", "llama_cpp", "fastapi", "uvicorn", "sse_starlette")


def test_generation_regimes_match_hf(llama_server: ServerProcess, hf_samples: list,
                                     tmp_path: Path) -> None:
    run_dir, samples = run_samples(served_options(llama_server.url, "tiny-gguf", tmp_path))
    assert outputs(samples) == outputs(hf_samples)
    assert read_run(run_dir).backend["served_model"] == "tiny-gguf"


def test_probe_catches_the_shift(llama_server: ServerProcess, tmp_path: Path) -> None:
    engine = open_openai(served_options(llama_server.url, "tiny-gguf", tmp_path))
    try:
        probe = engine.probe
        assert not probe.passed
        assert probe.tokens > 0 and probe.max_difference is not None
        assert probe.max_difference > 10 * TOLERANCE  # far outside numeric noise
        assert "differ from those of the same tokens generated" in probe.reason
        assert engine.choice_refusal is not None and probe.reason in engine.choice_refusal
        assert engine.describe()["probe"]["passed"] is False
    finally:
        engine.close()


def test_choice_tasks_refused(llama_server: ServerProcess, tmp_path: Path) -> None:
    notes: list[str] = []
    options = served_options(llama_server.url, "tiny-gguf", tmp_path,
                             tasks=("closed_qa", "mc_ko"), limit=2)
    _, samples = run_samples(options, notes)
    assert len(notes) == 1 and notes[0].startswith("mc_ko refused (server failed the "
                                                   "log-probability probe: its echoed prompt")
    assert {s.task for s in samples} == {"closed_qa"}
