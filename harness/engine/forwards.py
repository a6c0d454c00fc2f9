"""Layers whose `forward` the engine replaces while it runs (few-row products, fused norms, the
head screen): which layers are free to take one, and the replacing itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from torch import nn

Forward = Callable[..., Any]


def untouched(module: nn.Module) -> bool:
    """Nobody replaced its `forward`: no accelerate hook, no other install."""
    return not hasattr(module, "_hf_hook") and "forward" not in vars(module)


def unhooked(module: nn.Module) -> bool:
    """Untouched, and no forward hooks either (they would see another computation's inputs)."""
    return untouched(module) and not module._forward_hooks and not module._forward_pre_hooks


@contextmanager
def replaced(layers: Sequence[nn.Module],
             forward_of: Callable[[Any], Forward]) -> Iterator[None]:
    """Each layer runs `forward_of(layer)` while the block runs; afterwards its own `forward`
    again, unless another install replaced ours meanwhile (that one removes its own)."""
    mine = {id(layer): forward_of(layer) for layer in layers}
    for layer in layers:
        layer.forward = mine[id(layer)]
    try:
        yield
    finally:
        for layer in layers:
            if vars(layer).get("forward") is mine[id(layer)]:
                del layer.forward
