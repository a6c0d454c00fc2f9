"""The published date of a document: from the page's metadata, from a full date stated near
the top of its text, or from the command line; the evidence of how it is known goes with it."""

from __future__ import annotations

import datetime as dt

from harness.scoring.dates import find_dates
from harness.scoring.normalize import unify

HEADER_CHARS = 800  # a dateline or byline date sits near the top


def parse_iso(text: str | None) -> dt.date | None:
    """A YYYY-MM-DD prefix of `text` as a date (None when absent or not a date)."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def stated_date(text: str) -> tuple[dt.date, str] | None:
    """The first full date (day, month and year) in the first HEADER_CHARS characters, with the
    quote that states it; None when the top of the text states none."""
    head = unify(text[:HEADER_CHARS])
    for found in find_dates(head.lower()):
        value = found.value
        if value.year is None or value.day is None:
            continue
        try:
            date = dt.date(value.year, value.month, value.day)
        except ValueError:
            continue
        line = head[: found.start].count("\n") + 1
        return date, f"the text states {head[found.start:found.end]!r} (line {line})"
    return None


def document_date(text: str, metadata_date: str | None, given: dt.date | None,
                  ) -> tuple[dt.date | None, str, bool]:
    """(date, evidence, stated): `given` (the command line) wins, then the page's metadata,
    then a date stated at the top of the text; (None, why, False) when nothing gives one."""
    if given is not None:
        return given, "given on the command line (--published)", False
    meta = parse_iso(metadata_date)
    if meta is not None:
        return meta, f"the page's metadata gives {metadata_date!r}", True
    found = stated_date(text)
    if found is not None:
        return found[0], found[1], True
    return None, "no date in the document or its metadata (give one with --published)", False
