"""Report charts stay readable: long category names never overlap, and models at the same
place in the knowledge-gap scatter stay distinguishable."""

from __future__ import annotations

import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg

from harness.report.plots import Point, Series, bars_size, draw_bars, spread, wrap_label
from harness.report.svg import figure

DOCUMENTS = ["yonhap-tariff-talks", "kh-chung-hearing", "kh-cabinet-commercial-act",
             "kh-exaone-4", "a-very-long-document-identifier-from-another-outlet",
             "short"]


def test_long_document_names_do_not_overlap() -> None:
    series = [Series(f"model-{k}", [0.5] * len(DOCUMENTS)) for k in range(3)]
    with figure(*bars_size(DOCUMENTS, series)) as fig:
        ax = draw_bars(fig, "by document", DOCUMENTS, series)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        boxes = [label.get_window_extent(renderer) for label in ax.get_xticklabels()]
    assert len(boxes) == len(DOCUMENTS)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)


def test_wrap_label_breaks_at_separators() -> None:
    assert wrap_label("short") == "short"
    wrapped = wrap_label("kh-cabinet-commercial-act")
    assert wrapped.replace("\n", "") == "kh-cabinet-commercial-act"
    assert max(len(line) for line in wrapped.splitlines()) <= 16


def test_points_at_one_place_are_set_apart() -> None:
    points = [Point(m, "open_qa − closed_qa", 0.0, 0.0) for m in ("a", "b", "c")]
    points.append(Point("d", "open_qa − closed_qa", 0.5, 0.7))
    offsets = spread(points)
    placed = {(round(100 * p.closed + dx, 3), round(100 * p.opened + dy, 3))
              for p, (dx, dy) in zip(points, offsets, strict=True)}
    assert len(placed) == 4  # every marker at its own place
    assert offsets[3] == (0.0, 0.0)  # a lone point is not moved
    assert all(abs(dx) <= 2 and abs(dy) <= 2 for dx, dy in offsets)
