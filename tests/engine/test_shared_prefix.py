"""Attention over a shared prefix cache plus each row's own keys equals attention over the
concatenation (each row with its own copy of its group's prefix)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from harness.engine.attention import PrefixSplitUnsupported, grouped_sdpa
from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.engine.shared_prefix import SharedPrefix, shared_prefix_attention
from harness.engine.types import GenRequest
from harness.evaluate.requests import Decoding, PromptStyle, generation_requests
from harness.prompts.items import build_items


def _reference(query, prefix_keys, prefix_values, prefix_mask, rows, key, value, own_mask,
               scaling):  # type: ignore[no-untyped-def]
    keys = torch.cat([prefix_keys[rows], key], dim=2)
    values = torch.cat([prefix_values[rows], value], dim=2)
    length = query.shape[2]
    mask = torch.cat([prefix_mask[rows][:, None, None, :].expand(-1, 1, length, -1), own_mask],
                     dim=-1)
    groups = query.shape[1] // key.shape[1]
    out = torch.nn.functional.scaled_dot_product_attention(
        query, keys.repeat_interleave(groups, 1), values.repeat_interleave(groups, 1),
        attn_mask=mask, scale=scaling)
    return out.transpose(1, 2)


@pytest.mark.parametrize("length", [3, 1])  # a multi-token pass; a decode step
def test_split_attention_equals_attention_over_the_concatenation(length: int) -> None:
    torch.manual_seed(0)
    rows, heads, kv_heads, dim, width, own = 3, 4, 2, 8, 5, 4
    prefix_keys = torch.randn(2, kv_heads, width, dim)
    prefix_values = torch.randn(2, kv_heads, width, dim)
    prefix_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    groups = torch.tensor([0, 1, 0])
    query = torch.randn(rows, heads, length, dim)
    key, value = torch.randn(rows, kv_heads, own, dim), torch.randn(rows, kv_heads, own, dim)
    causal = torch.ones(length, own, dtype=torch.bool).tril(own - length)
    own_mask = causal.expand(rows, 1, length, own).clone()
    own_mask[1, :, :, 0] = False  # row 1 is left-padded by one
    cache = SimpleNamespace(layers=[SimpleNamespace(keys=prefix_keys, values=prefix_values)])
    shared = SharedPrefix(cache, [5, 3], groups)
    module = SimpleNamespace(layer_idx=0)
    for mask in (own_mask, None):
        out = shared_prefix_attention(module, query, key, value, mask, 0.3, shared)
        expected = _reference(query, prefix_keys, prefix_values, prefix_mask, groups, key,
                              value, causal.expand(rows, 1, length, own) if mask is None
                              else own_mask, 0.3)
        assert out.shape == (rows, length, heads, dim)
        assert torch.allclose(out, expected, atol=1e-5)
    assert shared.calls == 2
    # rows paired with the wrong groups give other numbers (the comparison can fail)
    wrong = SharedPrefix(cache, [5, 3], torch.tensor([1, 0, 0]))
    expected = _reference(query, prefix_keys, prefix_values, prefix_mask, groups, key, value,
                          own_mask, 0.3)
    assert not torch.allclose(shared_prefix_attention(module, query, key, value, own_mask, 0.3,
                                                      wrong), expected, atol=1e-3)


@pytest.fixture(scope="module")
def loaded(memorizer_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(memorizer_model), LoadOptions(device="cpu", dtype="float32"))


def _open_book(loaded, suite) -> list[GenRequest]:  # type: ignore[no-untyped-def]
    _, tok, _ = loaded
    items = build_items(suite, suite.task("open_qa"), limit=10)
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    return [g[0] for g in generation_requests(tok, suite.task("open_qa"), items, style,
                                              Decoding())]


def test_rows_read_the_document_in_place(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    requests = _open_book(loaded, suite)
    copying = HFEngine(model, tok, info, batch_size=4)
    copying.split_prefix = False  # each row starts from its own copy of the document
    expected = copying.generate(requests)
    starts: list[tuple[int, int]] = []
    start = HFEngine._start

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        running = start(self, *args, **kwargs)
        assert running.shared is not None
        starts.append((running.cache.get_seq_length(), min(running.shared.lengths)))
        return running

    monkeypatch.setattr(HFEngine, "_start", spy)
    engine = HFEngine(model, tok, info, batch_size=4)
    assert engine.split_prefix
    got = engine.generate(requests)
    assert [r.text for r in got] == [r.text for r in expected]
    assert starts and all(own < document for own, document in starts)  # rows hold no copy


def test_a_model_whose_attention_never_sees_the_prefix_falls_back(memorizer_model, suite) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = load_model(str(memorizer_model), LoadOptions(device="cpu",
                                                                    dtype="float32"))
    model.set_attn_implementation("eager")  # its attention ignores `shared_prefix`
    requests = _open_book((model, tok, info), suite)
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).generate(requests)
    engine = HFEngine(model, tok, info, batch_size=4)
    engine.split_prefix = True
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert not engine.split_prefix


def test_options_the_split_does_not_implement_are_refused() -> None:
    module = SimpleNamespace(layer_idx=0, num_key_value_groups=2)
    cache = SimpleNamespace(layers=[SimpleNamespace(keys=torch.zeros(1, 1, 2, 4),
                                                    values=torch.zeros(1, 1, 2, 4))])
    shared = SharedPrefix(cache, [2], torch.tensor([0]))
    query, key = torch.zeros(1, 2, 1, 4), torch.zeros(1, 1, 1, 4)
    with pytest.raises(PrefixSplitUnsupported):
        grouped_sdpa(module, query, key, key, None, 0.5, softcap=30.0, shared_prefix=shared)
    assert grouped_sdpa(module, query, key, key, None, 0.5, shared_prefix=shared)[0].shape == (
        1, 1, 2, 4)


def test_a_short_shared_instruction_is_copied_not_split(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Closed-book prompts share only a short instruction: copying it per row is cheaper than
    splitting attention, so those rows hold copies (and the text is the same)."""
    model, tok, info = loaded
    items = build_items(suite, suite.task("closed_qa"), limit=10)
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    requests = [g[0] for g in generation_requests(tok, suite.task("closed_qa"), items, style,
                                                  Decoding())]
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).generate(requests)
    shared: list[object] = []
    start = HFEngine._start

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        running = start(self, *args, **kwargs)
        shared.append(running.shared)
        return running

    monkeypatch.setattr(HFEngine, "_start", spy)
    engine = HFEngine(model, tok, info, batch_size=4)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.stats.tokens_saved > 0 and shared and all(s is None for s in shared)
