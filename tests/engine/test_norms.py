"""RMSNorm layers switch to a fused form only where it computes what their own forward does:
the compiled kernel within float32 rounding, torch's F.rms_norm (with or after the weight)
bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from harness.engine import native
from harness.engine.loading import LoadOptions, load_model
from harness.engine.norms import KERNEL_RTOL, FusedNorms, candidates


class OnePlusRMSNorm(nn.Module):
    """Gemma's formula: the scale is 1 + weight (the fused op would compute another thing)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(width))
        self.eps = 1e-6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return scaled * (1.0 + self.weight)


@pytest.mark.parametrize("compiled", [True, False])
def test_model_norms_switch_and_compute_the_same(random_model: Path, compiled: bool) -> None:
    if compiled and native.few_rows_linear() is None:
        pytest.skip(f"no compiled kernel here: {native.build_error()}")
    model, _, _ = load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))
    layers = candidates(model)
    assert len(layers) == 4 * model.config.num_hidden_layers + 1  # q, k, post-attn, post-mlp
    ids = torch.randint(0, model.config.vocab_size, (2, 7))
    norms = FusedNorms(compiled=compiled)
    with torch.inference_mode():
        plain = model(input_ids=ids).logits
        with norms.installed(model):
            first = model(input_ids=ids).logits  # each layer's own forward, checked
            again = model(input_ids=ids).logits  # one op per layer
    assert torch.equal(first, plain)
    expected = "kernel" if compiled else "fused"
    assert len(norms.choice) == len(layers) and set(norms.choice.values()) == {expected}
    assert norms.fused() == len(layers)
    if compiled:  # float32 rounding of each layer's scale, carried through the layers
        torch.testing.assert_close(again, plain, rtol=1e-4, atol=1e-4)
    else:
        assert torch.equal(again, plain)
    assert all("forward" not in vars(layer) for layer in layers)


def test_half_precision_norms_run_rms_norm_then_the_weight(random_model: Path) -> None:
    """transformers' RMSNorm rounds the normalised rows to bfloat16 before weighting them:
    F.rms_norm with the weight inside is off by that rounding, without it bit-equal."""
    model, _, _ = load_model(str(random_model), LoadOptions(device="cpu", dtype="bfloat16"))
    layers = candidates(model)
    for layer in layers:  # weights other than ones, or the weighting order would not show
        layer.weight.data = (torch.randn(layer.weight.shape) * 0.5 + 1).to(torch.bfloat16)
    ids = torch.randint(0, model.config.vocab_size, (2, 7))
    norms = FusedNorms()
    with torch.inference_mode():
        plain = model(input_ids=ids).logits
        with norms.installed(model):
            first = model(input_ids=ids).logits
            again = model(input_ids=ids).logits
    assert set(norms.choice.values()) == {"scaled"} and norms.fused() == len(layers)
    assert torch.equal(first, plain) and torch.equal(again, plain)


def test_kernel_is_within_float32_rounding_of_the_ops(random_model: Path) -> None:
    if native.few_rows_linear() is None:
        pytest.skip(f"no compiled kernel here: {native.build_error()}")
    torch.manual_seed(0)
    for shape in [(8, 1, 768), (3, 64), (2, 5, 17), (4, 3)]:
        x, weight = torch.randn(*shape) * 30, torch.randn(shape[-1])
        ops = weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))
        kernel = torch.ops.fact_harness.rms_norm_rows(x, weight, 1e-5)
        assert bool(((kernel - ops).abs() <= KERNEL_RTOL * ops.abs()).all())
    x = torch.randn(8, 1, 12, 64).transpose(1, 2)  # a query's heads: rows not adjacent
    kernel = torch.ops.fact_harness.rms_norm_rows(x, torch.ones(64), 1e-5)
    assert kernel.stride() == x.stride()  # the layout torch's own ops give
    torch.testing.assert_close(kernel, x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))


def test_another_formula_keeps_its_own_forward() -> None:
    model = nn.Sequential(OnePlusRMSNorm(16))
    x = torch.randn(3, 16)
    norms = FusedNorms()
    with torch.inference_mode(), norms.installed(model):
        outputs = [model(x) for _ in range(3)]
    assert norms.choice == {id(model[0]): "own"} and norms.fused() == 0
    assert all(torch.equal(out, model[0](x)) for out in outputs)
    assert FusedNorms(enabled=False).choice == {} and not candidates(nn.Linear(2, 2))
