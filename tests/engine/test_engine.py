"""The engine's fast paths compute the same numbers as the plain path."""

from __future__ import annotations

import dataclasses
import os
import weakref
from pathlib import Path

import pytest

from harness.bench.workload import spread_items
from harness.engine.hf import HFEngine
from harness.engine.hf import passes as hf_passes
from harness.engine.hf.kv import RowWriter
from harness.engine.hf.prefix import group_by_prefix
from harness.engine.loading import LoadOptions, load_model
from harness.errors import HarnessError
from harness.runs.requests import Decoding, PromptStyle, choice_requests, generation_requests
from harness.suite.items import build_items


@pytest.fixture(scope="module")
def loaded(memorizer_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(memorizer_model), LoadOptions(device="cpu", dtype="float32"))


def _style(tokenizer) -> PromptStyle:  # type: ignore[no-untyped-def]
    return PromptStyle.choose(tokenizer, chat=None, thinking=False, system_prompt=None)


@pytest.mark.parametrize("task", ["mc", "mc_open", "tf"])
def test_prefix_reuse_and_batch_size_do_not_change_logliks(loaded, suite, task) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    items = build_items(suite, suite.task(task), limit=12)
    _, requests = choice_requests(tok, suite.task(task), items, _style(tok))
    plain_engine = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False)
    plain = plain_engine.loglikelihood(requests)
    scored = sum(r.continuation_tokens for r in plain)  # one logits row each, at least
    assert scored <= plain_engine.stats.logit_rows <= plain_engine.stats.computed_tokens
    for batch_size in (1, 8, None):
        engine = HFEngine(model, tok, info, batch_size=batch_size, prefix_reuse=True)
        fast = engine.loglikelihood(requests)
        assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, fast, strict=True)) <= 1e-4
        assert [a.is_greedy for a in plain] == [b.is_greedy for b in fast]
        assert engine.stats.tokens_saved > 0
        assert 0 < engine.stats.logit_rows <= engine.stats.computed_tokens


@pytest.mark.parametrize("task", ["closed_qa", "open_qa"])
def test_prefix_reuse_keeps_greedy_text(loaded, suite, task) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    items = build_items(suite, suite.task(task), limit=10)
    requests = [g[0] for g in generation_requests(tok, suite.task(task), items, _style(tok),
                                                  Decoding())]
    plain_engine = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False)
    plain = plain_engine.generate(requests)
    # one logits row per new token: the prompt pass gives the first, each step the next
    assert plain_engine.stats.logit_rows == sum(r.generated_tokens for r in plain)
    fast_engine = HFEngine(model, tok, info, batch_size=4, prefix_reuse=True)
    fast = fast_engine.generate(requests)
    assert [r.text for r in plain] == [r.text for r in fast]
    assert [r.generated_tokens for r in plain] == [r.generated_tokens for r in fast]
    if task == "open_qa":
        assert fast_engine.stats.tokens_saved > 1000
    else:  # the instruction all closed-book prompts start with is computed once
        ids = [tok(r.prompt, add_special_tokens=False)["input_ids"] for r in requests]
        shared = len(os.path.commonprefix(ids))
        assert shared > 10 and fast_engine.stats.tokens_saved >= shared * (len(ids) - 1)


def test_generation_stops_at_stop_string(loaded, suite) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    items = build_items(suite, suite.task("closed_qa"), limit=3)
    requests = [g[0] for g in generation_requests(tok, suite.task("closed_qa"), items,
                                                  _style(tok), Decoding())]
    for result in HFEngine(model, tok, info).generate(requests):
        assert "\n" not in result.text and result.generated_tokens <= 32


def test_prefix_groups() -> None:
    doc = list(range(100))
    seqs = [doc + [1, 2], doc + [3, 4, 5], [7, 8, 9], [7, 8, 10], [50]]
    groups = {g.members: g.prefix_len for g in group_by_prefix(seqs)}
    assert groups[(0, 1)] == 100
    assert groups[(2, 3)] == 2
    assert groups[(4,)] == 0
    assert all(g.prefix_len == 0 for g in group_by_prefix(seqs, enabled=False))


def test_unknown_model_offline_is_one_clear_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HarnessError, match="not available locally"):
        load_model("no-such-org/no-such-model-xyz", LoadOptions())


def test_cuda_without_gpu_is_refused() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(HarnessError, match="no CUDA device"):
        load_model("unused", LoadOptions(device="cuda"))


