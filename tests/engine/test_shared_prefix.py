"""Attention over a shared prefix cache plus each row's own keys equals attention over the
concatenation (each row with its own copy of its group's prefix)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from harness.bench.dispatches import Dispatches
from harness.bench.workload import spread_items
from harness.engine.hf import HFEngine, batching, shared_prefix
from harness.engine.hf.attention import PrefixSplitUnsupported, grouped_sdpa
from harness.engine.hf.generation import Generator
from harness.engine.hf.shared_prefix import SharedPrefix, shared_prefix_attention
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenRequest
from harness.runs.requests import Decoding, PromptStyle, generation_requests
from harness.suite.items import build_items


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


LENGTHS = [5, 3, 4]  # each group's prefix length


@pytest.mark.parametrize("rows_groups", [
    [0, 1, 0],  # two groups, uneven
    [2, 2, 0, 2],  # group 1 absent inside the span: its slots hold nothing
    [1, 1, 1],  # one group, not the first: the span starts after group 0
    [2, 1],  # the longest prefix (group 0) absent: the rows read 4 positions at most
])
@pytest.mark.parametrize(("length", "form"), [
    (3, "per_group_step"),  # a multi-token pass
    (1, "per_group_step"),  # a decode step, as on a CPU
    (1, "grid_step"),  # a decode step, as on a GPU
])
def test_split_attention_equals_attention_over_the_concatenation(
        length: int, form: str, rows_groups: list[int], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(shared_prefix, "per_group_step", getattr(shared_prefix, form))
    torch.manual_seed(0)
    rows, heads, kv_heads, dim, width, own = len(rows_groups), 4, 2, 8, 5, 4
    prefix_keys = torch.randn(len(LENGTHS), kv_heads, width, dim)
    prefix_values = torch.randn(len(LENGTHS), kv_heads, width, dim)
    prefix_mask = torch.arange(width)[None, :] < torch.tensor(LENGTHS)[:, None]
    groups = torch.tensor(rows_groups)
    query = torch.randn(rows, heads, length, dim)
    key, value = torch.randn(rows, kv_heads, own, dim), torch.randn(rows, kv_heads, own, dim)
    causal = torch.ones(length, own, dtype=torch.bool).tril(own - length)
    own_mask = causal.expand(rows, 1, length, own).clone()
    own_mask[1, :, :, 0] = False  # row 1 is left-padded by one
    cache = SimpleNamespace(layers=[SimpleNamespace(keys=prefix_keys, values=prefix_values)])
    shared = SharedPrefix(cache, LENGTHS, groups)
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
    wrong = SharedPrefix(cache, LENGTHS, torch.tensor([(g + 1) % 3 for g in rows_groups]))
    expected = _reference(query, prefix_keys, prefix_values, prefix_mask, groups, key, value,
                          own_mask, 0.3)
    assert not torch.allclose(shared_prefix_attention(module, query, key, value, own_mask, 0.3,
                                                      wrong), expected, atol=1e-3)


def test_a_gpu_decode_step_runs_as_many_operations_for_three_groups_as_for_one(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(shared_prefix, "per_group_step", shared_prefix.grid_step)
    torch.manual_seed(0)
    kv_heads, dim = 2, 8
    cache = SimpleNamespace(layers=[SimpleNamespace(keys=torch.randn(3, kv_heads, 5, dim),
                                                    values=torch.randn(3, kv_heads, 5, dim))])
    counts = []
    for rows_groups in ([0, 0, 0], [0, 1, 2]):
        query = torch.randn(3, 4, 1, dim)
        key, value = torch.randn(3, kv_heads, 2, dim), torch.randn(3, kv_heads, 2, dim)
        shared = SharedPrefix(cache, LENGTHS, torch.tensor(rows_groups))
        shared_prefix_attention(SimpleNamespace(layer_idx=0), query, key, value, None, 0.3,
                                shared)  # the rows' layout is worked out once, not per layer
        with Dispatches() as count:
            shared_prefix_attention(SimpleNamespace(layer_idx=0), query, key, value, None, 0.3,
                                    shared)
        counts.append(count.ops)
    # no more operators for three groups than for one (torch 2.13: as many; torch 2.6
    # dispatches two fewer for three groups)
    assert counts[1] <= counts[0]


@pytest.fixture(scope="module")
def loaded(memorizer_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(memorizer_model), LoadOptions(device="cpu", dtype="float32"))


def _open_book(loaded, suite, limit: int = 10) -> list[GenRequest]:  # type: ignore[no-untyped-def]
    """The first `limit` open-book items (of the first document), else `limit` spread over
    the documents."""
    _, tok, _ = loaded
    items = (build_items(suite, suite.task("open_qa"), limit=10) if limit == 10
             else spread_items(suite, "open_qa", limit))
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    return [g[0] for g in generation_requests(tok, suite.task("open_qa"), items, style,
                                              Decoding())]


@pytest.mark.parametrize(("form", "limit", "batch"), [
    ("per_group_step", 10, 4), ("grid_step", 10, 4),  # a CPU's form and a GPU's
    ("grid_step", 8, 8),  # rows after all four documents decode together
])
def test_rows_read_the_document_in_place(loaded, suite, monkeypatch, form, limit, batch) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    monkeypatch.setattr(shared_prefix, "per_group_step", getattr(shared_prefix, form))
    requests = _open_book(loaded, suite, limit)
    copying = HFEngine(model, tok, info, batch_size=batch)
    copying.passes.split_prefix = False  # each row starts from its own copy of the document
    expected = copying.generate(requests)
    starts: list[tuple[int, int]] = []
    start = Generator.start

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        running = start(self, *args, **kwargs)
        assert running.shared is not None
        starts.append((running.cache.get_seq_length(), min(running.shared.lengths)))
        return running

    monkeypatch.setattr(Generator, "start", spy)
    engine = HFEngine(model, tok, info, batch_size=batch)
    assert engine.passes.split_prefix
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
    engine.passes.split_prefix = True
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert not engine.passes.split_prefix


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
    start = Generator.start

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        running = start(self, *args, **kwargs)
        shared.append(running.shared)
        return running

    monkeypatch.setattr(Generator, "start", spy)
    engine = HFEngine(model, tok, info, batch_size=4)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.stats.tokens_saved > 0 and shared and all(s is None for s in shared)


def test_rows_reading_the_document_in_place_are_not_counted_as_holding_it(
        loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`--batch-size auto`: a row that reads its document in place holds only its own tokens
    (the document's cache is taken from the budget once), so a budget that fits two rows
    holding copies of the document fits more rows reading it in place; rows are admitted by
    their cache and prefilled a few at a time, with the same texts."""
    model, tok, info = loaded
    requests = _open_book(loaded, suite)  # ten questions on the first document
    ids = [tok(r.prompt, add_special_tokens=False)["input_ids"] for r in requests]
    document = next(n for n in range(min(map(len, ids)))
                    if len({tuple(row[: n + 1]) for row in ids}) > 1)
    prompt = max(map(len, ids)) - document
    own = prompt + max(r.max_new_tokens for r in requests)
    config = model.config
    per_copy = (document + own) * batching.cache_per_token(config, 4)
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 3 * per_copy)
    copies = batching.decode_rows(config, info, None, cached=document + own, prompt=prompt,
                                  attended=document + prompt)
    assert copies[0] == 2
    held = document * batching.cache_per_token(config, 4)  # the document's cache
    in_place = batching.decode_rows(config, info, None, cached=own, prompt=prompt,
                                    attended=document + prompt, held=held)
    assert in_place[0] > 2 and in_place[0] > in_place[1]
    started: list[int] = []
    stepped: list[int] = []
    start, step = Generator.start, Generator.step

    def spy_start(self, rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(len(rows))
        return start(self, rows, *args, **kwargs)

    def spy_step(self, running):  # type: ignore[no-untyped-def]
        stepped.append(running.size)
        return step(self, running)

    monkeypatch.setattr(Generator, "start", spy_start)
    monkeypatch.setattr(Generator, "step", spy_step)
    copying = HFEngine(model, tok, info, batch_size=None)
    copying.passes.split_prefix = False
    expected = copying.generate(requests)
    assert max(stepped) == 2 and max(started) == copies[1]  # copies: two rows at a time
    started.clear()
    stepped.clear()
    got = HFEngine(model, tok, info, batch_size=None).generate(requests)
    assert [r.text for r in got] == [r.text for r in expected]
    # in place: more rows at a time, prefilled in passes of fewer rows that then join
    assert max(stepped) == in_place[0] and started[:2] == [in_place[1]] * 2


def test_a_batch_of_documents_holds_at_most_half_the_budget(loaded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`--batch-size auto`, both jobs: the documents batched into one prefix pass take at most
    `PREFIX_SHARE` of the budget, their rows the rest (a budget that fits four documents
    whole batches two)."""
    model, tok, info = loaded
    documents = [[100 + d] * 300 for d in range(4)]
    sequences = [doc + [7, end] for doc in documents for end in (8, 9)]
    per_document = 301 * batching.bytes_per_token(model.config, 4)
    monkeypatch.setattr(batching, "memory_budget", lambda *args: 4 * per_document)
    passes = HFEngine(model, tok, info, batch_size=None).passes
    assert passes.rows_limit(301) == 4
    batches = passes.batches(sequences, min_prefix=257)
    assert [len(b.prefix_lens) for b in batches] == [2, 2]
    assert sorted(i for b in batches for _, i in b.members) == list(range(8))
