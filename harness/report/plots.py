"""The report's charts: per-task bars with 95% error bars, knowledge-gap scatter, breakdowns."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from harness.report.svg import figure, to_svg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = ["#3b6fb6", "#e07b39", "#3a9a5b", "#b8433e", "#7d5ba6", "#8c6d4f", "#d063a6",
           "#6f7782", "#a6a33a", "#2fa7b8"]


@dataclass(frozen=True)
class Series:
    """One model's bars: a value per category (None: no data), optional 95% bounds."""

    label: str
    values: Sequence[float | None]
    lows: Sequence[float | None] | None = None
    highs: Sequence[float | None] | None = None


def _errors(s: Series) -> npt.NDArray[np.float64] | None:
    if s.lows is None or s.highs is None:
        return None
    below = [v - lo if v is not None and lo is not None else 0.0
             for v, lo in zip(s.values, s.lows, strict=True)]
    above = [hi - v if v is not None and hi is not None else 0.0
             for v, hi in zip(s.values, s.highs, strict=True)]
    bars: npt.NDArray[np.float64] = np.clip(np.array([below, above], dtype=float), 0.0, None)
    return 100 * bars


def draw_bars(fig: Figure, title: str, categories: Sequence[str], series: Sequence[Series],
              ylabel: str = "% correct") -> Axes:
    """Bars per category, one per series, with error bars where bounds are given; long
    category names wrapped, and set upright when crowded (rotated text at an angle still
    overlaps its neighbours once names are long)."""
    ax = fig.add_subplot()
    x = np.arange(len(categories))
    step = 0.8 / max(1, len(series))
    for k, s in enumerate(series):
        heights = [100 * v if v is not None else np.nan for v in s.values]
        ax.bar(x - 0.4 + step * (k + 0.5), heights, step * 0.92, yerr=_errors(s),
               capsize=2, label=s.label, color=PALETTE[k % len(PALETTE)],
               error_kw={"elinewidth": 0.8, "ecolor": "#333"})
    labels = [wrap_label(c) for c in categories]
    crowded = len(categories) > 4 or any(len(c) > 14 for c in categories)
    ax.set_xticks(x, labels, rotation=90 if crowded else 0)  # upright: never overlapping
    ax.set_ylim(0, 105)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def bars_size(categories: Sequence[str], series: Sequence[Series]) -> tuple[float, float]:
    width = max(5.0, 0.5 + 0.35 * len(categories) * max(1, len(series)))
    return min(width, 12.0), 3.4


def grouped_bars(title: str, categories: Sequence[str], series: Sequence[Series],
                 ylabel: str = "% correct") -> Markup:
    """Bars per category, one per series, with error bars where bounds are given."""
    with figure(*bars_size(categories, series)) as fig:
        draw_bars(fig, title, categories, series, ylabel)
        return to_svg(fig)


def wrap_label(text: str, width: int = 16) -> str:
    """A long category name (a document id, a task) on lines of at most `width` characters,
    broken at '-', '_' or spaces where it can be."""
    if len(text) <= width:
        return text
    pieces = re.split(r"(?<=[-_ ])", text)
    lines, line = [], ""
    for piece in pieces:
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\n".join(textwrap.fill(part, width) for part in lines)


def spread(points: Sequence[Point], radius: float = 1.6) -> list[tuple[float, float]]:
    """Offsets (in % points) that set points at the same place apart on a small circle, so
    that every model's marker shows; a lone point is not moved."""
    places: dict[tuple[float, float], list[int]] = {}
    for index, p in enumerate(points):
        places.setdefault((round(100 * p.closed, 1), round(100 * p.opened, 1)), []).append(index)
    offsets = [(0.0, 0.0)] * len(points)
    for members in places.values():
        if len(members) < 2:
            continue
        for k, index in enumerate(members):
            angle = 2 * math.pi * k / len(members)
            offsets[index] = (radius * math.cos(angle), radius * math.sin(angle))
    return offsets


@dataclass(frozen=True)
class Point:
    model: str
    pair: str
    closed: float
    opened: float


def gap_scatter(points: Sequence[Point]) -> Markup:
    """Closed-book (x) vs open-book (y) score per model and task pair; the diagonal is no gap."""
    models = list(dict.fromkeys(p.model for p in points))
    pairs = list(dict.fromkeys(p.pair for p in points))
    markers = "osD^v<>"
    with figure(5.6, 3.8) as fig:
        ax = fig.add_subplot()
        ax.plot([0, 100], [0, 100], color="#999", linestyle="--", linewidth=0.8)
        for p, (dx, dy) in zip(points, spread(points), strict=True):
            ax.scatter(100 * p.closed + dx, 100 * p.opened + dy, s=46, alpha=0.8,
                       color=PALETTE[models.index(p.model) % len(PALETTE)],
                       edgecolors="#222", linewidths=0.6,
                       marker=markers[pairs.index(p.pair) % len(markers)])
        for k, model in enumerate(models):
            ax.scatter([], [], color=PALETTE[k % len(PALETTE)], label=model)
        for k, pair in enumerate(pairs):
            ax.scatter([], [], color="#777", marker=markers[k % len(markers)], label=pair)
        ax.set_xlim(-2, 102)
        ax.set_ylim(-2, 102)
        ax.set_xlabel("closed-book %")
        ax.set_ylabel("open-book %")
        ax.set_title("knowledge gap: above the diagonal, the document helps")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return to_svg(fig)
