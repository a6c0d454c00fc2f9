"""Matplotlib figures as inline SVG: text stays text, escaped by matplotlib's SVG writer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

from markupsafe import Markup  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # labels as <text>, escaped, rendered with the page's fonts
    "svg.hashsalt": "fact-harness",  # stable element ids
    "text.parse_math": False,  # a "$" in a model id is a dollar sign, not TeX
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_FORBIDDEN = ("<script", "<foreignobject", "javascript:", "<iframe")


@contextmanager
def figure(width: float, height: float) -> Iterator[Figure]:
    with matplotlib.rc_context(RC):
        yield Figure(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure) -> Markup:
    """The figure as an <svg> element to inline in a page. Every label was escaped by the SVG
    writer; the check below refuses the markup outright if anything active slipped through."""
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    svg = text[text.index("<svg"):]
    lowered = svg.lower()
    if any(bad in lowered for bad in _FORBIDDEN):
        raise ValueError("refusing to inline an SVG with active content")
    return Markup(svg)
