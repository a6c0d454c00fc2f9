"""The split output head: the float32 matrix held in place as high and low halves gives the
same embeddings, logits and greedy tokens, and is put back bit for bit."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import native, split_head
from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.engine.split_head import HeadSplit, SplitHead
from harness.evaluate.requests import Decoding, PromptStyle, generation_requests
from harness.prompts.items import build_items

pytestmark = pytest.mark.skipif(native.compiler() is None, reason="no C++ compiler here")


@pytest.fixture(scope="module")
def ops() -> Any:
    assert native.few_rows_linear() is not None, native.build_error()
    return torch.ops.fact_harness


def _pick(ops: Any, x: torch.Tensor, weight: torch.Tensor, block: int,
          norms: torch.Tensor) -> list[int]:
    """split_pick as HeadSplit.argmax calls it, for any block size."""
    screened = x.to(torch.bfloat16)
    rows, cols = weight.shape
    flat = weight.view(-1).view(torch.bfloat16)
    approx = torch.cat([torch.mm(flat[2 * s * cols: 2 * s * cols + min(block, rows - s) * cols]
                                 .view(-1, cols), screened.t()) for s in range(0, rows, block)])
    return ops.split_pick(x, screened, weight, block, norms, approx).tolist()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("rows", "cols", "block"), [(1000, 40, 64), (300, 768, 8), (7, 16, 4)])
def test_split_rebuilds_every_weight_and_goes_back_bit_for_bit(ops, rows, cols, block) -> None:  # type: ignore[no-untyped-def]
    """Blocks cut by the matrix's end, columns past the last 16 lanes."""
    torch.manual_seed(rows)
    weight = torch.randn(rows, cols)
    original = weight.clone()
    norms = ops.split_weight(weight, block)
    assert not torch.equal(weight, original)  # held split: the float32 view is not the weights
    ids = torch.tensor([[0, rows - 1], [block - 1, min(block, rows - 1)]])
    assert torch.equal(ops.split_rows(weight, ids, block), original[ids.reshape(-1)])
    x = torch.randn(5, cols)
    torch.testing.assert_close(ops.split_linear(x, weight, block), F.linear(x, original),
                               rtol=1e-5, atol=1e-5)
    high = (original.view(torch.int32) & -65536).view(torch.float32)
    torch.testing.assert_close(norms[0], (original - high).norm(dim=1), rtol=1e-4, atol=0)
    assert bool((norms[0] >= (original - high).double().norm(dim=1)).all())  # rounded up
    assert bool((norms[1] >= high.double().norm(dim=1)).all())
    ops.unsplit_weight(weight, block)
    assert torch.equal(weight, original)


def test_argmax_is_the_exact_logits_argmax_near_ties_included(ops) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    rows, cols = 4096, 256
    weight = torch.randn(rows, cols) * 0.05
    x = torch.randn(6, cols)
    sign = torch.randn(cols).sign()
    x = x.abs() * sign  # every row of x has the same signs
    # rows 10 and 11: the same high halves (row 10 has no low halves), low halves that make
    # 11 the larger by a hair for every x row: the high halves alone cannot tell them apart
    base = torch.randn(cols).abs() * sign
    weight[10] = (base.view(torch.int32) & -65536).view(torch.float32)
    weight[11] = weight[10] + sign * weight[10].abs() * 2**-12
    weight[12] = weight[10]  # a tie with 10, below 11
    exact = (x.double() @ weight.double().t())
    original = weight.clone()
    norms = ops.split_weight(weight, 512)
    assert _pick(ops, x, weight, 512, norms) == exact.argmax(-1).tolist()
    assert set(exact.argmax(-1).tolist()) == {11}
    ops.unsplit_weight(weight, 512)
    assert torch.equal(weight, original)


@pytest.mark.parametrize("rows", [1, 5, 8, 16])  # rows dividing 16 take the lanes path
def test_argmax_of_random_logits_at_any_scale(ops, rows) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(rows)
    weight = torch.randn(3000, 64) * 0.02
    original = weight.clone()
    norms = ops.split_weight(weight, 256)
    for scale in (1e-3, 1.0, 30.0, 1e4):
        x = torch.randn(rows, 64) * scale
        exact = x.double() @ original.double().t()
        assert _pick(ops, x, weight, 256, norms) == exact.argmax(-1).tolist()


def test_argmax_leaves_rows_with_non_finite_x_to_the_caller(ops) -> None:  # type: ignore[no-untyped-def]
    weight = torch.randn(64, 32)
    norms = ops.split_weight(weight, 16)
    x = torch.randn(3, 32)
    x[1, 4] = float("nan")
    picked = _pick(ops, x, weight, 16, norms)
    assert picked[1] == -1 and picked[0] >= 0 and picked[2] >= 0


@pytest.fixture(scope="module")
def loaded(random_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))


