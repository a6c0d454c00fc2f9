"""Trie packing: each distinct token prefix once, scored nodes last, masks that follow the trie."""

from __future__ import annotations

import pytest
import torch

import harness.engine.hf as hf
from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.engine.packed import packed_inputs
from harness.engine.trie import Path, pack
from harness.engine.types import LoglikRequest
from harness.evaluate.requests import PromptStyle, choice_requests
from harness.prompts.items import build_items

QUESTION = [5, 6, 7]
PATHS = [Path(0, [*QUESTION, 10, 11], 2), Path(1, [*QUESTION, 10, 12], 2),
         Path(2, [*QUESTION, 13], 1)]


def test_trie_computes_each_prefix_once_and_scores_last() -> None:
    (piece,) = pack(PATHS, max_nodes=100, max_scored=100)
    assert len(piece.tokens) == 3 + 3 + 1  # question, 10/11/12, 13
    assert piece.scored_nodes == 4  # nodes 7 (question's last), 10, 11, 12 ... and 13
    scored = {n for nodes in piece.members.values() for n in nodes}
    assert scored == set(range(len(piece.tokens) - piece.scored_nodes, len(piece.tokens)))
    for path in PATHS:  # each member's scored nodes hold its last tokens, ancestors its path
        nodes = piece.members[path.member]
        assert [piece.tokens[n] for n in nodes] == list(path.tokens[-path.scored :])
        last = nodes[-1]
        assert sorted(piece.tokens[a] for a in piece.ancestors[last]) == sorted(path.tokens)
        assert piece.depths[last] == len(path.tokens) - 1
    mask = piece.mask()
    assert mask.diagonal().all() and int(mask.sum()) == sum(len(a) for a in piece.ancestors)


def test_pack_budgets_and_plain_rows() -> None:
    assert len(pack(PATHS, max_nodes=6, max_scored=100)) == 2
    assert len(pack(PATHS, max_nodes=100, max_scored=3)) == 2
    plain = pack(PATHS, max_nodes=100, max_scored=100, share=False)
    assert [p.tokens for p in plain] == [list(p.tokens) for p in PATHS]


def test_packed_mask_reads_prefix_and_ancestors_only() -> None:
    (piece,) = pack(PATHS, max_nodes=100, max_scored=100)
    prefix_mask = torch.tensor([[0, 1, 1]])  # a left-padded prefix of two tokens
    inputs = packed_inputs([piece], prefix_mask, [2], pad=0, four_d=True)
    assert inputs.mask.shape == (1, 1, 7, 3 + 7)
    assert not inputs.mask[0, 0, :, 0].any() and inputs.mask[0, 0, :, 1:3].all()
    assert torch.equal(inputs.mask[0, 0, :, 3:], piece.mask())
    assert inputs.positions[0].tolist() == [2 + d for d in piece.depths]
    assert inputs.keep == piece.scored_nodes


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_small_pieces_and_eager_attention_keep_logliks(memorizer_model, suite, monkeypatch,  # type: ignore[no-untyped-def]
                                                       attention) -> None:
    model, tok, info = load_model(str(memorizer_model), LoadOptions(device="cpu",
                                                                    dtype="float32"))
    model.set_attn_implementation(attention)
    items = build_items(suite, suite.task("mc_open"), limit=6)
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    _, requests = choice_requests(tok, suite.task("mc_open"), items, style)
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).loglikelihood(requests)
    monkeypatch.setattr(hf, "PIECE_NODES", 24)
    monkeypatch.setattr(hf, "PIECE_SCORED", 5)
    engine = HFEngine(model, tok, info, batch_size=3, prefix_reuse=True)
    fast = engine.loglikelihood(requests)
    assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, fast, strict=True)) <= 1e-4
    assert [a.is_greedy for a in plain] == [b.is_greedy for b in fast]
    assert engine.stats.forward_calls > 3  # the small budgets split the tries into pieces


def test_unrelated_requests_pack_into_shared_rows(memorizer_model, suite) -> None:  # type: ignore[no-untyped-def]
    """Requests without a common prefix are packed several to a row (block-diagonal mask)."""
    model, tok, info = load_model(str(memorizer_model), LoadOptions(device="cpu",
                                                                    dtype="float32"))
    requests = [LoglikRequest(f"Question: {f.question}\nAnswer:", f" {f.answer}")
                for f in list(suite.facts)[:10]]
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).loglikelihood(requests)
    engine = HFEngine(model, tok, info, batch_size=4, prefix_reuse=True)
    fast = engine.loglikelihood(requests)
    assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, fast, strict=True)) <= 1e-4
    assert [a.is_greedy for a in plain] == [b.is_greedy for b in fast]
    assert engine.stats.forward_calls < len(requests) / 4  # fewer passes than one row each


def test_short_shared_prefixes_pack_into_the_trie(memorizer_model, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Closed-book questions shared by their choices get no prefix pass of their own: the
    trie shares them, and several items fill each row, in fewer passes, same numbers."""
    model, tok, info = load_model(str(memorizer_model), LoadOptions(device="cpu",
                                                                    dtype="float32"))
    items = build_items(suite, suite.task("mc"), limit=12)
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    _, requests = choice_requests(tok, suite.task("mc"), items, style)
    plain = HFEngine(model, tok, info, batch_size=1, prefix_reuse=False).loglikelihood(requests)
    packed = HFEngine(model, tok, info, batch_size=8, prefix_reuse=True)
    fast = packed.loglikelihood(requests)
    assert max(abs(a.logprob - b.logprob) for a, b in zip(plain, fast, strict=True)) <= 1e-4
    monkeypatch.setattr(hf, "TRIE_PREFIX_MAX", 0)  # every shared question its own prefix pass
    passes = HFEngine(model, tok, info, batch_size=8, prefix_reuse=True)
    passes.loglikelihood(requests)
    assert packed.stats.forward_calls < passes.stats.forward_calls
    assert packed.stats.logit_rows < passes.stats.logit_rows  # fuller rows: less padding