def test_finished_rows_make_room_for_waiting_ones(random_model, suite) -> None:  # type: ignore[no-untyped-def]
    """Continuous batching: short answers leave the batch and waiting rows join; every text
    equals the one-at-a-time text, in fewer forward passes than fixed chunks would need."""
    model, tok, info = load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))
    items = build_items(suite, suite.task("closed_qa"), limit=9)
    base = [g[0] for g in generation_requests(tok, suite.task("closed_qa"), items, _style(tok),
                                              Decoding())]
    requests = [dataclasses.replace(r, stop=(), max_new_tokens=12 if n % 3 == 0 else 2)
                for n, r in enumerate(base)]
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).generate(requests)
    engine = HFEngine(model, tok, info, batch_size=3, prefix_reuse=False)
    fast = engine.generate(requests)
    assert [r.text for r in plain] == [r.text for r in fast]
    assert [r.generated_tokens for r in fast] == [r.max_new_tokens for r in requests]
    fixed_chunks = 3 * 12  # three chunks of three rows, each decoding until its 12-token row ends
    assert engine.stats.forward_calls < fixed_chunks


def test_long_unshared_prompts_run_their_own_prefix_pass(loaded, suite) -> None:  # type: ignore[no-untyped-def]
    """One open-book item per document: nothing is shared, every prompt is long, so each is
    computed as a one-member prefix group (right-padded, unmasked); same text as the plain path."""
    model, tok, info = loaded
    items = build_items(suite, suite.task("open_qa"))
    one_each = list({item.document: item for item in items}.values())
    requests = [g[0] for g in generation_requests(tok, suite.task("open_qa"), one_each,
                                                  _style(tok), Decoding())]
    assert len(requests) == 4 and min(len(tok(r.prompt)["input_ids"]) for r in requests) > 256
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).generate(requests)
    engine = HFEngine(model, tok, info, batch_size=4, prefix_reuse=True)
    passes: list[list[int]] = []
    run_prefixes = engine.passes.prefixes
    engine.passes.prefixes = lambda prefixes, **kw: passes.append(  # type: ignore[method-assign]
        [len(p) for p in prefixes]) or run_prefixes(prefixes, **kw)
    fast = engine.generate(requests)
    assert [r.text for r in plain] == [r.text for r in fast]
    lengths = sorted(len(tok(r.prompt)["input_ids"]) - 1 for r in requests)
    assert sorted(n for lens in passes for n in lens) == lengths


