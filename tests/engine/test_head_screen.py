"""The int8 head screen: its bounds hold, its argmax is the exact logits' argmax, and a
screened engine generates the same text without ever changing the head."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import head_screen, native
from harness.engine.choices import Choices
from harness.engine.head_screen import HeadScreen, Screen
from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.evaluate.requests import Decoding, PromptStyle, generation_requests
from harness.prompts.items import build_items

pytestmark = pytest.mark.skipif(native.compiler() is None, reason="no C++ compiler here")


@pytest.fixture(scope="module")
def ops() -> Any:
    assert native.few_rows_linear() is not None, native.build_error()
    return torch.ops.fact_harness


def _pick(ops: Any, x: torch.Tensor, weight: torch.Tensor) -> list[int]:
    """The screen's argmax as `Screen.argmax` computes it (without its fallback)."""
    codes, info = ops.screen_weight(weight)
    x_codes, x_info = ops.screen_rows(x)
    products = torch._int_mm(codes, x_codes)
    return ops.screen_pick(x, weight, info, info.amax(dim=1).contiguous(), x_info,  # type: ignore[no-any-return]
                           products).tolist()


@pytest.mark.parametrize(("rows", "cols"), [(1000, 40), (300, 768), (7, 16), (5, 3)])
def test_weight_codes_and_bounds(ops, rows, cols) -> None:  # type: ignore[no-untyped-def]
    """Columns past the last 8 lanes included; the bounds are upper bounds."""
    torch.manual_seed(rows)
    weight = torch.randn(rows, cols) * torch.logspace(-3, 2, rows)[:, None]
    weight[0] = 0.0
    original = weight.clone()
    codes, info = ops.screen_weight(weight)
    assert torch.equal(weight, original)  # the head itself is never changed
    assert codes.dtype == torch.int8 and int(codes.abs().max()) <= 127
    scale, e1, e2 = info
    approx = scale[:, None] * codes.double()
    assert bool((e1 >= (original.double() - approx).norm(dim=1)).all())
    assert bool((e2 >= approx.norm(dim=1)).all())
    torch.testing.assert_close(e1[1:], (original.double() - approx).norm(dim=1)[1:], rtol=1e-5,
                               atol=0)
    assert float(scale[0]) == 0.0 and float(e1[0]) == 0.0  # a zero row is exact
    assert int(codes.abs().amax(dim=1)[1:].min()) == 127  # each row's scale fits its largest


def test_rows_codes_and_bounds(ops) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(1)
    x = torch.randn(5, 100) * torch.tensor([1e-4, 1.0, 50.0, 1e3, 0.0])[:, None]
    x[3, 7] = 4e4  # one outlier: the second code keeps the rest fine
    codes, info = ops.screen_rows(x)
    assert codes.shape == (100, 10) and codes.dtype == torch.int8
    step, cx, cs = info
    kept = step[None, :5] * (codes[:, :5].double() + codes[:, 5:].double() / 256)
    assert bool((cs >= (x.double().t() - kept).norm(dim=0)).all())
    assert bool((cx >= x.double().norm(dim=1)).all())
    assert bool((cs <= cx / 127 / 256 * 10 + 1e-300).all())  # about 1/256 of a code's step
    bad = torch.ones(2, 8)
    bad[1, 3] = float("inf")
    step = ops.screen_rows(bad)[1][0]
    assert float(step[0]) > 0 and torch.isnan(step[1])


@pytest.mark.parametrize("rows", [1, 4, 5, 8, 16])  # 4 and 8 take the compiled-for-R scans
def test_argmax_of_random_logits_at_any_scale(ops, rows) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(rows)
    weight = torch.randn(3000, 64) * 0.02
    for scale in (1e-3, 1.0, 30.0, 1e4):
        x = torch.randn(rows, 64) * scale
        exact = x.double() @ weight.double().t()
        assert _pick(ops, x, weight) == exact.argmax(-1).tolist()


def test_argmax_is_the_exact_logits_argmax_near_ties_included(ops) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    rows, cols = 4096, 256
    weight = torch.randn(rows, cols) * 0.05
    sign = torch.randn(cols).sign()
    x = torch.randn(8, cols).abs() * sign  # every row of x has the same signs
    # rows 10 and 11 have the same codes and scale; 11 is larger by a hair for every x row,
    # which the codes alone cannot tell; 12 ties 10 exactly, below 11
    base = torch.randn(cols).abs() * sign
    weight[10] = base
    weight[11] = base + sign * base.abs() * 2**-14
    weight[11][base.abs().argmax()] = base[base.abs().argmax()]  # the same largest: same scale
    weight[12] = base
    codes = ops.screen_weight(weight)[0]
    assert torch.equal(codes[10], codes[11])
    exact = x.double() @ weight.double().t()
    assert set(exact.argmax(-1).tolist()) == {11}
    assert _pick(ops, x, weight) == exact.argmax(-1).tolist()
    weight[11] = base  # now 10, 11 and 12 tie exactly: the first wins
    assert set(_pick(ops, x, weight)) == {10}


def test_rows_with_zero_or_non_finite_x(ops) -> None:  # type: ignore[no-untyped-def]
    weight = torch.randn(64, 32)
    x = torch.randn(3, 32)
    x[1, 4] = float("nan")
    x[2] = 0.0
    picked = _pick(ops, x, weight)
    assert picked[0] == int((x[0].double() @ weight.double().t()).argmax())
    assert picked[1] == -1 and picked[2] == 0  # NaN: the caller's; all logits 0: the first


