"""Read documents for drafting: plain text and Markdown as they are, HTML pages reduced to the
article's text and metadata (trafilatura), PDF text (pypdf). Each problem is one HarnessError
line naming the file and how to fix it; the caller goes on with the other documents."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.build.dating import document_date
from harness.build.source import SourceDoc, detect_language, slug
from harness.errors import HarnessError

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
MAX_BYTES = 5 * 1024 * 1024
MIN_CHARS = 80  # less text than this is not an article to draft facts from


@dataclass(frozen=True)
class Extracted:
    text: str
    extractor: str
    title: str = ""
    outlet: str = ""
    author: str = ""
    date: str | None = None


def expand_inputs(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The document files named or found (sorted, in folders: the supported suffixes), and one
    problem line per path that is neither."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(f"{path}: no documents in this folder ({', '.join(SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    return list(dict.fromkeys(files)), problems


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise HarnessError(f"{path}:{line}: not UTF-8 text (byte {err.start}); convert it to "
                           "UTF-8") from None


def _read_text(data: bytes, path: Path) -> Extracted:
    text = _decode(data, path).replace("\r\n", "\n")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = re.sub(r"^#+\s*", "", first) if len(first) <= 200 else ""
    kind = "markdown" if path.suffix.lower() in (".md", ".markdown") else "text"
    return Extracted(text, kind, title=title or path.stem)


def _read_html(data: bytes, path: Path) -> Extracted:
    import trafilatura

    html = _decode(data, path)
    doc: Any = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                           include_tables=False, favor_recall=True)
    text = (doc.text or "") if doc is not None else ""
    if not text.strip():
        raise HarnessError(f"{path}: no article text found in this HTML page (save the "
                           "article's page, or its text as .txt)")
    return Extracted(text, f"trafilatura {trafilatura.__version__}",
                     title=doc.title or "", outlet=doc.sitename or "", author=doc.author or "",
                     date=doc.date)


def _read_pdf(path: Path) -> Extracted:
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except pypdf.errors.PdfReadError as err:
        raise HarnessError(f"{path}: unreadable PDF ({err})") from None
    text = "\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise HarnessError(f"{path}: PDF without a text layer ({len(pages)} pages, no text); "
                           "run OCR on it first")
    title = (meta.title or "") if meta is not None else ""
    author = (meta.author or "") if meta is not None else ""
    first = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    return Extracted(text, f"pypdf {pypdf.__version__}", title=title or first[:200],
                     author=author)


def extract(path: Path, max_bytes: int = MAX_BYTES) -> Extracted:
    """The text and metadata of one document file."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise HarnessError(f"{path}: {size} bytes, over the {max_bytes} byte limit "
                               "(--max-bytes)")
        suffix = path.suffix.lower()
        if suffix in PDF_SUFFIXES:
            found = _read_pdf(path)
        elif suffix in HTML_SUFFIXES:
            found = _read_html(path.read_bytes(), path)
        elif suffix in TEXT_SUFFIXES or not suffix:
            found = _read_text(path.read_bytes(), path)
        else:
            raise HarnessError(f"{path}: unsupported file type {suffix!r} (supported: "
                               f"{', '.join(SUFFIXES)})")
    except OSError as err:
        raise HarnessError(f"{path}: cannot read: {err.strerror or err}") from None
    if len(found.text.strip()) < MIN_CHARS:
        what = "empty" if not found.text.strip() else f"{len(found.text.strip())} characters"
        raise HarnessError(f"{path}: {what}; a document needs at least {MIN_CHARS} characters "
                           "of text")
    return found


def read_document(path: Path, doc_id: str | None = None, *, max_bytes: int = MAX_BYTES,
                  published: dt.date | None = None, outlet: str | None = None) -> SourceDoc:
    """Read one document; HarnessError (one line) when it cannot be used."""
    found = extract(path, max_bytes)
    date, evidence, stated = document_date(found.text, found.date, published)
    return SourceDoc(
        id=doc_id or slug(path.stem),
        source=str(path),
        extractor=found.extractor,
        text=found.text,
        title=" ".join(found.title.split()) or path.stem,
        outlet=outlet or found.outlet,
        author=found.author,
        published=date,
        date_evidence=evidence,
        date_certainty="stated" if stated else "inferred",
        language=detect_language(found.text),
    )
