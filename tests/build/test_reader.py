"""Reading documents: text, Markdown, HTML (trafilatura), PDF (pypdf), and one-line refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from harness.build.reader import expand_inputs, read_document
from harness.errors import HarnessError

DATA = Path(__file__).parent / "data"
HTML = """<html><head><title>Acme raises prices - Daily Planet</title>
<meta property="og:site_name" content="Daily Planet">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2025-03-04T10:00:00Z">
</head><body><nav>Home | World | Sports</nav><article><h1>Acme raises prices by 12%</h1>
<p>Acme Corp said on Tuesday that it would raise prices by 12% from April 1, citing the cost
of steel.</p>
<p>Acme employs 4,500 people in Springfield, according to chief executive Maria Lopez.</p>
<p>Analysts at Northbank expect revenue of $2.3 billion in 2025.</p></article>
<footer>Copyright 2025 Daily Planet. Subscribe now.</footer></body></html>"""


def test_text_document_is_kept_verbatim_with_title_date_and_hash() -> None:
    path = DATA / "harbor-bridge.txt"
    doc = read_document(path)
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.title == "Riverton approves new harbor bridge"
    assert doc.published == dt.date(2025, 3, 4) and doc.date_certainty == "stated"
    assert "'March 4, 2025' (line 2)" in doc.date_evidence
    assert doc.sha256 == hashlib.sha256(doc.text.encode()).hexdigest()
    assert (doc.id, doc.language, doc.source) == ("harbor-bridge", "en", str(path))


def test_korean_document_language_and_date() -> None:
    doc = read_document(DATA / "busan-port.txt")
    assert doc.language == "ko" and doc.published == dt.date(2025, 3, 4)


def test_html_page_gives_article_text_and_metadata(tmp_path: Path) -> None:
    page = tmp_path / "acme.html"
    page.write_text(HTML, encoding="utf-8")
    doc = read_document(page)
    assert (doc.title, doc.outlet, doc.author) == ("Acme raises prices by 12%", "Daily Planet",
                                                   "Jane Roe")
    assert doc.published == dt.date(2025, 3, 4)
    assert "Acme employs 4,500 people in Springfield" in doc.text
    assert "Subscribe now" not in doc.text and "Home | World" not in doc.text
    assert doc.extractor.startswith("trafilatura")


def _pdf(path: Path, lines: list[str]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def test_pdf_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    _pdf(path, ["Northbank annual report", "Published: June 2, 2025",
                "Northbank lent $1.2 billion to small firms in 2024, up 8% from a year earlier."])
    doc = read_document(path)
    assert "Northbank lent $1.2 billion to small firms in 2024" in doc.text
    assert doc.published == dt.date(2025, 6, 2) and doc.extractor.startswith("pypdf")


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    _pdf(path, [])
    with pytest.raises(HarnessError, match="PDF without a text layer"):
        read_document(path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", b"  \n", "empty; a document needs"),
    ("short.txt", b"Too short.", "10 characters"),
    ("latin1.txt", "Caf\u00e9 society ".encode("latin-1") * 20, "not UTF-8 text"),
    ("table.xlsx", b"x" * 200, "unsupported file type"),
    ("big.txt", b"word " * 300, "over the 1000 byte limit"),
])
def test_bad_documents_are_one_line_errors(tmp_path: Path, name: str, content: bytes,
                                           message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(HarnessError, match=message) as err:
        read_document(path, max_bytes=1000)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_folders_expand_to_their_documents(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    files, problems = expand_inputs([tmp_path, tmp_path / "empty", tmp_path / "missing.txt"])
    assert files == [tmp_path / "a.txt"]
    assert problems == [f"{tmp_path / 'empty'}: no documents in this folder (.txt, .text, .md, "
                        ".markdown, .html, .htm, .xhtml, .pdf)",
                        f"{tmp_path / 'missing.txt'}: no such file or folder"]
