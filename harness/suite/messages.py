"""Validation messages that say how to fix: pydantic errors rewritten (did-you-mean for unknown
fields and values, "needs 3, has 2", the date format), one clause each."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `options` (empty when none is close)."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not close:  # a prefix or substring is a good guess too (max_tokens -> max_new_tokens)
        close = [o for o in options if word and (word in o or o in word)][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(kind: str, word: str, options: Sequence[str]) -> str:
    """`no task 'mcq'; did you mean 'mc'? (tasks: a, b)`."""
    return f"no {kind} {word!r}{did_you_mean(word, options)} ({kind}s: {', '.join(options)})"


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (`tuple[DocumentMeta, ...]` -> DocumentMeta)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel]:
    """The model that holds the last field of `loc`."""
    for part in loc[:-1]:
        if isinstance(part, str) and part in model.model_fields:
            inner = _inner_model(model.model_fields[part].annotation)
            if inner is None:
                break
            model = inner
    return model


def _fixed_length(model: type[BaseModel], field: str) -> int | None:
    """N for a field typed tuple[X, X, ...N times], else None."""
    info = model.model_fields.get(field)
    annotation = info.annotation if info else None
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and args and Ellipsis not in args:
        return len(args)
    if isinstance(annotation, types.UnionType):  # tuple[...] | None
        for option in typing.get_args(annotation):
            inner = typing.get_args(option)
            if typing.get_origin(option) is tuple and inner and Ellipsis not in inner:
                return len(inner)
    return None


def explain(error: Any, model: type[BaseModel]) -> str:
    """The message of one pydantic error item (`err.errors()` entry), saying how to fix."""
    kind, loc, ctx = error["type"], tuple(error["loc"]), error.get("ctx") or {}
    value = error.get("input")
    owner = _model_at(model, loc)
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        names = list(owner.model_fields)
        return (f"unknown field {field!r}{did_you_mean(field, names)} "
                f"(fields: {', '.join(names)})")
    if kind == "missing" and loc and isinstance(loc[-1], int):
        need = _fixed_length(owner, field)
        has = len(value) if isinstance(value, (list, tuple)) else loc[-1]
        return f"needs {need or loc[-1] + 1} items, has {has}"
    if kind == "missing":
        info = owner.model_fields.get(field)
        meaning = f": {info.description}" if info and info.description else ""
        example = f" (e.g. {info.examples[0]!r})" if info and info.examples else ""
        return f"required field missing{meaning}{example}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        has = ctx.get("actual_length", len(value) if isinstance(value, (list, tuple)) else "?")
        words = "at least" if kind == "too_short" else "at most"
        if kind == "too_long" and _fixed_length(owner, field) == bound:
            words = "exactly"
        if isinstance(value, str):
            return f"needs {words} {bound} characters, has {has}"
        return f"needs {words} {bound} item{'s' if bound != 1 else ''}, has {has}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '\"") for o in expected.replace(" or ", ",").split(",")]
        options = [o for o in options if o]
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        return f"{value!r} is not allowed{hint} (use one of: {', '.join(options)})"
    if kind.startswith("date"):
        return f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2025-07-15"
    if kind == "string_pattern_mismatch":
        info = owner.model_fields.get(field)
        meaning = f"; {info.description}" if info and info.description else ""
        return f"{value!r} does not match {ctx.get('pattern')}{meaning}"
    return str(error["msg"])
