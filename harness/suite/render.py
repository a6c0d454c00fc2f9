"""Render task templates in a sandboxed Jinja2 environment: task files are data, not code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from harness.errors import HarnessError

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def _describe(err: Exception) -> str:
    if isinstance(err, TemplateSyntaxError):  # str() would add the source line on new lines
        return f"{type(err).__name__}: {err.message} (template line {err.lineno})"
    return f"{type(err).__name__}: {err}"


def render_template(source: str, where: str, field: str = "template", hint: str = "", /,
                    **variables: Any) -> str:
    """Render `source` with `variables`; any template problem (syntax, sandbox, undefined
    variable, or an error the template's own expressions raise, such as 1/0) becomes a
    one-line HarnessError `where: field: ErrorType: message`. An undefined variable's message
    adds `hint` (what the task provides), or else the names of `variables`."""
    try:
        return _compile(source).render(**variables)
    except UndefinedError as err:
        known = hint or f"variables: {', '.join(variables) or '(none)'}"
        raise HarnessError(f"{where}: {field}: {_describe(err)} ({known})") from err
    except Exception as err:  # the template is data: whatever it raises is its problem
        raise HarnessError(f"{where}: {field}: {_describe(err)}") from err
