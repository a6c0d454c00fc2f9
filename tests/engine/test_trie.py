"""Trie packing: each distinct token prefix once, scored nodes last, masks that follow the trie."""

from __future__ import annotations

import pytest
import torch

import harness.engine.hf.loglik as hf
import harness.engine.hf.packed as packed
from harness.engine.hf import HFEngine
from harness.engine.hf.packed import packed_inputs, score_pieces
from harness.engine.hf.spread import pack_even, pack_rows
from harness.engine.hf.trie import Path, Piece, pack
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import LoglikRequest
from harness.runs.requests import PromptStyle, choice_requests
from harness.suite.items import build_items

QUESTION = [5, 6, 7]


def questions(count: int, first: int = 0) -> list[Path]:
    """`count` questions of 3 to 12 distinct tokens, each with three two-token choices."""
    paths = []
    for q in range(count):
        stem = [1000 + 20 * q + k for k in range(3 + (q * 7) % 10)]
        paths += [Path(first + 3 * q + c, [*stem, 10 + c, 20 + c], 2) for c in range(3)]
    return paths


def members(pieces: list[Piece]) -> list[int]:
    return sorted(m for piece in pieces for m in piece.members)
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
        assert [piece.tokens[a] for a in piece.ancestors(last)] == list(path.tokens)[::-1]
        assert piece.depths[last] == len(path.tokens) - 1
    mask = piece.mask()
    for node in range(len(piece.tokens)):  # a row per node: itself and its ancestors
        assert mask[node].nonzero().flatten().tolist() == sorted(piece.ancestors(node))
    assert piece.parents[piece.members[2][0]] == 2  # 13 follows the question's last token


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


def test_rows_spread_evenly_over_as_few_passes_as_the_caps_allow() -> None:
    paths = questions(40)
    passes = pack_rows(paths, max_nodes=64, max_scored=24, rows_per_pass=lambda width: 4)
    rows = [piece for chunk in passes for piece in chunk]
    assert members(rows) == list(range(len(paths)))  # every request once
    nodes = sum(len(p.tokens) for p in rows)
    scored = sum(p.scored_nodes for p in rows)
    needed = max(-(-nodes // 64), -(-scored // 24))
    assert len(passes) == -(-needed // 4) and all(len(chunk) <= 4 for chunk in passes)
    per_pass = -(-needed // len(passes))
    assert [len(chunk) for chunk in passes] == [per_pass] * len(passes)  # full passes ...
    widths = [len(p.tokens) for p in rows]
    assert max(widths) <= 64 and max(p.scored_nodes for p in rows) <= 24  # ... within the caps
    assert max(widths) - min(widths) <= 3 + 9 + 4  # ... about equally wide (one question)
    for path in paths:  # each path still whole, its scored nodes its last tokens
        (piece,) = [p for p in rows if path.member in p.members]
        assert [piece.tokens[n] for n in piece.members[path.member]] == list(path.tokens[-2:])
    assert pack_rows([], 64, 24, lambda width: 4) == []


def test_a_few_questions_share_one_row() -> None:
    passes = pack_rows(questions(3), max_nodes=512, max_scored=64, rows_per_pass=lambda w: 8)
    assert [len(chunk) for chunk in passes] == [1]  # no padding, no logits unread
    assert members(passes[0]) == list(range(9))


def test_even_pieces_give_every_group_the_same_rounds() -> None:
    small, large = questions(8), questions(12, first=100)
    assert len(pack(small, 48, 12)) == 4 and len(pack(large, 48, 12)) == 6
    pieces = pack_even([small, large, questions(2, first=200)], max_nodes=48, max_scored=12)
    assert [len(p) for p in pieces] == [6, 6, 2]  # as many as the neediest (or one each)
    assert members(pieces[0]) == [p.member for p in small]
    assert members(pieces[1]) == sorted(p.member for p in large)
    widths = [len(p.tokens) for p in pieces[1]]
    assert widths == sorted(widths, reverse=True) and max(widths) <= 48


def test_scores_in_chunks_match_whole_tensor_scores(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 50) * 4
    (piece,) = pack(PATHS, max_nodes=100, max_scored=100)
    continuations = [[11, 12], [10, 12], [13]]  # request i's scored tokens
    whole = dict(score_pieces(logits, [piece], continuations))
    monkeypatch.setattr(packed, "SCORE_CHUNK_ELEMENTS", 60)  # one position per chunk
    chunked = dict(score_pieces(logits, [piece], continuations))
    log_probs = logits[0].log_softmax(-1)
    keep = logits.shape[1]
    for member, nodes in piece.members.items():
        cols = [n - len(piece.tokens) + keep for n in nodes]
        expected = sum(float(log_probs[c, t]) for c, t in zip(cols, continuations[member],
                                                               strict=True))
        greedy = all(int(log_probs[c].argmax()) == t
                     for c, t in zip(cols, continuations[member], strict=True))
        for got in (whole[member], chunked[member]):
            assert abs(got.logprob - expected) < 1e-5 and got.is_greedy == greedy
    assert whole[0].logprob == pytest.approx(chunked[0].logprob, abs=1e-6)


def test_refining_the_spread_evens_what_greedy_leaves_uneven() -> None:
    """Largest-first alone puts 30+20+20 and 30+20 in two rows; a swap makes them 60 each."""
    sizes = [30, 30, 20, 20, 20]
    paths = [Path(i, [100 * i + k for k in range(n)], 1) for i, n in enumerate(sizes)]
    (chunk,) = pack_rows(paths, max_nodes=70, max_scored=64, rows_per_pass=lambda w: 2)
    assert [len(p.tokens) for p in chunk] == [60, 60]


def test_mask_follows_parents_placed_after_their_children() -> None:
    """A node scored for one path (moved to the row's end) can be the parent of a node that
    another path does not score (kept in front): the mask still follows the parents."""
    (piece,) = pack([Path(0, [1, 2], 1), Path(1, [1, 2, 3, 4], 1)], max_nodes=9, max_scored=9)
    assert piece.tokens == [1, 3, 2, 4]
    assert piece.parents == [-1, 2, 0, 1] and piece.depths == [0, 2, 1, 3]
    assert piece.mask().int().tolist() == [[1, 0, 0, 0], [1, 1, 1, 0], [1, 0, 1, 0],
                                           [1, 1, 1, 1]]
