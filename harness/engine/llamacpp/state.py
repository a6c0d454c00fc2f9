"""The one sequence llama.cpp holds, grown and rewound so that a shared prefix is computed
once.

`Llama.eval(tokens)` appends `tokens` after the `n_tokens` it holds (dropping the KV cache
beyond them) and writes each position's logits into `scores` (with `logits_all`). It does
not look for a shared prefix itself (`tests/gguf` measures it). Here a new sequence keeps
the longest prefix it shares with the held one (`n_tokens` rewound to it) and only the rest
is evaluated: requests sorted by their tokens (`order`) then run each document's prefix once.
Rows of `scores` below `n_tokens` stay valid: a position's logits depend on the tokens up
to it only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.engine.hf.prefix import common_prefix
from harness.engine.types import EngineStats


def order(sequences: Sequence[Sequence[int]]) -> list[int]:
    """Indices of `sequences` in token order: sequences sharing a prefix run one after
    another, so each shared prefix is evaluated once."""
    return sorted(range(len(sequences)), key=lambda i: tuple(sequences[i]))


class HeldSequence:
    """llama.cpp's held sequence, with prefix reuse (or, without it, each sequence whole)."""

    def __init__(self, llm: Any, stats: EngineStats, reuse: bool = True) -> None:
        self.llm = llm
        self.stats = stats
        self.reuse = reuse

    @property
    def held(self) -> list[int]:
        return [int(t) for t in self.llm.input_ids[: self.llm.n_tokens]]

    def hold(self, tokens: Sequence[int]) -> None:
        """Make the held sequence exactly `tokens` (their logits in `scores`), evaluating only
        what it does not already hold (all of it without reuse)."""
        keep = common_prefix(self.held, tokens) if self.reuse else 0
        self.llm.n_tokens = keep  # what lies beyond is dropped by the next eval
        if keep < len(tokens):
            self.eval(tokens[keep:])

    def eval(self, tokens: Sequence[int]) -> None:
        """Append `tokens` to the held sequence."""
        self.llm.eval(list(tokens))
        self.stats.count_pass(len(tokens), len(tokens))  # logits_all: every position's logits

    def logits(self, position: int) -> np.ndarray:
        """The next-token logits after the held token at `position`."""
        row: np.ndarray = self.llm.scores[position]
        return row

    def last_logits(self) -> np.ndarray:
        return self.logits(self.llm.n_tokens - 1)


def log_softmax_at(logits: np.ndarray, token: int) -> tuple[float, bool]:
    """log p(token) under `logits`, and whether it is the argmax."""
    row = logits.astype(np.float64)
    peak = row.max()
    logz = peak + np.log(np.exp(row - peak).sum())
    return float(row[token] - logz), int(row.argmax()) == token
