"""RMSNorm layers switch to the fused op only where it gives the same bits."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from harness.engine.loading import LoadOptions, load_model
from harness.engine.norms import FusedNorms, candidates


class OnePlusRMSNorm(nn.Module):
    """Gemma's formula: the scale is 1 + weight (the fused op would compute another thing)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(width))
        self.eps = 1e-6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return scaled * (1.0 + self.weight)


def test_model_norms_switch_and_compute_the_same(random_model: Path) -> None:
    model, _, _ = load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))
    layers = candidates(model)
    assert len(layers) == 4 * model.config.num_hidden_layers + 1  # q, k, post-attn, post-mlp
    ids = torch.randint(0, model.config.vocab_size, (2, 7))
    norms = FusedNorms()
    with torch.inference_mode():
        plain = model(input_ids=ids).logits
        with norms.installed(model):
            first = model(input_ids=ids).logits  # each layer's own forward, checked
            again = model(input_ids=ids).logits  # the fused op
    assert torch.equal(first, plain) and torch.equal(again, plain)
    assert len(norms.same) == len(layers) and all(norms.same.values())
    assert all("forward" not in vars(layer) for layer in layers)


def test_another_formula_keeps_its_own_forward() -> None:
    model = nn.Sequential(OnePlusRMSNorm(16))
    x = torch.randn(3, 16)
    norms = FusedNorms()
    with torch.inference_mode(), norms.installed(model):
        outputs = [model(x) for _ in range(3)]
    assert norms.same == {id(model[0]): False}
    assert all(torch.equal(out, model[0](x)) for out in outputs)
    assert FusedNorms(enabled=False).same == {} and not candidates(nn.Linear(2, 2))
