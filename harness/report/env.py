"""The Jinja2 environment of the report: package templates, autoescaping always on."""

from __future__ import annotations

import math
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.{digits}f}"


def sort_value(value: float | str | None) -> str:
    """The data-sort attribute of a table cell: a number, the text, or empty when missing."""
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(float(value))


@cache
def asset(name: str) -> Markup:
    """An inline asset shipped with the package (our own CSS/JS, not user data)."""
    path = files("harness.report").joinpath("assets").joinpath(name)
    return Markup(path.read_text(encoding="utf-8"))


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("harness.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = pct
    env.filters["sort_value"] = sort_value
    env.globals["asset"] = asset
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)
