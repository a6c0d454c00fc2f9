"""Pack the sequences that follow one cached prefix into a token trie, so each distinct token
prefix (an item's question, a choice's shared first word) is computed once.

A packed piece is one row of a forward pass: its nodes attend to the cached prefix and to their
own ancestors (a 4D mask), and sit at position prefix length + depth. Scored nodes (those whose
logits score a continuation) come last in the row, so one `logits_to_keep` covers them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from harness.engine.prefix import group_by_prefix


@dataclass(frozen=True)
class Path:
    member: int  # request index
    tokens: Sequence[int]  # the tokens after the prefix, fed to the model
    scored: int  # how many of the last positions score the continuation


@dataclass(frozen=True)
class Piece:
    """One packed row: trie nodes (unscored first, then scored) and each member's scored nodes."""

    tokens: list[int]
    depths: list[int]
    ancestors: list[list[int]]  # for each node: itself and its ancestors (node indices)
    scored_nodes: int  # the last `scored_nodes` nodes are scored
    members: dict[int, list[int]]  # request index -> its scored node indices, in order

    def mask(self) -> torch.Tensor:
        """(nodes, nodes) boolean: node i may attend to node j."""
        size = len(self.tokens)
        rows = [i for i, anc in enumerate(self.ancestors) for _ in anc]
        cols = [j for anc in self.ancestors for j in anc]
        out = torch.zeros((size, size), dtype=torch.bool)
        out[rows, cols] = True
        return out


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
        depths: list[int] = []
        ancestors: list[list[int]] = []
        chains: dict[int, list[int]] = {}
        for old in range(len(self.tokens)):  # parents are created before their children
            parent = self.parents[old]
            chains[old] = [*chains.get(parent, []), new[old]]
        for old in order:
            ancestors.append(chains[old])
            depths.append(len(chains[old]) - 1)
        members = {m: [new[n] for n in nodes[len(nodes) - k :]]
                   for m, (nodes, k) in self.paths.items()}
        return Piece([self.tokens[o] for o in order], depths, ancestors, len(scored), members)


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


@dataclass(frozen=True)
class _Unit:
    paths: list[Path]
    nodes: int
    scored: int


def _units(paths: Sequence[Path], max_nodes: int, max_scored: int) -> list[_Unit]:
    """Each run of paths sharing most of their tokens (a question and its choices), cut
    as `pack` cuts it to the caps."""
    units: list[_Unit] = []
    for group in group_by_prefix([p.tokens for p in paths]):
        members = [paths[i] for i in group.members]
        for piece in pack(members, max_nodes, max_scored):
            units.append(_Unit([p for p in members if p.member in piece.members],
                               len(piece.tokens), piece.scored_nodes))
    return units


def _rows_needed(units: Sequence[_Unit], max_nodes: int, max_scored: int) -> int:
    return max(1, math.ceil(sum(u.nodes for u in units) / max_nodes),
               math.ceil(sum(u.scored for u in units) / max_scored))


def _spread(units: Sequence[_Unit], rows: int, max_nodes: int, max_scored: int
            ) -> list[Piece]:
    """The units over `rows` rows (more where the caps need), largest first into the row it
    leaves least full (nodes and scored positions, each as a share of the mean) among those
    that take it; the rows' tries, widest first."""
    bins: list[list[Path]] = [[] for _ in range(rows)]
    loads = [[0, 0] for _ in range(rows)]  # each row's nodes and scored positions
    mean = (max(1.0, sum(u.nodes for u in units) / rows),
            max(1.0, sum(u.scored for u in units) / rows))

    def fill(row: int, unit: _Unit) -> float:  # the row's larger share of its mean after
        return max((loads[row][0] + unit.nodes) / mean[0],
                   (loads[row][1] + unit.scored) / mean[1])

    for unit in sorted(units, key=lambda u: -(u.nodes / mean[0] + u.scored / mean[1])):
        fits = [row for row in range(len(bins)) if not bins[row] or (
            loads[row][0] + unit.nodes <= max_nodes and loads[row][1] + unit.scored <= max_scored)]
        if not fits:  # no row takes it: a row of its own
            bins.append([])
            loads.append([0, 0])
            fits = [len(bins) - 1]
        row = min(fits, key=lambda r: (fill(r, unit), r))
        bins[row] += unit.paths
        loads[row][0] += unit.nodes
        loads[row][1] += unit.scored
    pieces = [pack(b, sum(len(p.tokens) for p in b), sum(p.scored for p in b))[0]
              for b in bins if b]
    return sorted(pieces, key=lambda piece: -len(piece.tokens))


def pack_even(groups: Sequence[Sequence[Path]], max_nodes: int, max_scored: int
              ) -> list[list[Piece]]:
    """Like `pack` for each group (the paths after one cached prefix), but even: every
    group in as many pieces as the neediest needs, so a round of one piece per group has
    no short last pieces nor rounds of a few rows (each a pass of its own). Widest first."""
    units = [_units(paths, max_nodes, max_scored) for paths in groups]
    rows = max((_rows_needed(u, max_nodes, max_scored) for u in units), default=1)
    return [_spread(u, min(rows, len(u)), max_nodes, max_scored) if u else [] for u in units]


def pack_rows(paths: Sequence[Path], max_nodes: int, max_scored: int,
              rows_per_pass: Callable[[int], int]) -> list[list[Piece]]:
    """Passes of packed rows for paths that read no cached prefix (closed-book questions
    and their choices): as few passes as the caps allow, the work spread over every row
    they hold (`rows_per_pass(width)`), so rows come out about equally wide and equally
    scored, and little of a pass is padding or logits unread."""
    units = _units(paths, max_nodes, max_scored)
    if not units:
        return []
    needed = _rows_needed(units, max_nodes, max_scored)
    width = max(math.ceil(sum(u.nodes for u in units) / needed), max(u.nodes for u in units))
    per_pass = rows_per_pass(width)
    rows = min(len(units), math.ceil(needed / per_pass) * per_pass)
    pieces = _spread(units, rows, max_nodes, max_scored)
    return [pieces[k : k + per_pass] for k in range(0, len(pieces), per_pass)]