def test_screen_argmax_falls_back_for_non_finite_rows(ops) -> None:  # type: ignore[no-untyped-def]
    head = nn.Linear(16, 50, bias=False)
    screen = Screen(head)
    x = torch.randn(2, 16)
    x[0, 0] = float("nan")
    with torch.inference_mode():
        chosen = screen.argmax(x)
        assert chosen == [int(F.linear(x[:1], head.weight).argmax()),
                          int(F.linear(x[1:], head.weight).argmax())]


@pytest.fixture(scope="module")
def loaded(random_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))


@pytest.fixture
def always_faster(monkeypatch):  # type: ignore[no-untyped-def]
    """The screen applies whatever the timing says (on a tiny head it can go either way)."""
    timed_here(monkeypatch)
    monkeypatch.setattr(HeadScreen, "_time", staticmethod(lambda screen: True))


def timed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines time anew: nothing read back from (or kept in) the machine's choices."""
    monkeypatch.setattr(Choices, "for_machine", classmethod(lambda cls: cls()))


def test_installed_model_computes_the_same_and_is_put_back(loaded, always_faster) -> None:  # type: ignore[no-untyped-def]
    model, _, _ = loaded
    head, embedding = model.get_output_embeddings(), model.get_input_embeddings()
    assert head.weight is embedding.weight  # tied, like EXAONE's
    ids = torch.randint(0, head.weight.shape[0], (2, 9))
    original = head.weight.detach().clone()
    with torch.inference_mode():
        plain = model(input_ids=ids).logits
        screen_head = HeadScreen()
        with screen_head.installed(model) as screen:
            assert screen is not None and screen_head.faster is True
            assert torch.equal(model(input_ids=ids).logits, plain)
            with HeadScreen.request(screen, "argmax") as request:
                out = model(input_ids=ids, logits_to_keep=1).logits
            assert request is not None and out is request.output
            assert request.ids == plain[:, -1].argmax(-1).tolist()
            with HeadScreen.request(screen, "discard") as request:
                again = model(input_ids=ids, logits_to_keep=1).logits
            assert request is not None and request.ids is None and again is request.output
        assert "forward" not in vars(head)
    assert torch.equal(head.weight.detach(), original)


def _requests(tok: Any, suite: Any, limit: int, **change: Any) -> list[Any]:
    style = PromptStyle.choose(tok, chat=None, thinking=False, system_prompt=None)
    items = build_items(suite, suite.task("closed_qa"), limit=limit)
    return [dataclasses.replace(g[0], stop=(), **change) for g in generation_requests(
        tok, suite.task("closed_qa"), items, style, Decoding())]


def test_screened_engine_keeps_greedy_text(loaded, suite, always_faster) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    requests = _requests(tok, suite, 10)
    plain = HFEngine(model, tok, info, batch_size=4, screen_head=False).generate(requests)
    engine = HFEngine(model, tok, info, batch_size=4)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.head.used is True


def test_a_head_that_times_slower_is_not_screened(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    timed_here(monkeypatch)
    monkeypatch.setattr(HeadScreen, "_time", staticmethod(lambda screen: False))
    engine = HFEngine(model, tok, info, batch_size=2)
    engine.generate(_requests(tok, suite, 2, max_new_tokens=2))
    assert engine.head.used is False and "forward" not in vars(model.get_output_embeddings())


def test_the_screen_decision_is_kept_for_the_machine(loaded, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A later engine on the machine reads the first one's decision back, whatever its own
    timing would say, so both compute their greedy tokens the same way."""
    model, _, _ = loaded
    kept = tmp_path / "choices.json"
    monkeypatch.setattr(HeadScreen, "_time", staticmethod(lambda screen: False))
    first = HeadScreen(kept=Choices(kept))
    with first.installed(model) as screen:
        assert screen is None and first.faster is False
    monkeypatch.setattr(HeadScreen, "_time", staticmethod(lambda screen: True))
    later = HeadScreen(kept=Choices(kept))
    with later.installed(model) as screen:
        assert screen is None and later.faster is False
    fresh = HeadScreen(kept=Choices(tmp_path / "other.json"))
    with fresh.installed(model) as screen:
        assert screen is not None and fresh.faster is True


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


def test_a_model_that_transforms_its_logits_never_skips_them(loaded, suite, always_faster) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    wrapped = _Scaled(model)
    requests = _requests(tok, suite, 4, max_new_tokens=6)
    plain = HFEngine(wrapped, tok, info, batch_size=2, screen_head=False).generate(requests)
    engine = HFEngine(wrapped, tok, info, batch_size=2)
    assert [r.text for r in engine.generate(requests)] == [r.text for r in plain]
    assert engine.head.verified is False and engine.head.used is False


def test_heads_it_does_not_apply_to() -> None:
    model = nn.Module()
    model.head = nn.Linear(32, 10, bias=True)  # a bias
    model.get_output_embeddings = lambda: model.head  # type: ignore[assignment]
    assert head_screen.screenable(model) is None
    model.head = nn.Linear(32, 10, bias=False)
    assert head_screen.screenable(model) is model.head
    assert not HeadScreen(enabled=False).applies(model)
    handle = model.head.register_forward_hook(lambda *args: None)  # hooked
    assert head_screen.screenable(model) is None
    handle.remove()
    model.head = nn.Linear(32, 10, bias=False).to(torch.bfloat16)
    assert head_screen.screenable(model) is None


def test_sampled_requests_keep_the_head_unscreened(loaded, suite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    entered: list[Any] = []
    original = HeadScreen._enter
    monkeypatch.setattr(HeadScreen, "_enter",
                        lambda self, m: entered.append(original(self, m)) or entered[-1])
    requests = _requests(tok, suite, 2, temperature=0.7, seed=1, max_new_tokens=3)
    HFEngine(model, tok, info, batch_size=2).generate(requests)
    assert entered == []
