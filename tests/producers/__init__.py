"""PDF renderings of the October 2017 report by the producers users have (see README.md).

``FIXTURES`` names each committed rendering and the tool that made it; every one
carries the same content as the HTML rendition ``HTML_RENDITION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PRODUCERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = PRODUCERS_DIR.parents[1]
HTML_RENDITION = REPO_ROOT / "corpus" / "lsst-dm-monthly-report-2017-10.html"


@dataclass(frozen=True)
class Fixture:
    """A committed rendering: its file and the producer that made it."""

    name: str
    path: Path
    producer: str


FIXTURES: tuple[Fixture, ...] = (
    Fixture(
        "reportlab-main",
        REPO_ROOT / "corpus" / "lsst-dm-monthly-report-2017-10.pdf",
        "ReportLab 5.1 (corpus/build.py, MAIN style)",
    ),
    Fixture(
        "reportlab", PRODUCERS_DIR / "reportlab.pdf", "ReportLab 5.1 (corpus/build.py, ALT style)"
    ),
    Fixture("libreoffice", PRODUCERS_DIR / "libreoffice.pdf", "LibreOffice 7.4 from a .docx"),
    Fixture("pdflatex", PRODUCERS_DIR / "pdflatex.pdf", "pdfTeX 1.40.24 (TeX Live 2022)"),
    Fixture("chromium", PRODUCERS_DIR / "chromium.pdf", "Chromium 156 headless print"),
    Fixture("weasyprint", PRODUCERS_DIR / "weasyprint.pdf", "WeasyPrint 57.2"),
    Fixture(
        "chromium-narrow",
        PRODUCERS_DIR / "chromium-narrow.pdf",
        "Chromium 156 headless print, narrow page, unruled table",
    ),
    Fixture(
        "weasyprint-a5",
        PRODUCERS_DIR / "weasyprint-a5.pdf",
        "WeasyPrint 57.2, A5, rows broken across pages",
    ),
    Fixture(
        "pandoc",
        PRODUCERS_DIR / "pandoc.pdf",
        "pandoc 2.17 Markdown to LaTeX, pdfTeX 1.40.24",
    ),
    Fixture(
        "libreoffice-odt",
        PRODUCERS_DIR / "libreoffice-odt.pdf",
        "LibreOffice 7.4 from a flat .odt (outline numbering, A4)",
    ),
    Fixture(
        "pdflatex-starred",
        PRODUCERS_DIR / "pdflatex-starred.pdf",
        "pdfTeX 1.40.24, A4 Termes, \\section*, tabularx",
    ),
)
