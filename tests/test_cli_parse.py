"""`dmreports parse`: JSON on stdout, bad files named with one reason, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from tests.conftest import CORPUS_HTML, CORPUS_PDF


def run_parse(path):
    return subprocess.run(
        [sys.executable, "-m", "dmreports", "parse", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_parse_prints_report_json():
    result = run_parse(CORPUS_PDF)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "month",
        "title",
        "source",
        "sha256",
        "pages",
        "sections",
        "milestones",
        "references",
        "warnings",
    }
    assert data["month"] == "2017-10"
    assert set(data["sections"][0]) == {"wbs", "wbs_title", "part", "title", "text", "page"}
    assert set(data["milestones"][0]) == {
        "id",
        "title",
        "note",
        "due",
        "expected_completion",
        "group",
        "status",
        "page",
    }
    assert set(data["references"][0]) == {"key", "kind", "url", "wbs", "part", "page", "context"}
    first = data["milestones"][0]
    assert (first["id"], first["due"], first["group"]) == (
        "DLP-538",
        "2017-05-31",
        "DM System Architecture",
    )


def _pdf(path, draw):
    c = canvas.Canvas(
        str(path), pagesize=letter, **({} if draw != "encrypted" else {"encrypt": "secret"})
    )
    if draw in ("text", "encrypted"):
        c.setFont("Helvetica", 11)
        c.drawString(72, 700, "Minutes of the coffee committee. We bought a new grinder.")
    elif draw == "image-only":
        for i in range(20):
            c.rect(72 + i * 10, 500, 8, 40 + i * 3, fill=1)
    c.showPage()
    c.save()
    return path


@pytest.fixture
def bad_files(tmp_path):
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(CORPUS_PDF.read_bytes()[:30000])
    random_bytes = tmp_path / "random.pdf"
    random_bytes.write_bytes(bytes(range(256)) * 40)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    return {
        "empty file": empty,
        "truncated PDF (no end-of-file marker)": truncated,
        "not a PDF or HTML file": random_bytes,
        "encrypted PDF (password required)": _pdf(tmp_path / "locked.pdf", "encrypted"),
        "no text layer (scanned?); OCR is not supported": _pdf(tmp_path / "scan.pdf", "image-only"),
    }


def test_bad_files_one_line_exit_2(bad_files):
    for reason, path in bad_files.items():
        result = run_parse(path)
        assert result.returncode == 2, (path, result.stderr)
        assert result.stdout == ""
        assert result.stderr == f"{path}: {reason}\n"
        assert "Traceback" not in result.stderr


def test_missing_file():
    result = run_parse("/nonexistent/report.pdf")
    assert result.returncode == 2
    assert result.stderr.strip() == "/nonexistent/report.pdf: No such file or directory"


def test_document_that_is_not_a_report(tmp_path):
    path = _pdf(tmp_path / "minutes.pdf", "text")
    result = run_parse(path)
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["warnings"] == ["report month not found", "no report structure found"]
    assert result.stderr == f"{path}: warning: no report structure found\n"


def test_html_renamed_pdf_is_read_by_content(tmp_path):
    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(CORPUS_HTML.read_bytes())
    result = run_parse(disguised)
    assert result.returncode == 0
    assert json.loads(result.stdout)["month"] == "2017-10"
