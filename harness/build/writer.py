"""Write a build as a suite folder: suite.yaml, tasks.yaml (the standard regimes of the
documents' languages), documents/ (the extracted text, verbatim), facts/ (status: draft),
rejected.jsonl (every rejection with its reason) and build.json (sources, hashes, counts)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from harness import __version__
from harness.build.pipeline import BuildResult, DocResult
from harness.errors import HarnessError


def _tasks_text(languages: list[str]) -> str:
    """tasks.yaml: English regimes, or the Korean ones when every document is Korean."""
    name = "tasks_ko.yaml" if languages == ["ko"] else "tasks_en.yaml"
    return resources.files("harness.build").joinpath(name).read_text(encoding="utf-8")


def _document_meta(result: DocResult, today: dt.date) -> dict[str, Any]:
    doc = result.doc
    evidence = doc.date_evidence
    if doc.published is None:
        evidence += f"; the build date {today.isoformat()} stands in"
    return {
        "id": doc.id, "title": doc.title, "outlet": doc.outlet or "unknown",
        "published": (doc.published or today).isoformat(),
        "date_certainty": doc.date_certainty, "published_evidence": evidence,
        "language": doc.language, "file": f"documents/{doc.id}.txt",
    }


def prepare_out(out: Path, force: bool) -> None:
    """Refuse to write over a folder that holds files unless --force (then clear it)."""
    if out.exists() and not out.is_dir():
        raise HarnessError(f"--out {out}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise HarnessError(f"--out {out}: folder not empty; choose another or add --force "
                               "to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def write_suite(result: BuildResult, out: Path, name: str, today: dt.date) -> list[DocResult]:
    """Write the suite; returns the documents written (those with at least one fact)."""
    kept = [r for r in result.documents if r.facts]
    (out / "documents").mkdir(exist_ok=True)
    (out / "facts").mkdir(exist_ok=True)
    languages = sorted({r.doc.language for r in kept}, key=["en", "ko"].index)
    for r in kept:
        (out / "documents" / f"{r.doc.id}.txt").write_text(r.doc.text, encoding="utf-8")
        lines = [json.dumps(f, ensure_ascii=False) for f in r.facts]
        (out / "facts" / f"{r.doc.id}.jsonl").write_text("\n".join(lines) + "\n",
                                                         encoding="utf-8")
    suite_languages = ["ko"] if languages == ["ko"] else ["en"]
    config = {
        "name": name, "version": "0.1.0",
        "description": f"Drafted by harness build ({result.drafter} drafter) from "
                       f"{len(kept)} documents; every fact is status: draft until reviewed "
                       "(harness tasks review).",
        "languages": suite_languages,
        "documents": [_document_meta(r, today) for r in kept],
        "facts": [f"facts/{r.doc.id}.jsonl" for r in kept],
        "tasks": "tasks.yaml",
    }
    (out / "suite.yaml").write_text(
        "# Written by `harness build`; review the draft facts with `harness tasks review`.\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8")
    (out / "tasks.yaml").write_text(_tasks_text(suite_languages), encoding="utf-8")
    return kept


def write_rejected(result: BuildResult, out: Path) -> int:
    rows = [json.dumps(r.record(), ensure_ascii=False)
            for d in result.documents for r in d.rejected]
    (out / "rejected.jsonl").write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    return len(rows)


def write_provenance(result: BuildResult, out: Path) -> None:
    """build.json: where each document came from, its text's hash, and the counts."""
    data = {
        "harness_version": __version__, "drafter": result.drafter,
        "documents": [{
            "id": r.doc.id, "source": r.doc.source, "extractor": r.doc.extractor,
            "sha256": r.doc.sha256, "title": r.doc.title, "outlet": r.doc.outlet,
            "author": r.doc.author, "language": r.doc.language,
            "published": r.doc.published.isoformat() if r.doc.published else None,
            "date_evidence": r.doc.date_evidence, "drafts": r.drafts,
            "accepted": len(r.facts), "rejected": len(r.rejected),
            "written": bool(r.facts),
        } for r in result.documents],
        "problems": result.problems,
    }
    (out / "build.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
