"""Greedy decode steps that screen a float32 output head in int8 (CPU), with exact results.

A decode step of a small model spends much of its time reading the output head (EXAONE's
102400 x 768 head is half of the small bench shape's weights). For greedy decoding only each
row's argmax is needed. While `HeadScreen` is installed, the engine holds an int8 copy of the
head (a quarter of its bytes, with each row's scale and error bounds; `head_screen.cpp`). A
greedy step multiplies it by x in two int8 codes (`torch._int_mm`, exact int32 sums), bounds
every approximate logit's distance from the exact one, and computes again, exactly, the few
logits that could still be the largest (`screen_pick`): the token is the argmax of the exact
logits. The head's own weights are never changed; every other call computes its logits as
`nn.Linear` does. The copy is dropped when the block ends.

Applies only to a plain `nn.Linear` head without bias (float32, CPU, no hooks), where the
compiled kernels are built (`native.py`) and the screen timed faster than the float32 head's
few-row product on this machine (once per head shape and machine: `choices.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import native
from harness.engine.choices import Choices
from harness.engine.forwards import unhooked

TIMED_ROWS = 8  # rows of x the screen is timed with against the float32 head (a decode batch)


@dataclass
class Request:
    """What the next head call of this thread computes instead of logits."""

    kind: str  # "argmax": each row's greedy token; "discard": nothing (logits unused)
    ids: list[int] | None = None
    output: torch.Tensor | None = None  # the placeholder the head returned


class Screen:
    """A head's int8 copy and bounds, and its `forward` while installed."""

    def __init__(self, head: nn.Linear) -> None:
        self.head = head
        with torch.no_grad():
            self.codes, self.info = torch.ops.fact_harness.screen_weight(self.weight)
        self.maxima = self.info.amax(dim=1).contiguous()  # s, |r| and s|q| bounds' largest
        self.local = threading.local()
        self.last_output: torch.Tensor | None = None  # the latest exact logits
        self._placeholder: torch.Tensor | None = None

    @property
    def weight(self) -> torch.Tensor:
        return self.head.weight.detach()

    @property
    def finite(self) -> bool:
        return bool(torch.isfinite(self.info).all())

    def argmax(self, x: torch.Tensor) -> list[int]:
        """Each row's argmax of x·wᵀ, exact (see the module's doc)."""
        ops = torch.ops.fact_harness
        codes, rows = ops.screen_rows(x)
        products = torch._int_mm(self.codes, codes)
        picked = ops.screen_pick(x, self.weight, self.info, self.maxima, rows, products)
        chosen: list[int] = picked.tolist()
        for row, token in enumerate(chosen):
            if token < 0:  # x not finite: the full row, as argmax takes it
                chosen[row] = int(F.linear(x[row: row + 1], self.weight).argmax())
        return chosen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        request: Request | None = getattr(self.local, "request", None)
        if request is not None and _plain(x):
            self.local.request = None
            if request.kind == "argmax":
                request.ids = self.argmax(x.reshape(-1, x.shape[-1]))
            # a placeholder the caller never reads (it asked for ids, or for nothing)
            request.output = self._zeros((*x.shape[:-1], self.weight.shape[0]))
            return request.output
        out = F.linear(x, self.head.weight)  # what nn.Linear computes (it has no bias)
        self.last_output = out
        return out

    def _zeros(self, shape: tuple[int, ...]) -> torch.Tensor:
        """Zeros of `shape`, the same tensor while the shape holds (never read, never filled
        again)."""
        if self._placeholder is None or tuple(self._placeholder.shape) != shape:
            self._placeholder = torch.zeros(shape)
        return self._placeholder


def _plain(x: torch.Tensor) -> bool:
    return x.dtype is torch.float32 and x.is_cpu and not torch.is_grad_enabled()


def screenable(model: nn.Module) -> nn.Linear | None:
    """The model's head when it is a plain float32 CPU `nn.Linear` without bias, else None."""
    head: Any = getattr(model, "get_output_embeddings", lambda: None)()
    if type(head) is not nn.Linear or not unhooked(head) or head.bias is not None:
        return None
    weight = head.weight
    if not (weight.dtype == torch.float32 and weight.is_cpu and weight.dim() == 2
            and weight.shape[1] < 2**16):  # int32 sums of 127 x 127 products stay exact
        return None
    return head


def _seconds(call: Callable[[], object], warm_up: bool) -> float:
    if warm_up:
        call()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


class HeadScreen:
    """Installs the screen on a model's head while the engine generates (see the module doc)."""

    def __init__(self, enabled: bool = True, kept: Choices | None = None) -> None:
        self.enabled = enabled
        self.kept = kept or Choices()  # the machine's choices (none given: this object's)
        self.verified: bool | None = None  # does the model return the head's output as logits?
        self.faster: bool | None = None  # did the screen time faster than the float32 head?

    @property
    def used(self) -> bool | None:
        """True once greedy steps ran screened, False where refused (logits transformed, or
        the screen timed slower), None where it never came to apply."""
        if self.verified is False or self.faster is False:
            return False
        return True if self.verified else None

    def applies(self, model: nn.Module) -> bool:
        """Enabled, not seen to transform its logits or to time slower, a head it can screen,
        and the compiled kernels built."""
        return (self.enabled and self.verified is not False and self.faster is not False
                and screenable(model) is not None and native.few_rows_linear() is not None)

    @contextmanager
    def installed(self, model: nn.Module) -> Iterator[Screen | None]:
        """The model's head screened while the block runs (None where it does not apply)."""
        screen = self._enter(model) if self.applies(model) else None
        try:
            yield screen
        finally:
            if screen is not None:
                if vars(screen.head).get("forward") == screen.forward:
                    del screen.head.forward
                screen.last_output = screen._placeholder = None

    def _enter(self, model: nn.Module) -> Screen | None:
        head = screenable(model)
        if head is None:
            return None
        screen = Screen(head)
        if not screen.finite:  # a broken head: left as it is
            logging.getLogger(__name__).warning("head weights not finite: not screened")
            return None
        if self.faster is None:
            rows, columns = screen.weight.shape
            key = f"head screen {TIMED_ROWS}x{rows}x{columns}, {torch.get_num_threads()} threads"
            self.faster = self.kept.settle(
                key, lambda: "screen" if self._time(screen) else "float32",
                valid=lambda kept: kept in ("screen", "float32")) == "screen"
            if not self.faster:
                return None
        head.forward = screen.forward  # type: ignore[method-assign,assignment]
        return screen

    @staticmethod
    def _time(screen: Screen) -> bool:
        """Whether the screen's argmax beats the product the engine would run for the head
        otherwise on this machine (the compiled few-row kernel)."""
        product = native.few_rows_linear()
        if product is None:
            return False
        x = torch.randn(TIMED_ROWS, screen.weight.shape[1])
        with torch.inference_mode():
            # the screen's first call sets up oneDNN's int8 product (~25 ms): not timed
            screened = _seconds(lambda: screen.argmax(x), warm_up=True)
            plain = _seconds(lambda: product(x, screen.weight).argmax(-1), warm_up=False)
        return screened < plain

    @staticmethod
    @contextmanager
    def request(screen: Screen | None, kind: str) -> Iterator[Request | None]:
        """The next head call of this thread computes `kind` instead of logits (None: the
        head is not screened, calls compute logits)."""
        if screen is None:
            yield None
            return
        request = Request(kind)
        screen.local.request = request
        try:
            yield request
        finally:
            screen.local.request = None
