"""`--batch-size auto`: rows per pass from a memory budget, attention scores counted for
plain (masked, prefix-free) rows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import harness.engine.hf.batching as batching
from harness.engine.hf.batching import bytes_per_token, rows_per_batch
from harness.engine.types import ModelInfo

CONFIG = SimpleNamespace(hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=32, intermediate_size=256)


@pytest.fixture()
def info() -> ModelInfo:
    return ModelInfo(model_id="m", source="local", revision="r", architecture="a",
                     parameters=1, dtype="float32", device="cpu", device_name="cpu",
                     trust_remote_code=False, chat_template_sha=None, path="m")


def test_plain_rows_count_their_attention_scores(monkeypatch: pytest.MonkeyPatch,
                                                  info: ModelInfo) -> None:
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 2_000_000_000)
    base = (2 * 2 * 2 * 32 + 6 * 128 + 3 * 256) * 4
    assert bytes_per_token(CONFIG, 4) == base
    assert bytes_per_token(CONFIG, 4, attended=1400) == base + 4 * 1400 * 4
    after_prefix = rows_per_batch(CONFIG, 1400, info, None)
    plain = rows_per_batch(CONFIG, 1400, info, None, plain=True)
    assert plain == 2_000_000_000 // (1400 * (base + 4 * 1400 * 4)) == 48
    assert after_prefix == batching.AUTO_MAX_ROWS > plain
    assert rows_per_batch(CONFIG, 1400, info, 3, plain=True) == 3  # a fixed size is kept


def test_kept_logits_count_per_row(monkeypatch: pytest.MonkeyPatch, info: ModelInfo) -> None:
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 1_000_000_000)
    config = SimpleNamespace(**vars(CONFIG), vocab_size=102400)
    base = (2 * 2 * 2 * 32 + 6 * 128 + 3 * 256) * 4
    with_logits = rows_per_batch(config, 100, info, None, logits=64)
    assert with_logits == 1_000_000_000 // (100 * base + 64 * 102400 * 4) == 37
    assert rows_per_batch(config, 100, info, None) == batching.AUTO_MAX_ROWS


def test_rows_get_their_share_of_the_budget_less_what_is_held(
        monkeypatch: pytest.MonkeyPatch, info: ModelInfo) -> None:
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 20_000_000)
    per_row = 100 * (2 * 2 * 2 * 32 + 6 * 128 + 3 * 256) * 4
    assert rows_per_batch(CONFIG, 100, info, None) == 20_000_000 // per_row == 27
    assert rows_per_batch(CONFIG, 100, info, None, share=0.5) == 10_000_000 // per_row == 13
    assert rows_per_batch(CONFIG, 100, info, None, held=8_000_000) == 12_000_000 // per_row
    assert rows_per_batch(CONFIG, 100, info, None, held=40_000_000) == 1  # always one row


def test_a_cpu_budget_is_a_share_of_the_weights_within_the_available_ram() -> None:
    available = batching.memory_budget("cpu")
    assert batching.memory_budget("cpu", 10 * 2**30) == min(
        available, int(10 * 2**30 * batching.CPU_WEIGHTS_SHARE[4]))
    assert batching.memory_budget("cpu", 2**20) == min(available, batching.CPU_MIN_BUDGET)
    # a half-precision model: the process's own memory is a larger share of its weights
    half = batching.memory_budget("cpu", 10 * 2**30, 2)
    assert half == min(available, int(10 * 2**30 * batching.CPU_WEIGHTS_SHARE[2]))
    assert batching.CPU_WEIGHTS_SHARE[2] < batching.CPU_WEIGHTS_SHARE[4]


def test_decoding_rows_are_admitted_by_their_cache_and_prefilled_a_share_at_a_time(
        monkeypatch: pytest.MonkeyPatch, info: ModelInfo) -> None:
    """A decode step computes one token a row: rows are counted by their cache (and one
    token's activations); a prefill pass's activations take `PREFILL_SHARE` of what the
    held prefix leaves."""
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 24_000_000)
    config = SimpleNamespace(**vars(CONFIG), vocab_size=1000)
    cache = 2 * 2 * 2 * 32 * 4
    assert batching.cache_per_token(config, 4) == cache
    act = (6 * 128 + 3 * 256) * 4
    per_row = 100 * cache + act + 4 * 100 * 4 + 1000 * 4
    per_prefill = 60 * (act + 4 * 60 * 4) + 1000 * 4
    rows, prefill = batching.decode_rows(config, info, None, cached=100, prompt=60, attended=60)
    assert 18_000_000 // per_row > rows == batching.AUTO_MAX_ROWS
    assert prefill == 6_000_000 // per_prefill == 13
    held = 16_000_000
    rows, prefill = batching.decode_rows(config, info, None, cached=100, prompt=60, attended=60,
                                         held=held)
    assert (rows, prefill) == (6_000_000 // per_row, 2_000_000 // per_prefill) == (52, 4)
    # charged its prefill activations for the whole decode, a row would take twice the room
    assert rows_per_batch(config, 100, info, None, held=held, plain=True) < rows / 2
    assert batching.decode_rows(config, info, 3, cached=100, prompt=60, attended=60) == (3, 3)


def test_half_precision_halves_the_cache_but_not_the_activations() -> None:
    """A bfloat16 model's cache takes 2 bytes a value, but its norms and a CPU's masked
    attention compute in float32: its activations are counted at float32 width."""
    assert batching.cache_per_token(CONFIG, 2) * 2 == batching.cache_per_token(CONFIG, 4)
    half = batching.activations_per_token(CONFIG, 2, attended=300)
    assert half == batching.activations_per_token(CONFIG, 4, attended=300)
    assert half == (6 * 128 + 3 * 256 + 4 * 300) * 4
