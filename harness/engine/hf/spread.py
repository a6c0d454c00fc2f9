"""Spread packed tries evenly over the rows of a pass: each question with its choices is a
unit (`trie.pack` cuts one that outgrows a row), and the units go to rows so that rows come
out about equally wide and equally scored: little of a pass is padding or logits unread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.engine.hf.prefix import group_by_prefix
from harness.engine.hf.trie import Path, Piece, pack

REFINE_ROUNDS = 64  # most moves/swaps tried on the fullest row after the greedy spread
REFINE_PARTNERS = 8  # the rows (least loaded first) a move or swap may go to


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


class _Rows:
    """Units assigned to rows, with each row's load: its nodes and scored positions."""

    def __init__(self, units: Sequence[_Unit], rows: int, max_nodes: int, max_scored: int):
        self.rows: list[list[_Unit]] = [[] for _ in range(rows)]
        self.loads: list[list[int]] = [[0, 0] for _ in range(rows)]
        self.caps = (max_nodes, max_scored)
        self.mean = (max(1.0, sum(u.nodes for u in units) / rows),
                     max(1.0, sum(u.scored for u in units) / rows))

    def _fits(self, load: Sequence[int], count: int) -> bool:
        return count <= 1 or (load[0] <= self.caps[0] and load[1] <= self.caps[1])

    def place(self, unit: _Unit) -> None:
        """Into the row it leaves least full (the larger of its loads, each as a share of
        the mean) among those that take it, else into a new row."""
        after = [[load[0] + unit.nodes, load[1] + unit.scored] for load in self.loads]
        takers = [r for r, load in enumerate(after) if self._fits(load, len(self.rows[r]) + 1)]
        if not takers:
            self.rows.append([])
            self.loads.append([0, 0])
            after.append([unit.nodes, unit.scored])
            takers = [len(self.rows) - 1]
        best = min(takers, key=lambda r: (max(after[r][0] / self.mean[0],
                                              after[r][1] / self.mean[1]), r))
        self.rows[best].append(unit)
        self.loads[best] = after[best]

    def refine(self) -> None:
        """Relieve the widest row, then the most-scored one: move a unit out of it, or swap
        one for a smaller one of one of the least loaded rows, while that lowers its load
        without raising the other row's above it nor either row's other load above the
        rows' most."""
        for dim in (0, 1, 0):
            for _ in range(REFINE_ROUNDS):
                if not self._relieve(dim):
                    break

    def _relieve(self, dim: int) -> bool:
        top = max(range(len(self.rows)), key=lambda r: self.loads[r][dim])
        worst = self.loads[top][dim]
        bound = max(load[1 - dim] for load in self.loads)
        best: tuple[int, int, int, int, list[int], list[int]] | None = None
        # (larger load after, row, i, j, top's loads after, the row's loads after)
        partners = sorted((r for r in range(len(self.rows)) if r != top),
                          key=lambda r: self.loads[r][dim])[:REFINE_PARTNERS]
        for other in partners:
            row = self.rows[other]
            for i, unit in enumerate(self.rows[top]):
                give = (unit.nodes, unit.scored)
                for j in range(-1, len(row)):  # -1: move, else swap with row[j]
                    take = (0, 0) if j < 0 else (row[j].nodes, row[j].scored)
                    if j >= 0 and take[dim] >= give[dim]:
                        continue
                    mine = [self.loads[top][d] - give[d] + take[d] for d in (0, 1)]
                    theirs = [self.loads[other][d] + give[d] - take[d] for d in (0, 1)]
                    count = len(self.rows[top]) - (j < 0)
                    larger = max(mine[dim], theirs[dim])
                    if (larger < worst and count and max(mine[1 - dim], theirs[1 - dim]) <= bound
                            and self._fits(mine, count)
                            and self._fits(theirs, len(row) + (j < 0))
                            and (best is None or larger < best[0])):
                        best = (larger, other, i, j, mine, theirs)
        if best is None:
            return False
        _, other, i, j, self.loads[top], self.loads[other] = best
        unit = self.rows[top].pop(i)
        if j >= 0:
            self.rows[top].append(self.rows[other].pop(j))
        self.rows[other].append(unit)
        return True

    def pieces(self) -> list[Piece]:
        """Each row's units as one trie, widest first."""
        pieces = []
        for row in self.rows:
            paths = [p for unit in row for p in unit.paths]
            if paths:
                pieces.append(pack(paths, sum(len(p.tokens) for p in paths),
                                   sum(p.scored for p in paths))[0])
        return sorted(pieces, key=lambda piece: -len(piece.tokens))


def _spread(units: Sequence[_Unit], rows: int, max_nodes: int, max_scored: int
            ) -> list[Piece]:
    """The units over `rows` rows (more where the caps need): largest first into the row
    it leaves least full, then moves and swaps that relieve the fullest row."""
    spread = _Rows(units, rows, max_nodes, max_scored)
    for unit in sorted(units, key=lambda u: -(u.nodes / spread.mean[0]
                                               + u.scored / spread.mean[1])):
        spread.place(unit)
    spread.refine()
    return spread.pieces()


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
    and their choices): as few rows as the caps allow (rounded up to a multiple of the
    passes they take at `rows_per_pass(width)` rows a pass), the work spread so rows come
    out about equally wide and equally scored: little of a pass is padding or logits
    unread. Passes take the rows widest first, `rows_per_pass` at a time (the last pass
    may hold fewer: 48 mc items on the small shape run 8 rows, then 2).
    (Spreading over every row of those passes instead was slower with few items: 16 mc
    items, small shape, 8 rows 0.88–0.95 s against 3 rows 0.82–0.86 s; about even at 48.)"""
    units = _units(paths, max_nodes, max_scored)
    if not units:
        return []
    needed = _rows_needed(units, max_nodes, max_scored)
    width = max(math.ceil(sum(u.nodes for u in units) / needed), max(u.nodes for u in units))
    per_pass = rows_per_pass(width)
    passes = math.ceil(needed / per_pass)
    rows = min(len(units), passes * math.ceil(needed / passes))
    pieces = _spread(units, rows, max_nodes, max_scored)
    return [pieces[k : k + per_pass] for k in range(0, len(pieces), per_pass)]
