"""Greedy decode steps that read half of a float32 output head (CPU), with exact results.

A decode step of a small model spends much of its time reading the output head (EXAONE's
102400 x 768 head is half of the small bench shape's weights). For greedy decoding only each
row's argmax is needed, so while `SplitHead` is installed the head's float32 matrix is held
*in place* as blocks of high halves (a bfloat16 matrix: the truncated weights) and low halves
(`split_head.cpp`): no copy, no extra memory. A greedy step multiplies the high halves only
(oneDNN's bfloat16 product), bounds every logit's distance from the exact one, and computes
again, exactly, the few logits that could still be the largest (`split_pick`): the token is
the argmax of the exact logits. Every other use of the head or of the input embedding tied to
it rebuilds the exact float32 weights from both halves. Uninstalling puts the matrix back,
bit for bit.

Applies only to a plain `nn.Linear` head without bias (float32, CPU, no hooks) whose input
embedding, if tied, is a plain `nn.Embedding`; needs the compiled kernels (`native.py`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from harness.engine import native
from harness.engine.forwards import unhooked

BLOCK = 8192  # rows per block: one bfloat16 product per block of high halves
SMALL_ROWS = 64  # rows the compiled exact product takes; more: blocks rebuilt for F.linear


@dataclass
class Request:
    """What the next head call of this thread computes instead of logits."""

    kind: str  # "argmax": each row's greedy token; "discard": nothing (logits unused)
    ids: list[int] | None = None
    output: torch.Tensor | None = None  # the placeholder the head returned


@dataclass
class HeadSplit:
    """One head matrix held split while any engine has it installed."""

    head: nn.Linear
    embedding: nn.Embedding | None  # the input embedding tied to the head's weight
    norms: torch.Tensor = field(repr=False)
    users: int = 0
    local: threading.local = field(default_factory=threading.local, repr=False)
    last_output: torch.Tensor | None = field(default=None, repr=False)  # the latest exact logits
    # (first row, bfloat16 view of the block's high halves) for every block, while split
    high: list[tuple[int, torch.Tensor]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows, cols = self.weight.shape
        flat = self.weight.view(-1).view(torch.bfloat16)
        self.high = [(first, flat[2 * first * cols: 2 * first * cols
                                  + min(BLOCK, rows - first) * cols].view(-1, cols))
                     for first in range(0, rows, BLOCK)]

    @property
    def weight(self) -> torch.Tensor:
        return self.head.weight.detach()

    def exact(self, x: torch.Tensor) -> torch.Tensor:
        """x·wᵀ with the exact float32 weights (x: rows x in)."""
        if x.shape[0] <= SMALL_ROWS:
            return torch.ops.fact_harness.split_linear(x, self.weight, BLOCK)  # type: ignore[no-any-return]
        rows = self.weight.shape[0]
        parts = [F.linear(x, torch.ops.fact_harness.split_rows(
            self.weight, torch.arange(first, min(first + BLOCK, rows)), BLOCK))
            for first in range(0, rows, BLOCK)]
        return torch.cat(parts, dim=-1)

    def argmax(self, x: torch.Tensor) -> list[int]:
        """Each row's argmax of x·wᵀ, exact (see the module's doc)."""
        screened = x.to(torch.bfloat16)
        approx = torch.empty((self.weight.shape[0], x.shape[0]), dtype=torch.bfloat16)
        for first, block in self.high:  # high halves first: the weight's rows are theirs
            torch.mm(block, screened.t(), out=approx[first: first + block.shape[0]])
        ids = torch.ops.fact_harness.split_pick(x, screened, self.weight, BLOCK, self.norms,
                                                approx)
        chosen: list[int] = ids.tolist()
        for row, token in enumerate(chosen):
            if token < 0:  # x not finite: the full row, as argmax takes it
                chosen[row] = int(self.exact(x[row: row + 1]).argmax())
        return chosen

    def head_forward(self, x: torch.Tensor) -> torch.Tensor:
        width = x.shape[-1]
        flat = x.reshape(-1, width).contiguous()
        request: Request | None = getattr(self.local, "request", None)
        if request is not None and _plain(flat):
            self.local.request = None
            if request.kind == "argmax":
                request.ids = self.argmax(flat)
            # a placeholder the caller never reads (it asked for ids, or for nothing)
            request.output = x.new_zeros((*x.shape[:-1], self.weight.shape[0]))
            return request.output
        out = self.exact(flat).reshape(*x.shape[:-1], -1)
        self.last_output = out
        return out

    def embedding_forward(self, ids: torch.Tensor) -> torch.Tensor:
        rows = torch.ops.fact_harness.split_rows(self.weight, ids.cpu().long(), BLOCK)
        return rows.reshape(*ids.shape, self.weight.shape[1])  # type: ignore[no-any-return]


def _plain(x: torch.Tensor) -> bool:
    return x.dtype is torch.float32 and x.is_cpu and not torch.is_grad_enabled()


_lock = threading.Lock()
_active: dict[int, HeadSplit] = {}  # id(head weight) -> its split, while installed


def _plain_module(module: Any, kind: type[nn.Module]) -> bool:
    """Exactly `kind`, its `forward` untouched and unhooked."""
    return type(module) is kind and unhooked(module)


def _parts(model: nn.Module) -> tuple[nn.Linear, nn.Embedding | None] | None:
    """The model's head and tied embedding when the split applies to them, else None."""
    head: Any = getattr(model, "get_output_embeddings", lambda: None)()
    embedding: Any = getattr(model, "get_input_embeddings", lambda: None)()
    if not _plain_module(head, nn.Linear) or head.bias is not None:
        return None
    weight = head.weight
    if not (weight.dtype == torch.float32 and weight.is_cpu and weight.is_contiguous()
            and weight.dim() == 2 and weight.shape[1] % 16 == 0):
        return None
    storage = weight.untyped_storage().data_ptr()
    owners = [(module, name) for module in model.modules()  # each module's own tensors
              for name, t in (*module._parameters.items(), *module._buffers.items())
              if t is not None and t.untyped_storage().data_ptr() == storage]
    others = [module for module, name in owners if not (module is head and name == "weight")]
    if not others:
        return head, None
    tied = (others == [embedding] and isinstance(embedding, nn.Embedding)
            and embedding.weight is weight and _plain_module(embedding, nn.Embedding)
            and embedding.max_norm is None)
    return (head, embedding) if tied else None


