"""The PDF reader: a PDF file's bytes -> a Layout.

The reader's jobs, one module each:

- `glyphs`: PDFium's characters with their boxes and fonts, page paths and links;
- `words`: words and lines from glyph geometry (ligatures expanded);
- `furniture`: running headers and footers, page numbers, table notes, contents;
- `hyphens`: which line-end hyphens to keep, from the document's own words;
- `tables`: ruled tables (pdfplumber along the page's rules) and unruled ones;
- `paragraphs`: paragraphs, list items and headings in reading order.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .. import reasons
from ..blocks import Layout
from ..models import IngestError
from .furniture import Page, drop_furniture
from .glyphs import FontStyles, page_ink
from .hyphens import Vocabulary, learn_hyphenation
from .paragraphs import Paragraphs
from .tables import ruled_tables
from .words import attach_drawn_bullets, attach_links, page_lines

__all__ = ["NO_TEXT_LAYER", "read_pdf"]

NO_TEXT_LAYER = reasons.NO_TEXT_LAYER


def read_pdf(path: str, data: bytes, max_pages: int | None = None) -> Layout:
    """Read a PDF file's bytes into a Layout."""
    if b"%%EOF" not in data[-2048:]:
        raise IngestError(path, reasons.TRUNCATED_PDF)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise IngestError(path, reasons.ENCRYPTED_PDF) from None
        raise IngestError(path, reasons.DAMAGED_PDF) from None
    try:
        if max_pages is not None and len(document) > max_pages:
            raise IngestError(
                path, reasons.TOO_MANY_PAGES.format(pages=len(document), limit=max_pages)
            )
        return _read(path, data, document)
    finally:
        document.close()


def _read(path: str, data: bytes, document) -> Layout:
    page_count = len(document)
    if page_count == 0:
        raise IngestError(path, reasons.NO_PAGES)
    metadata = {k.lower(): str(v) for k, v in document.get_metadata_dict().items() if v}
    styles = FontStyles()
    pages = [_page(document, number, styles) for number in range(page_count)]
    if not any(page.lines for page in pages):
        raise IngestError(path, NO_TEXT_LAYER)
    drop_furniture(pages)
    texts = [[line.text for line in page.lines] for page in pages]
    vocabulary = Vocabulary(text for page in texts for text in page)
    learn_hyphenation(vocabulary, texts)
    ruled_tables(data, pages, vocabulary)
    blocks = Paragraphs(pages, vocabulary).assemble()
    return Layout(blocks=tuple(blocks), pages=page_count, metadata=metadata)


def _page(document, number: int, styles: FontStyles) -> Page:
    # PDFium's own calls: pypdfium2's page objects cost a finalizer each to open and close.
    page = pdfium_c.FPDF_LoadPage(document.raw, number)
    if not page:
        raise pdfium.PdfiumError(f"Failed to load page {number}.")
    textpage = pdfium_c.FPDFText_LoadPage(page)
    try:
        if not textpage:
            raise pdfium.PdfiumError(f"Failed to load the text of page {number}.")
        ink = page_ink(page, textpage, styles)
        lines = page_lines(ink.glyphs, number + 1)
        attach_links(lines, ink.links)
        attach_drawn_bullets(lines, ink.paths)
        height, width = pdfium_c.FPDF_GetPageHeightF(page), pdfium_c.FPDF_GetPageWidthF(page)
        return Page(number + 1, height, width, lines, ink.paths)
    finally:
        if textpage:
            pdfium_c.FPDFText_ClosePage(textpage)
        pdfium_c.FPDF_ClosePage(page)
