"""PDFium's text layer of a page, glyph by glyph (pypdfium2's raw API).

A page's text comes in one call; the box of every character and the text
object it belongs to are asked for all characters at once (`charcalls`). Each
text object's font size and style are asked once. The page's paths are read
too: thin ones are table rules, small compact ones may be bullets drawn as shapes.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import numpy as np
import pypdfium2.raw as pdfium_c

from .charcalls import loose_boxes, path_bounds, plain, text_styles

# PDFium reports a hyphen-minus that ends a line as one of these.
PDFIUM_HYPHENS = {"\x02": "-", "\ufffe": "-"}
# A path thinner than this (points) is a rule rather than a filled area.
RULE_WIDTH = 2.0
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC = re.compile(r"italic|oblique|-it$|\bit\b", re.IGNORECASE)

_char_origin = plain(
    pdfium_c.FPDFText_GetCharOrigin,
    ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p),
)


class Glyphs:
    """A page's characters in content order, as arrays: the character and its advance
    box (PDF points, y up). Font size and style are asked only for the glyphs that
    need them (one per word): `styles` is a list of (size, bold, italic) per glyph or
    a function from glyph positions to such tuples. `origins`, where given, is a
    function from glyph positions to where each glyph's advance begins: PDFium widens
    a glyph's box to its ink, so a glyph drawn left of its own origin (an italic "f"
    or "p" reaching back under the letter before) has a box starting before its
    advance does. `codes`: the characters' code points (made from `chars` when not
    given)."""

    __slots__ = ("chars", "codes", "x0", "x1", "bottom", "top", "_styles", "_origins")

    def __init__(self, chars, x0, x1, bottom, top, styles, origins=None, codes=None) -> None:
        self.chars: str = "".join(chars)
        if codes is None:
            codes = np.frombuffer(self.chars.encode("utf-32-le"), dtype=np.uint32)
        self.codes: np.ndarray = codes
        self.x0, self.x1 = np.asarray(x0, np.float64), np.asarray(x1, np.float64)
        self.bottom, self.top = np.asarray(bottom, np.float64), np.asarray(top, np.float64)
        self._styles = styles
        self._origins = origins

    def __len__(self) -> int:
        return len(self.chars)

    def styles_of(self, positions: list[int]) -> list[tuple[float, bool, bool]]:
        """(font size, bold, italic) of the glyphs at these positions."""
        if callable(self._styles):
            return self._styles(positions)
        return [self._styles[p] for p in positions]

    def origins_of(self, positions: list[int]) -> list[float]:
        """Where the advance of each glyph at these positions begins (at or right of x0)."""
        if self._origins is None:
            return self.x0[positions].tolist()
        return [
            max(x, origin)
            for x, origin in zip(self.x0[positions].tolist(), self._origins(positions), strict=True)
        ]

    @classmethod
    def empty(cls) -> Glyphs:
        return cls([], [], [], [], [], [])


@dataclass
class PageInk:
    """What one page draws: its glyphs in content order, its path boxes, its links."""

    glyphs: Glyphs
    paths: list[tuple[float, float, float, float]]
    links: list[tuple[tuple[float, float, float, float], str]]


class FontStyles:
    """(bold, italic) of PDFium font handles, asked once per font of one open document.

    A handle's address is reused by fonts of documents opened after it is closed,
    so one instance serves one document.
    """

    def __init__(self) -> None:
        self._styles: dict[int, tuple[bool, bool]] = {}

    def of(self, font: int) -> tuple[bool, bool]:
        """The style of the font at this address."""
        style = self._styles.get(font)
        if style is None:
            style = self._styles[font] = _font_style(ctypes.cast(font, pdfium_c.FPDF_FONT))
        return style


def _font_style(font) -> tuple[bool, bool]:
    length = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    name = ""
    if length > 1:
        buffer = ctypes.create_string_buffer(length)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, length)
        name = buffer.value.decode("latin-1").split("+")[-1]
    angle = ctypes.c_int(0)
    pdfium_c.FPDFFont_GetItalicAngle(font, ctypes.byref(angle))
    weight = pdfium_c.FPDFFont_GetWeight(font)
    return (
        bool(_BOLD.search(name)) or weight >= 600,
        bool(_ITALIC.search(name)) or angle.value != 0,
    )


def page_ink(page, textpage, styles: FontStyles) -> PageInk:
    """Read one page (PDFium FPDF_PAGE and FPDF_TEXTPAGE handles)."""
    return PageInk(_glyphs(textpage, styles), path_bounds(page), _links(page))


def _page_text(textpage, count: int) -> str:
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    text = ctypes.string_at(buffer, 2 * max(written - 1, 0)).decode("utf-16-le", "replace")
    if len(text) != count:  # characters outside the BMP: one at a time
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 32) for i in range(count))
    return text


def _glyphs(textpage, styles: FontStyles) -> Glyphs:
    count = pdfium_c.FPDFText_CountChars(textpage)
    if count <= 0:
        return Glyphs.empty()
    text = _page_text(textpage, count)
    for made, real in PDFIUM_HYPHENS.items():
        text = text.replace(made, real)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    breaks = (codes == 10) | (codes == 13)
    handle = ctypes.cast(textpage, ctypes.c_void_p).value
    # Line breaks PDFium made up have no box.
    rects = loose_boxes(handle, count, np.flatnonzero(~breaks)).astype(np.float64)
    left, top, right, bottom = rects.T  # FS_RECTF
    # Spaces PDFium made up (they have no width) are left out too: geometry decides.
    made_up = breaks | ((codes == 32) & (right - left <= 0.01))
    where = np.flatnonzero(~made_up)
    kept = codes[where]
    return Glyphs(
        kept.tobytes().decode("utf-32-le"),
        left[where],
        right[where],
        bottom[where],
        top[where],
        _ObjectStyles(handle, where, styles),
        _Origins(handle, where.tolist()),
        kept,
    )


class _Origins:
    """The origins (x) of glyphs, asked of PDFium only for the glyphs that need them."""

    def __init__(self, handle: int, indices: list[int]) -> None:
        self.handle, self.indices = handle, indices

    def __call__(self, positions: list[int]) -> list[float]:
        x, y = ctypes.c_double(), ctypes.c_double()
        px, py = ctypes.addressof(x), ctypes.addressof(y)
        out = []
        for position in positions:
            _char_origin(self.handle, self.indices[position], px, py)
            out.append(x.value)
        return out


class _ObjectStyles:
    """Font size and style of glyphs, from their text objects (worked out once per object)."""

    def __init__(self, handle: int, indices: np.ndarray, styles: FontStyles) -> None:
        self.handle, self.indices, self.styles = handle, indices, styles
        self.objects: dict[int, tuple[float, bool, bool]] = {}

    def __call__(self, positions: list[int]) -> list[tuple[float, bool, bool]]:
        """The styles of glyphs at these positions: PDFium asked about all of them in one
        call; each text object's style worked out from its first glyph asked."""
        owners, sizes, fonts = text_styles(self.handle, self.indices[positions])
        objects = self.objects
        keys, firsts = np.unique(owners, return_index=True)
        for key, first in zip(keys.tolist(), firsts.tolist(), strict=True):
            if key not in objects:
                size, font = round(float(sizes[first]), 1), int(fonts[first])
                objects[key] = (size, *self.styles.of(font)) if font else (size, False, False)
        return list(map(objects.__getitem__, owners.tolist()))


def _links(page) -> list[tuple[tuple[float, float, float, float], str]]:
    """URI link annotations of a page: (rect, uri)."""
    out = []
    position = ctypes.c_int(0)
    link = pdfium_c.FPDF_LINK()
    rect = pdfium_c.FS_RECTF()
    while pdfium_c.FPDFLink_Enumerate(page, ctypes.byref(position), ctypes.byref(link)):
        action = pdfium_c.FPDFLink_GetAction(link)
        if not action or not pdfium_c.FPDFLink_GetAnnotRect(link, ctypes.byref(rect)):
            continue
        length = pdfium_c.FPDFAction_GetURIPath(None, action, None, 0)
        if length <= 1:
            continue
        buffer = ctypes.create_string_buffer(length)
        pdfium_c.FPDFAction_GetURIPath(None, action, buffer, length)
        out.append(((rect.left, rect.bottom, rect.right, rect.top), buffer.value.decode("latin-1")))
    return out


def is_rule(box: tuple[float, float, float, float]) -> bool:
    """True when a path box is a horizontal or vertical rule."""
    x0, bottom, x1, top = box
    return (x1 - x0 <= RULE_WIDTH) != (top - bottom <= RULE_WIDTH)