def test_documents_of_different_lengths_run_unpadded_on_cpu(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On a CPU, documents of different lengths each get a prefix pass of their own (no
    padding), their caches stacked into the right-padded layout the later passes read: the
    same log-likelihoods and texts as one right-padded pass and as the plain path."""
    model, tok, info = loaded
    loglik = choice_requests(tok, suite.task("mc_open"), spread_items(suite, "mc_open", 8),
                             _style(tok))[1]
    gen = [g[0] for g in generation_requests(tok, suite.task("open_qa"),
                                              spread_items(suite, "open_qa", 8), _style(tok),
                                              Decoding(max_new_tokens=6))]
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False)
    plain_ll, plain_text = plain.loglikelihood(loglik), plain.generate(gen)
    runs: dict[bool, list[tuple[int, ...]]] = {}
    lone_rows: list[int] = []  # prefixes that were to run one pass each
    writers: list[int] = []  # passes whose cache layers all wrote rows of a shared cache
    for lone in (True, False):
        monkeypatch.setattr(hf_passes, "LONE_PASS_MIN", 256 if lone else 10**9)
        engine = HFEngine(model, tok, info, batch_size=8, prefix_reuse=True)
        decide = engine.passes.lone_prefixes

        def counted(prefixes, cache, decide=decide):  # type: ignore[no-untyped-def]
            alone = decide(prefixes, cache)
            if alone:
                lone_rows.append(len(prefixes))
            return alone
        monkeypatch.setattr(engine.passes, "lone_prefixes", counted)
        runs[lone] = []

        def seen(_m, _a, kw, passes=runs[lone]):  # type: ignore[no-untyped-def]
            if kw["input_ids"].shape[1] >= 256:
                passes.append(tuple(kw["input_ids"].shape))
            if all(isinstance(layer, RowWriter) for layer in kw["cache"].layers):
                writers.append(1)
        hook = model.register_forward_pre_hook(seen, with_kwargs=True)
        try:
            ll, text = engine.loglikelihood(loglik), engine.generate(gen)
        finally:
            hook.remove()
        assert max(abs(a.logprob - b.logprob) for a, b in zip(plain_ll, ll, strict=True)) <= 1e-4
        assert [r.text for r in text] == [r.text for r in plain_text]
    # four documents of 600-1300 tokens: one row per pass, against rows padded together
    assert runs[True] and all(rows == 1 for rows, _ in runs[True])
    assert sum(lone_rows) == len(writers) > 0  # each wrote its row of the shared cache directly
    assert any(rows > 1 for rows, _ in runs[False])
    assert sum(w for _, w in runs[True]) < sum(r * w for r, w in runs[False])


@pytest.mark.parametrize("task", ["open_qa", "mc_open"])
def test_a_batch_s_prefix_caches_are_freed_before_the_next_batch_s_prefix_pass(
        loaded, suite, task, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two batches' document caches are never alive together: peak memory of an open-book
    run is one batch's prefixes, not two (the 1.2B shape's open_qa peak went from 1.30x to
    1.28x the weights)."""
    model, tok, info = loaded
    items = spread_items(suite, task, 12)  # round-robin over documents: several batches
    if task == "open_qa":
        requests: list = [g[0] for g in generation_requests(  # type: ignore[type-arg]
            tok, suite.task(task), items, _style(tok), Decoding(max_new_tokens=4))]
    else:
        _, requests = choice_requests(tok, suite.task(task), items, _style(tok))
    engine = HFEngine(model, tok, info, batch_size=2, prefix_reuse=True)
    computed = engine.passes.prefixes
    earlier: list[weakref.ref] = []  # type: ignore[type-arg]

    def prefixes(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert all(ref() is None for ref in earlier), "an earlier batch's prefixes are alive"
        prefix = computed(*args, **kwargs)
        earlier.append(weakref.ref(prefix))
        return prefix
    monkeypatch.setattr(engine.passes, "prefixes", prefixes)
    if task == "open_qa":
        engine.generate(requests)
    else:
        engine.loglikelihood(requests)
    assert len(earlier) >= 2


def test_the_first_pass_after_the_documents_continues_their_cache_in_place(
        loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A batch's document cache reserves the positions of its first packed pass, which then
    writes after the documents in their own buffers instead of first copying every
    document's cache (the 1.2B shape's mc_open peak went from 1.25x to 1.23x the weights)."""
    model, tok, info = loaded
    _, requests = choice_requests(tok, suite.task("mc_open"), spread_items(suite, "mc_open", 8),
                                  _style(tok))
    engine = HFEngine(model, tok, info, batch_size=8, prefix_reuse=True)
    prefixes, gather = engine.passes.prefixes, engine.passes.gather
    firsts: list[bool | None] = []  # per batch: whether its first pass read the cache in place

    def on_prefixes(*args, **kwargs):  # type: ignore[no-untyped-def]
        firsts.append(None)
        return prefixes(*args, **kwargs)

    def on_gather(cache, index, room):  # type: ignore[no-untyped-def]
        fresh = gather(cache, index, room)
        if firsts and firsts[-1] is None:
            firsts[-1] = fresh.layers[0].keys.data_ptr() == cache.layers[0].keys.data_ptr()
        return fresh
    monkeypatch.setattr(engine.passes, "prefixes", on_prefixes)
    monkeypatch.setattr(engine.passes, "gather", on_gather)
    plain = HFEngine(model, tok, info, batch_size=8, prefix_reuse=False).loglikelihood(requests)
    results = engine.loglikelihood(requests)
    assert firsts and all(firsts)
    assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, results, strict=True)) <= 1e-4


def test_off_a_cpu_documents_of_any_length_share_a_batch_and_its_decode_steps(
        loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Where a pad position costs little (a GPU: `pad_splits` off), documents of unlike
    lengths are not split into batches, so the rows after all of them decode together:
    fewer decode steps (each bound by its launches there), the same texts and scores."""
    model, tok, info = loaded
    gen = [g[0] for g in generation_requests(tok, suite.task("open_qa"),
                                              spread_items(suite, "open_qa", 8), _style(tok),
                                              Decoding(max_new_tokens=6))]
    loglik = choice_requests(tok, suite.task("mc_open"), spread_items(suite, "mc_open", 8),
                             _style(tok))[1]
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False)
    plain_text, plain_ll = plain.generate(gen), plain.loglikelihood(loglik)
    steps: dict[bool, int] = {}
    batches: dict[bool, int] = {}
    for pad_splits in (True, False):
        engine = HFEngine(model, tok, info, batch_size=8, prefix_reuse=True)
        assert engine.passes.pad_splits  # the default on a CPU
        engine.passes.pad_splits = pad_splits
        prefixes = engine.passes.prefixes
        batches[pad_splits] = 0

        def counted(*args, prefixes=prefixes, pad_splits=pad_splits, **kwargs):  # type: ignore[no-untyped-def]
            batches[pad_splits] += 1
            return prefixes(*args, **kwargs)
        monkeypatch.setattr(engine.passes, "prefixes", counted)
        steps[pad_splits] = 0

        def seen(_m, _a, kw, pad_splits=pad_splits):  # type: ignore[no-untyped-def]
            steps[pad_splits] += kw["input_ids"].shape[1] == 1
        hook = model.register_forward_pre_hook(seen, with_kwargs=True)
        try:
            text = engine.generate(gen)
        finally:
            hook.remove()
        assert [r.text for r in text] == [r.text for r in plain_text]
        ll = engine.loglikelihood(loglik)
        assert max(abs(a.logprob - b.logprob) for a, b in zip(plain_ll, ll, strict=True)) <= 1e-4
    # generation's, then scoring's batches: one each, against several each
    assert batches[False] == 2 < batches[True]
    assert steps[False] < steps[True]
