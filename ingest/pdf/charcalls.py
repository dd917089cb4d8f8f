"""PDFium's per-character text-page calls, asked for many characters at once.

PDFium answers one character per call. The package's small C module
(`_charcalls.c`, built when the package is installed) makes those calls in a C
loop, one Python call per page; where it could not be built (no C compiler at
install time) the same calls are made one by one through ctypes, with the same
results, more slowly. `COMPILED` says which is in use.
"""

from __future__ import annotations

import ctypes
from collections import deque
from itertools import repeat

import numpy as np
import pypdfium2.raw as pdfium_c

try:
    from . import _charcalls
except ImportError:  # built without a C compiler
    _charcalls = None

COMPILED = _charcalls is not None

_BOX_CALL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
# An object's address as a plain integer (0, not None, where a glyph has none).
_OBJECT_CALL = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_int)


def address(function) -> int:
    """The address of a C function pypdfium2 has loaded."""
    return ctypes.cast(function, ctypes.c_void_p).value


def plain(function, prototype):
    """The same C function called through a prototype of untyped pointers (ctypes'
    checked wrappers cost more than PDFium's work)."""
    return prototype(address(function))


_LOOSE_BOX = address(pdfium_c.FPDFText_GetLooseCharBox)
_TEXT_STYLES = (
    address(pdfium_c.FPDFText_GetTextObject),
    address(pdfium_c.FPDFText_GetFontSize),
    address(pdfium_c.FPDFTextObj_GetFont),
)
_OBJECT_BOUNDS = (
    address(pdfium_c.FPDFPage_GetObject),
    address(pdfium_c.FPDFPageObj_GetType),
    address(pdfium_c.FPDFPageObj_GetBounds),
)
_loose_box = plain(pdfium_c.FPDFText_GetLooseCharBox, _BOX_CALL)
_text_object = plain(pdfium_c.FPDFText_GetTextObject, _OBJECT_CALL)
_font_size = plain(
    pdfium_c.FPDFText_GetFontSize,
    ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p, ctypes.c_int),
)
_object_font = plain(
    pdfium_c.FPDFTextObj_GetFont, ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p)
)


def loose_boxes(textpage: int, count: int, indices: np.ndarray, compiled: bool | None = None):
    """PDFium's loose boxes (float32 left, top, right, bottom; one row per character of
    the page, zeros where not asked) of the characters at `indices` of a text page
    (an FPDF_TEXTPAGE address) of `count` characters. `compiled`: through the C module
    or not (default: `COMPILED`)."""
    boxes = np.zeros((count, 4), np.float32)
    at = np.ascontiguousarray(indices, np.int32)
    if COMPILED if compiled is None else compiled:
        _charcalls.loose_boxes(_LOOSE_BOX, textpage, at, boxes)
        return boxes
    start = boxes.ctypes.data
    # One call a character, run by map() rather than a Python loop.
    deque(
        map(_loose_box, repeat(textpage), at.tolist(), (start + 16 * at.astype(np.int64)).tolist()),
        maxlen=0,
    )
    return boxes


def text_styles(textpage: int, indices: np.ndarray, compiled: bool | None = None):
    """For the characters at `indices`: the address of the text object each belongs to
    (0 for none), its font size, and its object's font handle (0 where none), as three
    arrays (uint64, float64, uint64)."""
    at = np.ascontiguousarray(indices, np.int32)
    objects, sizes, fonts = (np.zeros(len(at), t) for t in (np.uint64, np.float64, np.uint64))
    if COMPILED if compiled is None else compiled:
        _charcalls.text_styles(_TEXT_STYLES, textpage, at, objects, sizes, fonts)
        return objects, sizes, fonts
    listed = at.tolist()
    owners = list(map(_text_object, repeat(textpage), listed))
    objects[:] = owners
    sizes[:] = list(map(_font_size, repeat(textpage), listed))
    fonts[:] = [_object_font(owner) or 0 if owner else 0 for owner in owners]
    return objects, sizes, fonts


def path_bounds(page, compiled: bool | None = None) -> list[tuple[float, float, float, float]]:
    """Bounds (x0, bottom, x1, top) of the paths a page (FPDF_PAGE) draws, in its order."""
    count = max(pdfium_c.FPDFPage_CountObjects(page), 0)
    if COMPILED if compiled is None else compiled:
        out = np.empty((count, 4), np.float32)
        written = _charcalls.object_bounds(
            _OBJECT_BOUNDS, address(page), count, pdfium_c.FPDF_PAGEOBJ_PATH, out
        )
        return list(map(tuple, out[:written].tolist()))
    out = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    refs = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    path_type = pdfium_c.FPDF_PAGEOBJ_PATH
    for index in range(count):
        obj = pdfium_c.FPDFPage_GetObject(page, index)
        if pdfium_c.FPDFPageObj_GetType(obj) != path_type:
            continue
        pdfium_c.FPDFPageObj_GetBounds(obj, *refs)
        out.append((left.value, bottom.value, right.value, top.value))
    return out
