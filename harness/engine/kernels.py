"""CPU, float32: which matrix product each small linear-layer call runs, chosen by timing.

A decode step multiplies a few rows (one per sequence) by every weight matrix. For such
calls MKL's sgemm (what `F.linear` runs) is far from the cost of reading the weights once:
on a 2-core Xeon, 8 rows through EXAONE's 102400-row head took 2.1x the time oneDNN's
matmul took, and `W·xᵀ` beat `x·Wᵀ` for some layer shapes at 8–32 rows, while at 2–3
rows plain `F.linear` won. Which product wins depends on the CPU and the libraries, so
nothing here is a fixed rule: the first call of each (rows, out, in) shape runs each
candidate (all compute the same product, to float32 rounding) on its own input, timed where
it runs, inside the model's own pass, and the shape keeps the fastest from then on, this
call included. Calls with more rows than `SMALL_ROWS` (prompt passes) choose the same way
between the library products made for many rows (`MANY_ROW_PRODUCTS`), one choice per
weight shape: on a 2-core AMD EPYC (Zen 4) MKL's sgemm ran prompt-sized products at
~140-170 GFLOPS and oneDNN's at ~260-370, the same float32 products (both within ~3e-7 of
|x|·|w| of float64). One candidate is this project's own kernel (`few_rows.cpp`, built for
the CPU on first use by `native.py`), which reads each weight tile once for all rows: at
4–8 rows it timed 1.1–1.7x the best library product on the 2-core Xeon; where it cannot be
built, the library products compete alone.

Each choice is kept per machine (`choices.py`): a later process, and a shape's every later
call, runs the same product, so two runs of one command on one machine compute the same
numbers whichever candidate the clock favoured.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import native
from harness.engine.choices import Choices
from harness.engine.forwards import replaced, untouched

SMALL_ROWS = 64  # calls with at most this many rows choose among every product
MANY_ROW_PRODUCTS = ("mkl", "onednn")  # what calls with more rows choose among
MANY_ROWS = 0  # the row count in the shape key of every call of more than SMALL_ROWS rows
WARM_ROUNDS = 1  # untimed calls of each candidate first (oneDNN builds its primitive; in
# a process's first prompt pass its first head call took 2-3x its later ones)
TIMED_ROUNDS = 1  # then this many timed calls of each; the least total wins. One: where it
# matters the candidates differ by 1.1-4x, more than a single timing's noise

FALLBACK = "F.linear"  # what a shape whose every candidate failed runs

Product = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Clock = Callable[[], float]


def mkl_linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return F.linear(x, weight)


def weight_first(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """`(W·xᵀ)ᵀ`: the same product with the weight as the left operand."""
    return torch.mm(weight, x.t()).t().contiguous()


def onednn_linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """oneDNN's matmul on the dense weight, as it is (no packed copy)."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, None, "none", [], "")  # type: ignore[no-any-return]


def onednn_weight_first(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """oneDNN's matmul with the weight as the left operand."""
    return onednn_linear(weight, x).t().contiguous()


def default_products() -> dict[str, Product]:
    products: dict[str, Product] = {"mkl": mkl_linear, "weight-first": weight_first}
    onednn = torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]
    if onednn and hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        products["onednn"] = onednn_linear
        products["onednn-weight-first"] = onednn_weight_first
    few_rows = native.few_rows_linear()
    if few_rows is not None:
        products["few-rows"] = few_rows
    else:
        logging.getLogger(__name__).warning(
            "few-row kernel not built (%s): library products only", native.build_error())
    return products


