"""RMSNorm layers run fused (one op, or two) where that computes what their own forward does.

A decode step of a small model is short enough for per-op overhead to show: transformers'
RMSNorm is six to eight small ops (cast, square, mean, add, rsqrt, two products), called four
times per EXAONE layer, each several times slower after the step streamed its weights
through the caches. While installed, each RMSNorm-named layer's first call runs its own
forward and compares: first the compiled kernel (`rms_norm.cpp`: float64 sum of squares, the
scale rounded once; kept where every output is within `KERNEL_RTOL` of the layer's own, the
float32 rounding of the scale), else torch's `F.rms_norm` (kept where bit-equal), else
`F.rms_norm` without the weight, then the weight (bit-equal where the layer rounds to a half
precision before weighting, as transformers' does: two ops instead of eight); where none
agrees (another formula: a `1 + weight` scale), the layer keeps its own forward.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import native
from harness.engine.forwards import replaced, unhooked

KERNEL_RTOL = 1e-5  # the kernel's scale is correctly rounded, torch's float32 sum is not


def _eps(module: nn.Module) -> float | None:
    for name in ("variance_epsilon", "eps"):
        value = getattr(module, name, None)
        if isinstance(value, float):
            return value
    return None


def candidates(model: nn.Module) -> list[nn.Module]:
    """Layers named *RMSNorm with a 1-D weight and an epsilon, their `forward` untouched."""
    found = []
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if (type(module).__name__.endswith("RMSNorm") and isinstance(weight, torch.Tensor)
                and weight.dim() == 1 and _eps(module) is not None and unhooked(module)):
            found.append(module)
    return found


class FusedNorms:
    """Installs the checking `forward` on a model's RMSNorm layers while the engine runs and
    remembers, per layer, which one op agreed with its own forward on its first call."""

    def __init__(self, enabled: bool = True, compiled: bool = True) -> None:
        self.enabled = enabled
        self.compiled = compiled  # try the compiled kernel first (else F.rms_norm only)
        self.choice: dict[int, str] = {}  # id(layer) -> "kernel", "fused", "scaled" or "own"
        self._lock = threading.Lock()

    def fused(self) -> int:
        """Layers that ran fused (the compiled kernel, or F.rms_norm with or after the weight)."""
        return sum(choice != "own" for choice in self.choice.values())

    @contextmanager
    def installed(self, model: nn.Module) -> Iterator[None]:
        with replaced(candidates(model) if self.enabled else [], self._forward_of):
            yield

    def _forward_of(self, layer: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
        own: Callable[[torch.Tensor], torch.Tensor] = type(layer).forward.__get__(layer)
        eps = _eps(layer)
        weight: Any = layer.weight

        def forward(x: torch.Tensor) -> torch.Tensor:
            choice = self.choice.get(id(layer))
            if choice == "own" or torch.is_grad_enabled():
                return own(x)
            if choice == "kernel" and _plain(x, weight):
                return torch.ops.fact_harness.rms_norm_rows(x, weight, eps)  # type: ignore[no-any-return]
            if choice == "fused":
                return F.rms_norm(x, (x.shape[-1],), weight, eps)
            if choice == "scaled":
                return _scaled(x, weight, eps)
            expected: torch.Tensor = own(x)
            if choice is None:
                with self._lock:
                    self.choice[id(layer)] = self._agreeing(x, expected, weight, eps)
            return expected
        return forward

    def _agreeing(self, x: torch.Tensor, expected: torch.Tensor, weight: torch.Tensor,
                  eps: Any) -> str:
        """The first fused form that computes what the layer did: "kernel", "fused", "scaled"
        or "own"."""
        if self.compiled and _plain(x, weight) and native.few_rows_linear() is not None:
            kernel = torch.ops.fact_harness.rms_norm_rows(x, weight, eps)
            if _same_shape(kernel, expected) and bool(
                    ((kernel - expected).abs() <= KERNEL_RTOL * expected.abs()).all()):
                return "kernel"
        fused = F.rms_norm(x, (x.shape[-1],), weight, eps)
        if _same_shape(fused, expected) and torch.equal(fused, expected):
            return "fused"
        scaled = _scaled(x, weight, eps)
        same = _same_shape(scaled, expected) and torch.equal(scaled, expected)
        return "scaled" if same else "own"


def _scaled(x: torch.Tensor, weight: Any, eps: Any) -> torch.Tensor:
    """The rows normalised and rounded to their dtype, then weighted (transformers' order)."""
    out: torch.Tensor = weight * F.rms_norm(x, (x.shape[-1],), None, eps)
    return out


def _plain(x: torch.Tensor, weight: torch.Tensor) -> bool:
    return (x.dtype is torch.float32 and weight.dtype is torch.float32 and x.is_cpu
            and weight.is_cpu and x.dim() >= 1 and weight.dim() == 1
            and weight.shape[0] == x.shape[-1])


def _same_shape(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape
