"""Parsing one file never depends on the files parsed before it in the same process."""

from __future__ import annotations

from ingest.pipeline import load_report
from tests.conftest import CORPUS_PDF


def test_a_report_parses_the_same_after_other_pdfs(alt_pdf, pdf_report):
    # Other documents' fonts come and go at the same addresses in PDFium's
    # memory; the bold and italic flags must still be this document's.
    for _ in range(3):
        load_report(alt_pdf)
        again = load_report(CORPUS_PDF)
        assert [(m.id, m.title, m.note, m.due) for m in again.milestones] == [
            (m.id, m.title, m.note, m.due) for m in pdf_report.milestones
        ]
        assert again.sections == pdf_report.sections
