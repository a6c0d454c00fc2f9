"""Few-row linear calls: every candidate product is the same product, and the chooser keeps
the one that timed fastest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import kernels
from harness.engine.choices import Choices
from harness.engine.kernels import LinearKernels, default_products


@pytest.mark.parametrize("rows", [1, 3, 8, 64])
@pytest.mark.parametrize("name", list(default_products()))
def test_every_product_is_f_linear(name: str, rows: int) -> None:
    torch.manual_seed(0)
    weight, x = torch.randn(96, 40), torch.randn(rows, 40)
    got = default_products()[name](x, weight)
    assert got.shape == (rows, 96) and got.is_contiguous()
    torch.testing.assert_close(got, F.linear(x, weight), rtol=1e-5, atol=1e-5)


def test_onednn_is_a_candidate_where_torch_has_it() -> None:
    if torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        assert {"onednn", "onednn-weight-first"} <= set(default_products())


class FakeClock:
    """Each product advances the clock by its cost; the chooser reads it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _products(clock: FakeClock, costs: dict[str, list[float]],
              calls: dict[str, int]) -> dict[str, kernels.Product]:
    def make(name: str) -> kernels.Product:
        def product(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
            seq = costs[name]
            clock.now += seq[min(calls[name], len(seq) - 1)]
            calls[name] += 1
            return F.linear(x, weight)
        return product
    return {name: make(name) for name in costs}


def test_the_fastest_timed_product_is_kept_and_warm_up_calls_do_not_count() -> None:
    clock, calls = FakeClock(), {"a": 0, "b": 0, "c": 0}
    # b is slowest on its first (warm-up) call only; c is fastest on that call only
    costs = {"a": [2.0], "b": [100.0, 1.0], "c": [0.1, 3.0]}
    chooser = LinearKernels(products=_products(clock, costs, calls), clock=clock)
    weight, x = torch.randn(16, 8), torch.randn(4, 8)
    rounds = kernels.WARM_ROUNDS + kernels.TIMED_ROUNDS
    torch.testing.assert_close(chooser.linear(x, weight), F.linear(x, weight))
    # the first call times each in turn, then answers with the fastest
    assert calls == {"a": rounds, "b": rounds + 1, "c": rounds}
    assert chooser.summary() == {"4x16x8": "b"}
    for _ in range(5):
        chooser.linear(x, weight)
    assert calls == {"a": rounds, "b": rounds + 6, "c": rounds}
    chooser.linear(torch.randn(2, 8), weight)  # another row count: a trial of its own
    assert calls["a"] == 2 * rounds and chooser.summary() == {"4x16x8": "b", "2x16x8": "b"}


def test_a_kept_choice_is_run_by_every_later_chooser_whatever_the_clock_says(
        tmp_path: Path) -> None:
    """Two processes on one machine (two choosers on one choices file) run the same product
    for a shape even where the second one's clock would favour another: the first choice
    is read back, and nothing is timed again."""
    path = tmp_path / "choices.json"
    first_clock, first_calls = FakeClock(), {"a": 0, "b": 0}
    first = LinearKernels(products=_products(first_clock, {"a": [1.0], "b": [2.0]}, first_calls),
                          clock=first_clock, kept=Choices(path))
    weight, x = torch.randn(16, 8), torch.randn(4, 8)
    first.linear(x, weight)
    assert first.summary() == {"4x16x8": "a"} and first.timed == 1
    second_clock, second_calls = FakeClock(), {"a": 0, "b": 0}
    second = LinearKernels(
        products=_products(second_clock, {"a": [9.0], "b": [1.0]}, second_calls),
        clock=second_clock, kept=Choices(path))
    for _ in range(3):
        second.linear(x, weight)
    assert second_calls == {"a": 3, "b": 0} and second.summary() == {"4x16x8": "a"}
    assert second.timed == 0 and not second.kept.timed
    third_clock = FakeClock()
    third = LinearKernels(  # other candidates: a choice of its own
        products=_products(third_clock, {"b": [1.0], "c": [2.0]}, {"b": 0, "c": 0}),
        clock=third_clock, kept=Choices(path))
    third.linear(x, weight)
    assert third.summary() == {"4x16x8": "b"} and len(json.loads(path.read_text())) == 2


def test_many_rows_run_f_linear_and_bias_and_shape_are_kept() -> None:
    clock, calls = FakeClock(), {"a": 0}
    chooser = LinearKernels(products=_products(clock, {"a": [1.0]}, calls), clock=clock)
    weight, bias = torch.randn(12, 8), torch.randn(12)
    many = torch.randn(2, kernels.SMALL_ROWS, 8)  # 128 rows: a prompt pass
    torch.testing.assert_close(chooser.linear(many, weight, bias), F.linear(many, weight, bias))
    assert calls["a"] == 0
    few = torch.randn(2, 3, 8).transpose(0, 1)  # strided: reshaped and made contiguous
    out = chooser.linear(few, weight, bias)
    assert out.shape == (3, 2, 12)
    assert calls["a"] == kernels.WARM_ROUNDS + kernels.TIMED_ROUNDS + 1
    torch.testing.assert_close(out, F.linear(few, weight, bias))


def _per_row_products(clock: FakeClock, per_row: dict[str, float],
                      calls: dict[str, list[int]]) -> dict[str, kernels.Product]:
    """Candidates whose cost is `per_row[name]` seconds per row of x; each call's rows kept."""
    def make(name: str) -> kernels.Product:
        def product(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
            clock.now += per_row[name] * x.shape[0]
            calls[name].append(x.shape[0])
            return F.linear(x, weight)
        return product
    return {name: make(name) for name in per_row}


def test_many_row_calls_choose_among_their_products_once_for_every_row_count() -> None:
    """Calls of more than SMALL_ROWS rows (prompt passes) share one choice per weight shape
    whatever their row count, between the many-row products only."""
    clock, calls = FakeClock(), {"slow": [], "fast": [], "few": []}
    products = _per_row_products(clock, {"slow": 2.0, "fast": 1.0, "few": 0.001}, calls)
    chooser = LinearKernels(products=products, clock=clock, many_rows=("slow", "fast"))
    weight, bias = torch.randn(12, 8), torch.randn(12)
    many = kernels.SMALL_ROWS + 1
    for rows in (100, 300, many):  # timed on the first call, chosen for the others
        x = torch.randn(rows, 8)
        torch.testing.assert_close(chooser.linear(x, weight, bias), F.linear(x, weight, bias))
    assert calls == {"slow": [100, 100], "fast": [100, 100, 100, 300, many], "few": []}
    assert chooser.summary() == {f"{many}+x12x8": "fast"}
    x = torch.randn(2, 70, 8)  # 140 rows in a batch of sequences: the same choice
    torch.testing.assert_close(chooser.linear(x, weight), F.linear(x, weight))
    assert calls["fast"][-1] == 140 and not calls["few"]


def test_many_row_calls_need_two_of_their_products_else_run_f_linear() -> None:
    clock, calls = FakeClock(), {"mkl": [], "few": []}
    products = _per_row_products(clock, {"mkl": 1.0, "few": 0.1}, calls)
    chooser = LinearKernels(products=products, clock=clock)  # no "onednn" among them
    assert chooser.many_row_names == []
    x, weight = torch.randn(kernels.SMALL_ROWS + 1, 8), torch.randn(12, 8)
    torch.testing.assert_close(chooser.linear(x, weight), F.linear(x, weight))
    assert calls == {"mkl": [], "few": []} and not chooser.summary()


def test_the_many_row_products_are_f_linear_at_prompt_sizes() -> None:
    torch.manual_seed(0)
    products = default_products()
    weight = torch.randn(96, 40)
    for rows in (kernels.SMALL_ROWS + 1, 300):
        x = torch.randn(rows, 40)
        for name in LinearKernels(products=products).many_row_names:
            got = products[name](x, weight)
            assert got.shape == (rows, 96) and got.is_contiguous()
            torch.testing.assert_close(got, F.linear(x, weight), rtol=1e-5, atol=1e-5)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.plain = nn.Linear(8, 16)
        self.bf16 = nn.Linear(16, 16).to(torch.bfloat16)
        self.hooked = nn.Linear(16, 16)
        self.hooked._hf_hook = object()  # accelerate's offload hook wraps forward itself
        self.sub = type("SubLinear", (nn.Linear,), {})(16, 4)  # e.g. a quantized layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bf16(self.plain(x).to(torch.bfloat16)).float()
        return self.sub(self.hooked(y))


def test_installed_on_plain_float32_layers_only_and_removed_after() -> None:
    torch.manual_seed(0)
    net, x = Net(), torch.randn(3, 8)
    expected = net(x)
    chooser = LinearKernels()
    with chooser.installed(net):
        assert "forward" in vars(net.plain)
        assert not any("forward" in vars(m) for m in (net.bf16, net.hooked, net.sub))
        with torch.no_grad():  # as the engine runs (with gradients: F.linear, no trial)
            torch.testing.assert_close(net(x), expected, rtol=1e-5, atol=1e-5)
        mine = vars(net.plain)["forward"]
        with LinearKernels().installed(net):  # a second install leaves the first one's alone
            assert vars(net.plain)["forward"] is mine
        assert vars(net.plain)["forward"] is mine
    assert "forward" not in vars(net.plain)
    assert set(chooser.summary()) == {"3x16x8"}  # one shape, chosen at its first call
    with pytest.raises(RuntimeError), chooser.installed(net):
        raise RuntimeError("a failed pass")
    assert "forward" not in vars(net.plain)
    off = LinearKernels(enabled=False)
    with off.installed(net):
        assert "forward" not in vars(net.plain)


def test_tuning_applies_to_float32_models_on_a_cpu() -> None:
    """A model off the CPU or in half precision gets nothing installed, so runs as before."""
    chooser = LinearKernels()
    for model in (nn.Linear(2, 2, device="meta"), nn.Linear(2, 2).to(torch.bfloat16)):
        with chooser.installed(model):
            assert "forward" not in vars(model)
    model = nn.Linear(2, 2)
    with chooser.installed(model):
        assert "forward" in vars(model)
    with LinearKernels(enabled=False).installed(model):
        assert "forward" not in vars(model)


def test_candidates_are_built_only_for_a_model_that_uses_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled candidate's build (seconds, once per machine) waits for a CPU float32
    model; a GPU or half-precision run, or a disabled chooser, never starts it."""
    built: list[int] = []

    def counted() -> dict[str, kernels.Product]:
        built.append(1)
        return {"mkl": kernels.mkl_linear}
    monkeypatch.setattr(kernels, "default_products", counted)
    chooser, off = LinearKernels(), LinearKernels(enabled=False)
    for model in (nn.Linear(2, 2, device="meta"), nn.Linear(2, 2).to(torch.bfloat16)):
        chooser.prepare(model)
        with chooser.installed(model):
            pass
    off.prepare(nn.Linear(2, 2))
    assert not built
    chooser.prepare(nn.Linear(2, 2))
    with chooser.installed(nn.Linear(2, 2)):
        pass
    assert len(built) == 1 and chooser.names == ["mkl"]


def _failing(clock: FakeClock, fails_on: set[int]) -> kernels.Product:
    """A candidate that raises on the calls numbered in `fails_on` (counted from 0)."""
    seen = [0]

    def product(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        seen[0] += 1
        clock.now += 0.01  # the fastest, when it answers
        if seen[0] - 1 in fails_on:
            raise RuntimeError("candidate failed")
        return F.linear(x, weight)
    return product


@pytest.mark.parametrize("fails_on", [{0}, {1}, {0, 1}])
def test_a_candidate_that_fails_is_never_chosen_and_the_call_still_answers(
        fails_on: set[int]) -> None:
    clock, calls = FakeClock(), {"slow": 0}
    products = {"bad": _failing(clock, fails_on), **_products(clock, {"slow": [5.0]}, calls)}
    chooser = LinearKernels(products=products, clock=clock)
    weight, x = torch.randn(16, 8), torch.randn(4, 8)
    for _ in range(3):
        torch.testing.assert_close(chooser.linear(x, weight), F.linear(x, weight))
    assert chooser.summary() == {"4x16x8": "slow"}
    assert calls["slow"] == kernels.WARM_ROUNDS + kernels.TIMED_ROUNDS + 3


def test_a_shape_whose_every_candidate_fails_runs_f_linear() -> None:
    clock = FakeClock()
    chooser = LinearKernels(products={"bad": _failing(clock, set(range(100)))}, clock=clock)
    weight, x = torch.randn(16, 8), torch.randn(4, 8)
    for _ in range(5):
        torch.testing.assert_close(chooser.linear(x, weight), F.linear(x, weight))
    assert chooser.summary() == {"4x16x8": kernels.FALLBACK}


def test_a_layer_cast_or_needing_gradients_while_installed_runs_f_linear() -> None:
    """The checks made at install are repeated at each call: a layer cast to float64 while
    installed, or a pass that keeps gradients, runs F.linear (no candidate is called)."""
    clock, calls = FakeClock(), {"a": 0}
    chooser = LinearKernels(products=_products(clock, {"a": [1.0]}, calls), clock=clock)
    layer = nn.Linear(8, 4)
    x = torch.randn(3, 8)
    with chooser.installed(layer):
        out = layer(x)  # needs gradients: the weight requires them and grad mode is on
        out.sum().backward()
        assert layer.weight.grad is not None and calls["a"] == 0
        with torch.no_grad():
            layer(x)
        chosen = kernels.WARM_ROUNDS + kernels.TIMED_ROUNDS + 1  # timed, then run
        assert calls["a"] == chosen
        layer.double()
        with torch.no_grad():
            torch.testing.assert_close(layer(x.double()), F.linear(x.double(), layer.weight,
                                                                   layer.bias))
        assert calls["a"] == chosen


def test_an_install_replaced_meanwhile_is_left_in_place() -> None:
    """Another install that replaced a layer's forward while this one was on (two engines on
    one model, interleaved) keeps it: each removes only its own."""
    layer = nn.Linear(8, 4)
    with LinearKernels().installed(layer):
        theirs = LinearKernels()._forward_of(layer)
        layer.forward = theirs  # type: ignore[method-assign,assignment]
    assert vars(layer)["forward"] is theirs
