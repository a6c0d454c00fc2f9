"""Build a suite from an existing suite's documents with their own dates and outlets: how the
seed documents are re-drafted for the recall test and the demo."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from harness.build.pipeline import BuildOptions, BuildResult, run_build
from harness.build.rules import DRAFTER, draft_document
from harness.build.writer import prepare_out, write_provenance, write_rejected, write_suite
from harness.suite.model import Suite


def build_seed_like(suite: Suite, out: Path, documents: list[str] | None = None,
                    max_facts: int | None = None) -> BuildResult:
    """Draft with the rules drafter from `suite`'s documents (each with its published date and
    outlet) and write the result to `out`."""
    prepare_out(out, force=True)
    merged = BuildResult(drafter=DRAFTER)
    with tempfile.TemporaryDirectory() as tmp:
        for doc_id, doc in suite.documents.items():
            if documents and doc_id not in documents:
                continue
            path = Path(tmp) / f"{doc_id}.txt"
            path.write_text(doc.text, encoding="utf-8")
            options = BuildOptions(published=doc.meta.published, outlet=doc.meta.outlet,
                                   max_facts=max_facts)
            part = run_build([path], draft_document, DRAFTER, options)
            merged.documents.extend(part.documents)
            merged.problems.extend(part.problems)
    write_suite(merged, out, f"{suite.name}-drafted", dt.date.today())
    write_rejected(merged, out)
    write_provenance(merged, out)
    return merged
