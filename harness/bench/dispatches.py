"""Counting the operators torch dispatches: on a GPU each one that is not a view is a kernel
launch, so their number is a CPU-side measure of a launch-bound pass."""

from __future__ import annotations

from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode


class Dispatches(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Counts every operator torch dispatches while active (views included) in `ops`."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.ops = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        self.ops += 1
        return func(*args, **(kwargs or {}))