@pytest.mark.parametrize("block", [split_head.BLOCK, 1000])  # 1000: several blocks, one cut
def test_installed_model_computes_the_same_and_is_put_back(loaded, block, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(split_head, "BLOCK", block)
    model, _, _ = loaded
    head, embedding = model.get_output_embeddings(), model.get_input_embeddings()
    assert head.weight is embedding.weight  # tied, like EXAONE's
    assert head.weight.shape[0] % 1000 and head.weight.shape[0] > 2000
    ids = torch.randint(0, head.weight.shape[0], (2, 9))
    original = head.weight.detach().clone()
    long_ids = torch.randint(0, head.weight.shape[0], (2, 40))
    with torch.inference_mode():
        plain = model(input_ids=ids).logits
        long_plain = model(input_ids=long_ids).logits
        first, second = SplitHead(), SplitHead()
        with first.installed(model) as split, second.installed(model) as again:
            assert split is not None and again is split and split.users == 2
            assert split.embedding is embedding
            torch.testing.assert_close(model(input_ids=ids).logits, plain, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(model(input_ids=long_ids).logits, long_plain,  # 80 rows:
                                       rtol=1e-5, atol=1e-5)  # blocks rebuilt for F.linear
            with SplitHead.request(split, "argmax") as request:
                out = model(input_ids=ids, logits_to_keep=1).logits
            assert request is not None and out is request.output
            assert request.ids == plain[:, -1].argmax(-1).tolist()
            with SplitHead.request(split, "discard") as request:
                model(input_ids=ids, logits_to_keep=1)
            assert request is not None and request.ids is None and request.output is not None
        assert "forward" not in vars(head) and "forward" not in vars(embedding)
    assert torch.equal(head.weight.detach(), original)
    assert not split_head._active


def test_split_head_keeps_greedy_text(loaded, suite) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    items = build_items(suite, suite.task("closed_qa"), limit=10)
    requests = [dataclasses.replace(g[0], stop=()) for g in generation_requests(
        tok, suite.task("closed_qa"), items, style, Decoding())]
    plain = HFEngine(model, tok, info, batch_size=4, split_head=False).generate(requests)
    engine = HFEngine(model, tok, info, batch_size=4)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.head.verified


class _Scaled(nn.Module):
    """A model whose logits are not its head's output (scaled, as some architectures do)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.inner = model
        self.config = model.config
        self.generation_config = model.generation_config

    def get_output_embeddings(self) -> Any:
        return self.inner.get_output_embeddings()

    def get_input_embeddings(self) -> Any:
        return self.inner.get_input_embeddings()

    def forward(self, **kwargs: Any) -> Any:
        out = self.inner(**kwargs)
        out.logits = out.logits * -1.0  # the argmax becomes the head's argmin
        return out


def test_a_model_that_transforms_its_logits_never_skips_them(loaded, suite) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    wrapped = _Scaled(model)
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    items = build_items(suite, suite.task("closed_qa"), limit=4)
    requests = [dataclasses.replace(g[0], stop=(), max_new_tokens=6) for g in
                generation_requests(tok, suite.task("closed_qa"), items, style, Decoding())]
    plain = HFEngine(wrapped, tok, info, batch_size=2, split_head=False).generate(requests)
    engine = HFEngine(wrapped, tok, info, batch_size=2)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.head.verified is False


def test_heads_it_does_not_apply_to() -> None:
    untied = nn.Module()
    untied.head = nn.Linear(32, 10, bias=True)  # a bias: not split
    untied.get_output_embeddings = lambda: untied.head  # type: ignore[assignment]
    untied.get_input_embeddings = lambda: None  # type: ignore[assignment]
    assert split_head._parts(untied) is None
    untied.head = nn.Linear(32, 10, bias=False)
    assert split_head._parts(untied) == (untied.head, None)
    untied.other = nn.Linear(32, 10, bias=False)
    untied.other.weight = untied.head.weight  # shared with something not an embedding
    assert split_head._parts(untied) is None
    assert not SplitHead(enabled=False).applies(untied)
    half = nn.Module()
    half.head = nn.Linear(32, 10, bias=False).to(torch.bfloat16)
    half.get_output_embeddings = lambda: half.head  # type: ignore[assignment]
    assert split_head._parts(half) is None


def test_sampled_requests_keep_the_head_whole(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    entered: list[HeadSplit | None] = []
    original = SplitHead._enter
    monkeypatch.setattr(SplitHead, "_enter", staticmethod(
        lambda m: entered.append(original(m)) or entered[-1]))
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    items = build_items(suite, suite.task("closed_qa"), limit=2)
    requests = [dataclasses.replace(g[0], temperature=0.7, seed=1, max_new_tokens=3) for g in
                generation_requests(tok, suite.task("closed_qa"), items, style, Decoding())]
    HFEngine(model, tok, info, batch_size=2).generate(requests)
    assert entered == []
