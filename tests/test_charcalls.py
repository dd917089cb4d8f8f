"""PDFium's per-character and per-object calls made in C (ingest/pdf/_charcalls.c) answer
exactly what the same calls made one by one through ctypes answer, and the reader's Report
does not depend on which of the two is used."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from ingest.pdf import charcalls
from ingest.pipeline import load_report

FIXTURES = Path(__file__).parent / "producers"
# Producers whose text layers differ most: kerned runs, ligatures, Type 3 and CID fonts.
# Paths (table rules, borders, shading) each draws.
PRODUCERS = {
    "reportlab.pdf": 0,
    "pdflatex.pdf": 32,
    "chromium.pdf": 413,
    "libreoffice.pdf": 155,
    "weasyprint.pdf": 51,
}


def test_the_installed_package_has_its_c_module():
    # `make setup` builds it (the machine has a C compiler); without it every page
    # costs one ctypes call a character.
    assert charcalls.COMPILED


def _textpages(path: Path):
    document = pdfium.PdfDocument(str(path))
    try:
        for number in range(len(document)):
            page = pdfium_c.FPDF_LoadPage(document.raw, number)
            textpage = pdfium_c.FPDFText_LoadPage(page)
            try:
                yield charcalls.address(textpage), pdfium_c.FPDFText_CountChars(textpage), page
            finally:
                pdfium_c.FPDFText_ClosePage(textpage)
                pdfium_c.FPDF_ClosePage(page)
    finally:
        document.close()


@pytest.mark.parametrize("name", PRODUCERS)
def test_boxes_styles_and_paths_equal_the_one_by_one_calls(name):
    pages = chars = paths = 0
    for handle, count, page in _textpages(FIXTURES / name):
        every = np.arange(count)
        some = every[::3]  # rows not asked stay zero
        for indices in (every, some):
            fast = charcalls.loose_boxes(handle, count, indices, compiled=True)
            slow = charcalls.loose_boxes(handle, count, indices, compiled=False)
            assert fast.dtype == slow.dtype == np.float32
            assert np.array_equal(fast, slow)
        assert not charcalls.loose_boxes(handle, count, some)[1::3].any()
        fast = charcalls.text_styles(handle, every, compiled=True)
        slow = charcalls.text_styles(handle, every, compiled=False)
        for made, expected, dtype in zip(
            fast, slow, (np.uint64, np.float64, np.uint64), strict=True
        ):
            assert made.dtype == expected.dtype == dtype
            assert np.array_equal(made, expected)
        objects, sizes, fonts = fast
        assert objects.any() and fonts[objects != 0].all() and not fonts[objects == 0].any()
        assert sizes[objects != 0].min() > 4
        drawn = charcalls.path_bounds(page, compiled=True)
        assert drawn == charcalls.path_bounds(page, compiled=False)
        assert all(type(v) is float for box in drawn for v in box)
        pages += 1
        chars += count
        paths += len(drawn)
    assert pages >= 3 and chars > 10_000
    assert paths == PRODUCERS[name]


def test_a_character_outside_the_page_is_an_error_not_a_write():
    handle, count, page = next(_textpages(FIXTURES / "reportlab.pdf"))
    boxes = np.zeros((count, 4), np.float32)
    with pytest.raises(IndexError, match=f"character {count} outside a buffer of {count} boxes"):
        charcalls._charcalls.loose_boxes(
            charcalls._LOOSE_BOX, handle, np.array([0, count], np.int32), boxes
        )
    assert not boxes.any()  # checked before the first call
    with pytest.raises(TypeError, match="items of 4 bytes expected, got 8"):
        charcalls._charcalls.loose_boxes(
            charcalls._LOOSE_BOX, handle, np.array([0], np.int64), boxes
        )
    with pytest.raises(IndexError, match="3 objects for 2 slots"):
        charcalls._charcalls.object_bounds(
            charcalls._OBJECT_BOUNDS, charcalls.address(page), 3, 2, np.zeros((2, 4), np.float32)
        )
    with pytest.raises(IndexError, match="2 characters for 1 slots"):
        charcalls._charcalls.text_styles(
            charcalls._TEXT_STYLES,
            handle,
            np.array([0, 1], np.int32),
            np.zeros(2, np.uint64),
            np.zeros(1, np.float64),
            np.zeros(2, np.uint64),
        )


def test_the_report_is_the_same_without_the_c_module(monkeypatch):
    path = FIXTURES / "pdflatex.pdf"
    fast = load_report(path)
    monkeypatch.setattr(charcalls, "COMPILED", False)
    slow = load_report(path)
    assert asdict(slow) == asdict(fast)
    assert len([s for s in fast.sections if s.wbs]) == 95 and len(fast.milestones) == 11
    assert (fast.milestones[5].id, fast.milestones[5].due) == ("DLP-472", "2017-05-31")
