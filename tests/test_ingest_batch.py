"""Parsing in worker processes: outcomes per file, limits enforced, the batch goes on."""

from __future__ import annotations

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from ingest.batch import parse_many
from ingest.pipeline import Limits
from tests.conftest import CORPUS_HTML, CORPUS_PDF


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    """A valid 300-page PDF, full of text: slow enough to trip a short time limit."""
    path = tmp_path_factory.mktemp("long") / "long.pdf"
    c = canvas.Canvas(str(path), pagesize=letter)
    for page in range(300):
        c.setFont("Helvetica", 9)
        for line in range(60):
            c.drawString(40, 750 - line * 12, f"Page {page} line {line} " + "lorem ipsum " * 9)
        c.showPage()
    c.save()
    return path


def test_outcomes_for_every_file(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    paths = [str(CORPUS_PDF), str(empty), str(CORPUS_HTML)]
    outcomes = {o.path: o for o in parse_many(paths, jobs=2)}
    assert set(outcomes) == set(paths)
    assert outcomes[str(CORPUS_PDF)].report.month == "2017-10"
    assert outcomes[str(CORPUS_HTML)].report.milestones[5].id == "DLP-472"
    assert outcomes[str(empty)].report is None
    assert outcomes[str(empty)].error == "empty file"


def test_time_limit_kills_the_parse_and_goes_on(long_pdf):
    paths = [str(long_pdf), str(CORPUS_HTML)]
    # 300 pages take well over a second; the HTML report a few hundredths.
    outcomes = {o.path: o for o in parse_many(paths, jobs=1, limits=Limits(seconds=0.25))}
    assert outcomes[str(long_pdf)].error == "parse exceeded the time limit (0.25 s)"
    assert outcomes[str(CORPUS_HTML)].report.month == "2017-10"


def test_page_and_size_limits(long_pdf):
    limits = Limits(pages=200, megabytes=0.05)
    outcomes = {o.path: o for o in parse_many([str(long_pdf), str(CORPUS_PDF)], 2, limits)}
    assert outcomes[str(long_pdf)].error.startswith("file too large (")
    limits = Limits(pages=200)
    outcomes = {o.path: o for o in parse_many([str(long_pdf)], 1, limits)}
    assert outcomes[str(long_pdf)].error == "too many pages (300, limit 200)"
