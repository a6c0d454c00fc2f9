"""The build's summary as rows and counts (the CLI prints them)."""

from __future__ import annotations

from collections import Counter

from harness.build.pipeline import BuildResult


def by_reason(result: BuildResult) -> list[tuple[str, int]]:
    counts = Counter(r.reason for d in result.documents for r in d.rejected)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def document_rows(result: BuildResult) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for d in result.documents:
        date = d.doc.published.isoformat() if d.doc.published else "none"
        reasons = Counter(r.reason for r in d.rejected).most_common(2)
        top = ", ".join(f"{k} {v}" for k, v in reasons)
        rows.append((d.doc.id, d.doc.language, date, str(d.drafts), str(len(d.facts)),
                     str(len(d.rejected)), top))
    return rows


def totals(result: BuildResult) -> tuple[int, int, int]:
    """(drafts, accepted, rejected) over every document."""
    return (sum(d.drafts for d in result.documents),
            sum(len(d.facts) for d in result.documents),
            sum(len(d.rejected) for d in result.documents))
