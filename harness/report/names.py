"""Names in the report: short unique model labels and safe page file names."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from harness.results.records import RunRecord


def model_label(run: RunRecord, detailed: bool = False) -> str:
    name = Path(run.model.model_id.rstrip("/")).name or run.model.model_id
    if not detailed:
        return name
    thinking = ", thinking" if run.settings.thinking else ""
    return f"{name} ({run.model.dtype}{thinking}, {run.settings.engine})"


def row_labels(runs: Sequence[RunRecord]) -> list[str]:
    """Short labels; setups of the same model are told apart by dtype/thinking/engine, and
    repeated runs by their run id."""
    labels = [model_label(r) for r in runs]
    if len(set(labels)) < len(labels):
        labels = [model_label(r, detailed=True) for r in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{label} {r.run_id}" for label, r in zip(labels, runs, strict=True)]
    return labels


def page_name(text: str) -> str:
    """A file name for `text`: the text itself when it is safe, else a slug plus a digest."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-")[:80]
    if slug == text and slug:
        return slug
    return f"{slug or 'page'}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"
