"""Pack the sequences that follow one cached prefix into a token trie, so each distinct token
prefix (an item's question, a choice's shared first word) is computed once.

A packed piece is one row of a forward pass: its nodes attend to the cached prefix and to their
own ancestors (a 4D mask), and sit at position prefix length + depth. Scored nodes (those whose
logits score a continuation) come last in the row, so one `logits_to_keep` covers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Path:
    member: int  # request index
    tokens: Sequence[int]  # the tokens after the prefix, fed to the model
    scored: int  # how many of the last positions score the continuation


@dataclass(frozen=True)
class Piece:
    """One packed row: trie nodes (unscored first, then scored) and each member's scored nodes.

    Each node keeps its parent, not its chain of ancestors: a chain per node is quadratic in
    a path's length (a plain row of 1,300 tokens held ~7 MB of lists)."""

    tokens: list[int]
    depths: list[int]
    parents: list[int]  # for each node: its parent's node index, -1 for a root
    scored_nodes: int  # the last `scored_nodes` nodes are scored
    members: dict[int, list[int]]  # request index -> its scored node indices, in order

    def ancestors(self, node: int) -> list[int]:
        """`node` and its ancestors, nearest first."""
        chain = []
        while node >= 0:
            chain.append(node)
            node = self.parents[node]
        return chain

    def mask(self) -> torch.Tensor:
        """(nodes, nodes) boolean: node i may attend to node j (itself and its ancestors)."""
        size = len(self.tokens)
        out = np.zeros((size, size), dtype=np.bool_)
        for node in sorted(range(size), key=self.depths.__getitem__):  # parents first
            parent = self.parents[node]
            if parent >= 0:
                out[node] = out[parent]
            out[node, node] = True
        return torch.from_numpy(out)


class _Trie:
    def __init__(self) -> None:
        self.tokens: list[int] = []
        self.parents: list[int] = []
        self.children: dict[tuple[int, int], int] = {}
        self.paths: dict[int, tuple[list[int], int]] = {}  # member -> (nodes, scored)

    def cost(self, tokens: Sequence[int]) -> int:
        """New nodes that inserting `tokens` would add."""
        node = -1
        for depth, token in enumerate(tokens):
            child = self.children.get((node, token))
            if child is None:
                return len(tokens) - depth
            node = child
        return 0

    def insert(self, path: Path) -> None:
        node, nodes = -1, []
        for token in path.tokens:
            child = self.children.get((node, token))
            if child is None:
                child = len(self.tokens)
                self.tokens.append(token)
                self.parents.append(node)
                self.children[(node, token)] = child
            nodes.append(child)
            node = child
        self.paths[path.member] = (nodes, path.scored)

    def piece(self) -> Piece:
        scored = {n for nodes, k in self.paths.values() for n in nodes[len(nodes) - k :]}
        order = [n for n in range(len(self.tokens)) if n not in scored] + sorted(scored)
        new = {old: i for i, old in enumerate(order)}
        depth: list[int] = []
        for parent in self.parents:  # parents are created before their children
            depth.append(depth[parent] + 1 if parent >= 0 else 0)
        parents = [new[self.parents[old]] if self.parents[old] >= 0 else -1 for old in order]
        members = {m: [new[n] for n in nodes[len(nodes) - k :]]
                   for m, (nodes, k) in self.paths.items()}
        return Piece([self.tokens[o] for o in order], [depth[o] for o in order], parents,
                     len(scored), members)


def pack(paths: Sequence[Path], max_nodes: int, max_scored: int, share: bool = True
         ) -> list[Piece]:
    """Tries of at most `max_nodes` nodes and `max_scored` scored positions (a longer single
    path gets a piece of its own), filled in the given order; `share=False` puts every path in
    a piece of its own (a plain causal row: no 4D mask needed)."""
    pieces: list[Piece] = []
    trie, scored = _Trie(), 0
    for path in paths:
        full = (len(trie.tokens) + trie.cost(path.tokens) > max_nodes
                or scored + path.scored > max_scored)
        if trie.paths and (not share or full):
            pieces.append(trie.piece())
            trie, scored = _Trie(), 0
        trie.insert(path)
        scored += path.scored
    if trie.paths:
        pieces.append(trie.piece())
    return pieces