class LinearKernels:
    """Installs the choosing `forward` on a model's plain float32 CPU `nn.Linear` layers
    while the engine runs, and keeps what it chose (per shape) across calls."""

    def __init__(self, enabled: bool = True, products: dict[str, Product] | None = None,
                 clock: Clock = time.perf_counter,
                 many_rows: tuple[str, ...] = MANY_ROW_PRODUCTS,
                 kept: Choices | None = None) -> None:
        self.enabled = enabled
        self._products = products  # None: `default_products()`, built at the first install
        self.many_rows = many_rows  # names of the products calls of many rows choose among
        self.clock = clock
        self.kept = kept or Choices()  # the machine's choices (none given: this object's)
        self.chosen: dict[tuple[int, int, int], str] = {}
        self.timed = 0  # shapes this object chose by timing (the others: read back)
        self._lock = threading.Lock()  # two engines sharing a model share its installed layers

    @staticmethod
    def applies(module: nn.Module) -> bool:
        """A plain float32 CPU layer whose `forward` nobody replaced (accelerate's hooks,
        another install)."""
        weight = getattr(module, "weight", None)
        return (type(module) is nn.Linear and isinstance(weight, torch.Tensor)
                and weight.device.type == "cpu" and weight.dtype == torch.float32
                and weight.is_contiguous() and untouched(module))

    @property
    def products(self) -> dict[str, Product]:
        if self._products is None:
            self._products = default_products()
        return self._products

    @property
    def names(self) -> list[str]:
        return list(self.products)

    @property
    def many_row_names(self) -> list[str]:
        """The candidates of calls with more than `SMALL_ROWS` rows; none (F.linear as it
        is) where fewer than two of them are available."""
        names = [name for name in self.many_rows if name in self.products]
        return names if len(names) > 1 else []

    def layers(self, model: nn.Module) -> list[nn.Linear]:
        """The layers a choosing `forward` goes on (none when disabled)."""
        return [m for m in model.modules()
                if isinstance(m, nn.Linear) and self.applies(m)] if self.enabled else []

    def prepare(self, model: nn.Module) -> None:
        """Build the candidates now (the compiled kernel: once per machine) if any layer of
        `model` will use them, so that no pass waits for a build."""
        if self.layers(model):
            _ = self.products

    @contextmanager
    def installed(self, model: nn.Module) -> Iterator[None]:
        layers = self.layers(model)
        if layers:
            _ = self.products
        with replaced(layers, self._forward_of):
            yield

    def _forward_of(self, layer: nn.Linear) -> Callable[[torch.Tensor], torch.Tensor]:
        def forward(x: torch.Tensor) -> torch.Tensor:
            return self.linear(x, layer.weight, layer.bias)
        return forward

    def linear(self, x: torch.Tensor, weight: torch.Tensor,
               bias: torch.Tensor | None = None) -> torch.Tensor:
        rows = x.numel() // x.shape[-1] if x.shape[-1] else 0
        if rows == 0 or not self._plain(x, weight):
            return F.linear(x, weight, bias)
        key = (rows_key(rows), weight.shape[0], weight.shape[1])
        flat = x.reshape(rows, x.shape[-1]).contiguous()  # oneDNN crawls on strided rows
        name = self.chosen.get(key) or self._choose(key, flat, weight)
        if name == FALLBACK:  # many rows and fewer than two products for them, or all failed
            return F.linear(x, weight, bias)
        out = self.products[name](flat, weight)
        if bias is not None:
            out = out + bias
        return out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def _plain(x: torch.Tensor, weight: torch.Tensor) -> bool:
        """What the candidates compute (checked at every call: a layer installed as float32
        CPU may be cast or moved while installed): float32 on the CPU, no gradient to keep,
        no autocast to follow."""
        return (weight.dtype is torch.float32 and x.dtype is torch.float32
                and weight.is_cpu and x.is_cpu
                and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))
                and not torch.is_autocast_enabled("cpu"))

    def _choose(self, key: tuple[int, int, int], x: torch.Tensor, weight: torch.Tensor) -> str:
        """The shape's product: the one kept for it on this machine, else the fastest of
        its candidates timed on this call's input (then kept)."""
        names = self.names if key[0] != MANY_ROWS else self.many_row_names
        if not names:
            return FALLBACK
        label = (f"linear {rows_label(key[0])}x{key[1]}x{key[2]} of {' '.join(names)}, "
                 f"{torch.get_num_threads()} threads")

        def timed() -> str:
            self.timed += 1
            return self._fastest(key, x, weight, names)

        with self._lock:  # two engines sharing a model time a shape once
            name = self.kept.settle(label, timed,
                                    valid=lambda kept: kept in names or kept == FALLBACK)
            self.chosen[key] = name
        return name

    def _fastest(self, key: tuple[int, int, int], x: torch.Tensor, weight: torch.Tensor,
                 names: list[str]) -> str:
        """Run each candidate `WARM_ROUNDS` times untimed, then `TIMED_ROUNDS` times timed;
        the least timed total wins (ties: the first named); a candidate that fails never
        does, and where all fail, `FALLBACK`."""
        totals = [0.0] * len(names)
        for round_ in range(WARM_ROUNDS + TIMED_ROUNDS):
            for i, name in enumerate(names):
                if math.isnan(totals[i]):
                    continue
                started = self.clock()
                try:
                    self.products[name](x, weight)
                except RuntimeError as error:
                    logging.getLogger(__name__).warning(
                        "product %s failed on %dx%dx%d: %s", name, x.shape[0], *key[1:], error)
                    totals[i] = math.nan
                    continue
                if round_ >= WARM_ROUNDS:
                    totals[i] += self.clock() - started
        timed = [(total, i) for i, total in enumerate(totals) if not math.isnan(total)]
        return names[min(timed)[1]] if timed else FALLBACK

    def summary(self) -> dict[str, str]:
        """What each shape runs, 'rows x out x in' -> product (shapes still on trial: none)."""
        return {f"{rows_label(r)}x{o}x{i}": name for (r, o, i), name in sorted(self.chosen.items())}


def rows_key(rows: int) -> int:
    """The row count a call's choice is kept under: its own up to `SMALL_ROWS`, above it
    `MANY_ROWS` (prompt passes vary in rows, and which product is fastest there did not:
    oneDNN's at 72 to 1081 rows on the EPYC)."""
    return rows if rows <= SMALL_ROWS else MANY_ROWS


def rows_label(key: int) -> str:
    """'8' for a few-row key, '65+' for calls of more rows."""
    return f"{SMALL_ROWS + 1}+" if key == MANY_ROWS else str(key)