class SplitHead:
    """Installs the split head on a model while the engine generates (see the module doc)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.verified: bool | None = None  # does the model return the head's output as logits?

    def applies(self, model: nn.Module) -> bool:
        """Enabled, not seen to transform its logits, and the head is split already or can be
        (the compiled kernels built)."""
        if not self.enabled or self.verified is False:
            return False
        with _lock:
            if id(model_head(model)) in _active:
                return True
        return _parts(model) is not None and native.few_rows_linear() is not None

    @contextmanager
    def installed(self, model: nn.Module) -> Iterator[HeadSplit | None]:
        """Hold the model's head split while the block runs (nothing when it does not apply)."""
        split = self._enter(model) if self.applies(model) else None
        try:
            yield split
        finally:
            if split is not None:
                self._exit(split)

    @staticmethod
    def _enter(model: nn.Module) -> HeadSplit | None:
        with _lock:
            head = model_head(model)
            split = _active.get(id(head))
            if split is None:
                parts = _parts(model)
                if parts is None:
                    return None
                head_module, embedding = parts
                with torch.no_grad():
                    norms = torch.ops.fact_harness.split_weight(head_module.weight.detach(), BLOCK)
                split = HeadSplit(head_module, embedding, norms)
                if not bool(torch.isfinite(norms).all()):  # a broken head: keep it whole
                    torch.ops.fact_harness.unsplit_weight(split.weight, BLOCK)
                    logging.getLogger(__name__).warning("head weights not finite: not split")
                    return None
                head_module.forward = split.head_forward  # type: ignore[method-assign,assignment]
                if embedding is not None:
                    embedding.forward = split.embedding_forward  # type: ignore[method-assign,assignment]
                _active[id(head)] = split
            split.users += 1
            return split

    @staticmethod
    def _exit(split: HeadSplit) -> None:
        with _lock:
            split.users -= 1
            if split.users:
                return
            _active.pop(id(split.head.weight), None)
            for module in (split.head, split.embedding):
                if module is not None and "forward" in vars(module):
                    del module.forward
            torch.ops.fact_harness.unsplit_weight(split.weight, BLOCK)
            split.last_output = None

    @staticmethod
    @contextmanager
    def request(split: HeadSplit | None, kind: str) -> Iterator[Request | None]:
        """The next head call of this thread computes `kind` instead of logits (None: the
        head is not split, calls compute logits)."""
        if split is None:
            yield None
            return
        request = Request(kind)
        split.local.request = request
        try:
            yield request
        finally:
            split.local.request = None


def model_head(model: nn.Module) -> Any:
    head = getattr(model, "get_output_embeddings", lambda: None)()
    return getattr(head, "weight", None)
