"""The report's charts: per-task bars with 95% error bars, knowledge-gap scatter, breakdowns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from harness.report.svg import figure, to_svg

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


def grouped_bars(title: str, categories: Sequence[str], series: Sequence[Series],
                 ylabel: str = "% correct") -> Markup:
    """Bars per category, one per series, with error bars where bounds are given."""
    width = max(5.0, 0.5 + 0.35 * len(categories) * max(1, len(series)))
    with figure(min(width, 12.0), 3.4) as fig:
        ax = fig.add_subplot()
        x = np.arange(len(categories))
        step = 0.8 / max(1, len(series))
        for k, s in enumerate(series):
            heights = [100 * v if v is not None else np.nan for v in s.values]
            ax.bar(x - 0.4 + step * (k + 0.5), heights, step * 0.92, yerr=_errors(s),
                   capsize=2, label=s.label, color=PALETTE[k % len(PALETTE)],
                   error_kw={"elinewidth": 0.8, "ecolor": "#333"})
        ax.set_xticks(x, list(categories), rotation=20 if len(categories) > 4 else 0,
                      ha="right" if len(categories) > 4 else "center")
        ax.set_ylim(0, 105)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return to_svg(fig)


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
        for p in points:
            ax.scatter(100 * p.closed, 100 * p.opened, s=42,
                       color=PALETTE[models.index(p.model) % len(PALETTE)],
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
