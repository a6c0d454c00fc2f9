"""Render task templates in a sandboxed Jinja2 environment: task files are data, not code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from harness.errors import HarnessError

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def render_template(source: str, where: str, **variables: Any) -> str:
    """Render `source` with `variables`; any template problem becomes a one-line HarnessError."""
    try:
        return _compile(source).render(**variables)
    except TemplateError as err:
        raise HarnessError(f"{where}: template: {type(err).__name__}: {err}") from err
