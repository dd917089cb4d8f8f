"""The PDF reader: text runs with fonts and positions -> Layout blocks.

Text, fonts and positions come from PDFium's text objects (pypdfium2), which
is cheap; pdfplumber is opened only for pages that carry ruling lines, to
extract their tables cell by cell. Running headers, footers and page numbers
are dropped, wrapped lines joined into paragraphs (also across page breaks),
and list items recognised by their bullet glyph and indent.
"""

from __future__ import annotations

import ctypes
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

import pdfplumber
import pdfplumber.page
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfpage import PDFPage

from . import reasons
from .blocks import Block, Cell, Layout, Span
from .models import IngestError
from .text import ends_sentence, hyphenated_words, join_lines, squash

NO_TEXT_LAYER = reasons.NO_TEXT_LAYER
# Lines in this top/bottom share of a page are candidates for running headers and footers.
MARGIN_SHARE = 0.09
# A margin line repeated on at least this share of pages is page furniture.
REPEAT_SHARE = 0.5
BULLETS = "•◦▪▫●○■□‣⁃–—-*·"
# Runs further apart than this many font sizes on one line are separate cells.
CELL_GAP = 1.5
# A vertical gap this many times the usual line step starts a new paragraph.
PARAGRAPH_GAP = 1.2
# Safety factor on the estimated width of a word when deciding whether it would have fitted.
WORD_FIT_MARGIN = 1.3
# Vertical and horizontal rules a page needs before pdfplumber is asked for its tables.
MIN_RULINGS = 2
# A path thinner than this (points) is a rule rather than a filled area.
RULE_WIDTH = 2.0
# PDFium reports a hyphen that ends a line as this control character.
PDFIUM_HYPHEN = "\x02"
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC = re.compile(r"italic|oblique|-it$|\bit\b", re.IGNORECASE)


@dataclass(slots=True)
class Run:
    """One PDF text object: text in one font at one position (PDF points, y up)."""

    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    size: float
    bold: bool
    italic: bool


class Line:
    """Runs sharing a baseline, left to right.

    top and bottom: the highest top and lowest bottom of the runs; size: the
    size most of the text is set in; bold, italic: when every run with text is.
    content: the text PDFium gives for the line, when known.
    """

    __slots__ = ("runs", "page", "links", "content", "top", "bottom", "size", "bold", "italic")

    def __init__(self, runs: list[Run], page: int, top: float, bottom: float) -> None:
        self.runs = runs
        self.page = page
        self.links: list[str] = []
        self.content: str | None = None
        self.top = top
        self.bottom = bottom
        if len(runs) == 1:
            run = runs[0]
            inked = bool(run.text.strip())
            self.size = round(run.size, 1)
            self.bold, self.italic = run.bold or not inked, run.italic or not inked
            return
        weights: Counter[float] = Counter()
        for run in runs:
            weights[round(run.size, 1)] += len(run.text.strip()) or 1
        inked = [r for r in runs if r.text.strip()]
        self.size = max(weights, key=weights.__getitem__)
        self.bold = all(r.bold for r in inked)
        self.italic = all(r.italic for r in inked)

    @property
    def text(self) -> str:
        if self.content is not None:
            return self.content
        out = ""
        for prev, run in zip([None, *self.runs], self.runs, strict=False):
            if prev is not None and run.x0 - prev.x1 > 0.15 * run.size and not out.endswith(" "):
                out += " "
            out += run.text
        return squash(out)

    @property
    def x0(self) -> float:
        return self.runs[0].x0

    @property
    def x1(self) -> float:
        return self.runs[-1].x1


# Buffers reused by every call: most text objects and lines are far shorter.
_TEXT_BUFFER_CHARS = 4096
_text_buffer = (ctypes.c_ushort * _TEXT_BUFFER_CHARS)()


def _text_of(obj, textpage) -> str:
    """A text object's text; one PDFium call unless it is longer than the shared buffer."""
    length = pdfium_c.FPDFTextObj_GetText(obj, textpage, _text_buffer, 2 * _TEXT_BUFFER_CHARS)
    if length <= 2:
        return ""
    if length > 2 * _TEXT_BUFFER_CHARS:
        buffer = (ctypes.c_ushort * (length // 2))()
        pdfium_c.FPDFTextObj_GetText(obj, textpage, buffer, length)
    else:
        buffer = _text_buffer
    text = ctypes.string_at(buffer, length - 2).decode("utf-16-le", errors="replace")
    return text.replace(PDFIUM_HYPHEN, "-")


def _font_style(font, cache: dict[int, tuple[bool, bool]]) -> tuple[bool, bool]:
    """(bold, italic) of a PDFium font handle, from its name, weight and angle.

    cache belongs to one open document: a handle's address is reused by the
    fonts of documents opened after it is closed.
    """
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if key in cache:
        return cache[key]
    length = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    name = ""
    if length > 1:
        buffer = ctypes.create_string_buffer(length)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, length)
        name = buffer.value.decode("latin-1").split("+")[-1]
    angle = ctypes.c_int(0)
    pdfium_c.FPDFFont_GetItalicAngle(font, ctypes.byref(angle))
    weight = pdfium_c.FPDFFont_GetWeight(font)
    style = (
        bool(_BOLD.search(name)) or weight >= 600,
        bool(_ITALIC.search(name)) or angle.value != 0,
    )
    cache[key] = style
    return style


def _runs(page, textpage, fonts: dict[int, tuple[bool, bool]]) -> list[Run]:
    """The text objects of a page as runs."""
    runs = []
    left, bottom, right, top, size = (ctypes.c_float() for _ in range(5))
    # One set of references for every call (making them is a good part of a call's cost).
    bounds = (ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    size_ref = ctypes.byref(size)
    get_object, get_type, text_type = (
        pdfium_c.FPDFPage_GetObject,
        pdfium_c.FPDFPageObj_GetType,
        pdfium_c.FPDF_PAGEOBJ_TEXT,
    )
    get_bounds, get_size, get_font = (
        pdfium_c.FPDFPageObj_GetBounds,
        pdfium_c.FPDFTextObj_GetFontSize,
        pdfium_c.FPDFTextObj_GetFont,
    )
    for index in range(pdfium_c.FPDFPage_CountObjects(page)):
        obj = get_object(page, index)
        if get_type(obj) != text_type:
            continue
        text = _text_of(obj, textpage)
        if not text.strip():
            continue
        get_bounds(obj, *bounds)
        get_size(obj, size_ref)
        bold, italic = _font_style(get_font(obj), fonts)
        runs.append(
            Run(text, left.value, right.value, bottom.value, top.value, size.value, bold, italic)
        )
    return runs


def _lines(runs: list[Run], page: int) -> list[Line]:
    """Group runs into lines by vertical overlap, top to bottom, left to right."""
    # [top, bottom, runs] of each line so far; a run joins one of the last three.
    groups: list[list] = []
    for run in sorted(runs, key=lambda r: (-round(r.bottom + (r.top - r.bottom) / 2), r.x0)):
        middle = (run.top + run.bottom) / 2
        for group in reversed(groups[-3:]):
            top, bottom, members = group
            if bottom - 0.5 < middle < top + 0.5 and min(
                abs(middle - (r.top + r.bottom) / 2) for r in members
            ) < 0.45 * max(run.size, 1):
                members.append(run)
                group[0], group[1] = max(top, run.top), min(bottom, run.bottom)
                break
        else:
            groups.append([run.top, run.bottom, [run]])
    return [
        Line(sorted(members, key=lambda r: r.x0), page, top, bottom)
        for top, bottom, members in groups
    ]


def _line_text(textpage, line: Line) -> str:
    """The line's text as PDFium spaces it.

    A line of one run is its text object's text, which PDFium spaces as it
    spaces the page (gaps in a TJ array included), so the page is not
    scanned again for it.
    """
    if len(line.runs) == 1:
        return squash(" ".join(line.runs[0].text.split()))
    return _bounded_text(textpage, line)


def _bounded_text(textpage, line: Line) -> str:
    """The line's text as PDFium spaces it (from glyph advances, not ink boxes)."""
    box = (line.x0 - 0.5, line.top, line.x1 + 0.5, line.bottom)
    buffer = _text_buffer
    length = pdfium_c.FPDFText_GetBoundedText(textpage, *box, buffer, _TEXT_BUFFER_CHARS)
    if length <= 0:
        return ""
    if length >= _TEXT_BUFFER_CHARS:
        size = pdfium_c.FPDFText_GetBoundedText(textpage, *box, None, 0)
        buffer = (ctypes.c_ushort * (size + 1))()
        length = pdfium_c.FPDFText_GetBoundedText(textpage, *box, buffer, size + 1)
    # With room in the buffer PDFium counts (and writes) a terminating NUL.
    text = ctypes.string_at(buffer, 2 * length).decode("utf-16-le", "replace").rstrip("\x00")
    return squash(" ".join(text.replace(PDFIUM_HYPHEN, "-").split()))


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
        uri = buffer.value.decode("latin-1")
        out.append(((rect.left, rect.bottom, rect.right, rect.top), uri))
    return out


def _attach_links(lines: list[Line], links) -> None:
    for (x0, bottom, x1, top), uri in links:
        for line in lines:
            if line.bottom < top and bottom < line.top and line.x0 < x1 and x0 < line.x1:
                line.links.append(uri)
                break


def _rulings(page) -> list[tuple[float, float, float, float]]:
    """Bounds (x0, bottom, x1, top) of the paths a page draws: rules, borders, shading."""
    out = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    count = pdfium_c.FPDFPage_CountObjects(page)
    for index in range(count):
        obj = pdfium_c.FPDFPage_GetObject(page, index)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        pdfium_c.FPDFPageObj_GetBounds(
            obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
        )
        out.append((left.value, bottom.value, right.value, top.value))
    return out


def _is_ruled(rects: list[tuple[float, float, float, float]]) -> bool:
    """True when the paths include a grid: several vertical and horizontal rules."""
    vertical = sum(1 for x0, b, x1, t in rects if x1 - x0 <= RULE_WIDTH and t - b > RULE_WIDTH)
    horizontal = sum(1 for x0, b, x1, t in rects if t - b <= RULE_WIDTH and x1 - x0 > RULE_WIDTH)
    return vertical >= MIN_RULINGS and horizontal >= MIN_RULINGS


@dataclass
class _Page:
    number: int
    height: float
    lines: list[Line]
    runs: list[Run] = field(default_factory=list)
    rulings: list[tuple[float, float, float, float]] = field(default_factory=list)
    tables: list[tuple[float, float, Block]] = field(default_factory=list)

    @property
    def right(self) -> float:
        """The right edge of the text column."""
        return max((line.x1 for line in self.lines), default=0.0)


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
    pages: list[_Page] = []
    fonts: dict[int, tuple[bool, bool]] = {}
    for number in range(page_count):
        page = document[number]
        textpage = page.get_textpage()
        try:
            runs = _runs(page.raw, textpage.raw, fonts)
            lines = _lines(runs, number + 1)
            for line in lines:
                line.content = _line_text(textpage.raw, line) or None
            _attach_links(lines, _links(page.raw))
            rulings = _rulings(page.raw)
            pages.append(_Page(number + 1, page.get_height(), lines, runs, rulings))
        finally:
            textpage.close()
            page.close()
    if not any(p.lines for p in pages):
        raise IngestError(path, NO_TEXT_LAYER)
    _drop_furniture(pages)
    ruled = [page for page in pages if _is_ruled(page.rulings)]
    if ruled:
        _ruled_tables(data, ruled)
    blocks = _blocks(pages)
    return Layout(blocks=tuple(blocks), pages=page_count, metadata=metadata)


def _furniture_key(line: Line) -> str:
    return re.sub(r"\d+", "#", line.text.lower())


def _drop_furniture(pages: list[_Page]) -> None:
    """Remove running headers, footers and page numbers from every page."""
    counts: Counter[str] = Counter()
    for page in pages:
        keys = {_furniture_key(line) for line in _margin_lines(page)}
        counts.update(keys)
    repeated = {key for key, n in counts.items() if n >= 2 and n >= REPEAT_SHARE * len(pages)}
    for page in pages:
        margin = {id(line) for line in _margin_lines(page)}
        page.lines = [
            line
            for line in page.lines
            if id(line) not in margin
            or not (_furniture_key(line) in repeated or _PAGE_NUMBER.match(line.text))
        ]


def _margin_lines(page: _Page) -> list[Line]:
    band = MARGIN_SHARE * page.height
    return [line for line in page.lines if line.bottom > page.height - band or line.top < band]


def _ruled_tables(data: bytes, ruled: list[_Page]) -> None:
    """Tables on ruled pages, replacing the lines they cover.

    pdfplumber finds the cells from the rules PDFium saw (so it never has to
    parse the page's text); the text runs PDFium read are put into those cells.
    """
    pdf = pdfplumber.open(io.BytesIO(data))
    pages = _plumber_pages(pdf, {target.number for target in ruled})
    try:
        for target in ruled:
            page = pages[target.number]
            height = float(page.height)
            rects = [
                {
                    "object_type": "rect",
                    "x0": x0,
                    "x1": x1,
                    "top": height - top,
                    "bottom": height - bottom,
                    "y0": bottom,
                    "y1": top,
                    "doctop": height - top,
                    "width": x1 - x0,
                    "height": top - bottom,
                }
                for x0, bottom, x1, top in target.rulings
            ]
            settings = {
                "vertical_strategy": "explicit",
                "horizontal_strategy": "explicit",
                "explicit_vertical_lines": rects,
                "explicit_horizontal_lines": rects,
            }
            for table in page.find_tables(settings):
                rows = tuple(
                    tuple(_cell(target.runs, height, bbox) for bbox in row.cells)
                    for row in table.rows
                )
                if not any(cell.text for row in rows for cell in row):
                    continue
                x0, top, x1, bottom = table.bbox
                y_top, y_bottom = height - top, height - bottom  # PDFium measures from the bottom
                target.lines = [
                    line
                    for line in target.lines
                    if not (
                        y_bottom - 1 <= (line.top + line.bottom) / 2 <= y_top + 1
                        and x0 - 1 <= line.x0 <= x1 + 1
                    )
                ]
                target.tables.append((y_top, y_bottom, Block("table", target.number, rows=rows)))
    finally:
        # PDF.close() would build every page of the file just to close it.
        for page in pages.values():
            page.close()
        pdf.flush_cache()


def _plumber_pages(pdf: pdfplumber.PDF, numbers: set[int]) -> dict[int, pdfplumber.page.Page]:
    """Only the pdfplumber pages wanted: `pdf.pages` would build every page of the file."""
    pages = {}
    for number, page in enumerate(PDFPage.create_pages(pdf.doc), start=1):
        if number in numbers:
            pages[number] = pdfplumber.page.Page(pdf, page, page_number=number, initial_doctop=0)
        if number >= max(numbers):
            break
    return pages


def _cell(runs: list[Run], height: float, bbox) -> Cell:
    """The runs whose centre lies inside a cell, as spans in reading order."""
    if bbox is None:
        return Cell()
    x0, top, x1, bottom = bbox
    y_top, y_bottom = height - top, height - bottom
    inside = [
        run
        for run in runs
        if x0 <= (run.x0 + run.x1) / 2 <= x1 and y_bottom <= (run.top + run.bottom) / 2 <= y_top
    ]
    spans: list[Span] = []
    for line in _lines(inside, 0):
        for run in line.runs:
            text = run.text.strip()
            if spans and (spans[-1].italic, spans[-1].bold) == (run.italic, run.bold):
                spans[-1] = Span(spans[-1].text + " " + text, run.italic, run.bold)
            else:
                spans.append(Span(text, run.italic, run.bold))
    return Cell(tuple(spans))


def _bullet(line: Line) -> tuple[str, float] | None:
    """(text without the bullet, x of the bullet) if a line starts a list item."""
    first = line.runs[0]
    text = line.text
    if text[:1] in BULLETS and (len(text) > 1 and text[1] == " " or len(first.text.strip()) == 1):
        if text[:1] in "-–—" and len(first.text.strip()) != 1 and not text.startswith(("- ", "– ")):
            return None
        return squash(text[1:]), first.x0
    return None


def _table_from_lines(header: Line, lines: list[Line]) -> tuple[Block, int]:
    """An unruled table: columns from the header's cells, one row per line."""
    columns = _cells_of(header)
    edges = [c[0] for c in columns]
    rows = [tuple(Cell((Span(text),)) for _, text, _ in columns)]
    size = header.size
    used = 0
    previous = header
    for line in lines:
        gap = previous.bottom - line.top
        if line.size > size + 0.75 or line.x0 < edges[0] - 3 or gap > 2.5 * size:
            break
        cells = [[] for _ in edges]
        for run in line.runs:
            column = (
                max(i for i, edge in enumerate(edges) if run.x0 >= edge - 3)
                if run.x0 >= edges[0] - 3
                else 0
            )
            cells[column].append(Span(run.text.strip(), run.italic, run.bold))
        rows.append(tuple(Cell(tuple(spans)) for spans in cells))
        used += 1
        previous = line
    return Block(kind="table", page=header.page, rows=tuple(rows)), used


def _cells_of(line: Line) -> list[tuple[float, str, bool]]:
    """Split a line into cells where runs are far apart: (x0, text, bold)."""
    cells: list[tuple[float, str, bool]] = []
    previous_x1 = 0.0
    for run in line.runs:
        if cells and run.x0 - previous_x1 < CELL_GAP * run.size:
            x0, text, bold = cells[-1]
            cells[-1] = (x0, squash(text + " " + run.text), bold and run.bold)
        else:
            cells.append((run.x0, squash(run.text), run.bold))
        previous_x1 = run.x1
    return cells


def _is_table_header(line: Line) -> bool:
    # An "ID" cell is one run of its own (joined runs have a space between them).
    if len(line.runs) < 2 or not any(run.text.strip().lower() == "id" for run in line.runs):
        return False
    cells = _cells_of(line)
    labels = {c[1].lower() for c in cells}
    return len(cells) >= 2 and "id" in labels and bool(labels & {"description", "title"})


def _would_fit(line: Line, previous: Line, right: float) -> bool:
    """True when the first word of a line would have fitted at the end of the previous one."""
    text = line.text
    if not text:
        return False
    per_char = (line.x1 - line.x0) / len(text)
    word = len(text.split(" ", 1)[0]) + 1
    return previous.x1 + WORD_FIT_MARGIN * word * per_char < right


def _blocks(pages: list[_Page]) -> list[Block]:
    """Paragraphs, list items, headings and tables, in reading order."""
    all_lines = [line for page in pages for line in page.lines]
    keep_hyphen = hyphenated_words(" ".join(line.text for line in all_lines))
    bullet_xs = sorted({round(b[1]) for line in all_lines if (b := _bullet(line))})
    steps = [
        a.bottom - b.bottom
        for page in pages
        for a, b in zip(page.lines, page.lines[1:], strict=False)
        if 0 < a.bottom - b.bottom < 3 * a.size and abs(a.size - b.size) < 0.5
    ]
    step = statistics.median(steps) if steps else 12.0
    sizes = Counter(round(line.size, 1) for line in all_lines)
    body = sizes.most_common(1)[0][0] if sizes else 10.0

    blocks: list[Block] = []
    current: dict | None = None

    def close() -> None:
        nonlocal current
        if current:
            text = join_lines(current["lines"], keep_hyphen)
            if text:
                blocks.append(
                    Block(
                        kind="text",
                        page=current["page"],
                        text=text,
                        size=current["size"],
                        bold=current["bold"],
                        italic=current["italic"],
                        level=current["level"],
                        links=tuple(current["links"]),
                    )
                )
        current = None

    for page in pages:
        items: list[tuple[float, object]] = [((ln.top + ln.bottom) / 2, ln) for ln in page.lines]
        items += [(top, block) for top, _, block in page.tables]
        items.sort(key=lambda item: -item[0])
        ordered = [item for _, item in items]
        index = 0
        previous: Line | None = None
        while index < len(ordered):
            item = ordered[index]
            index += 1
            if isinstance(item, Block):
                close()
                blocks.append(item)
                previous = None
                continue
            line = item
            if _is_table_header(line):
                close()
                rest = [i for i in ordered[index:] if isinstance(i, Line)]
                table, used = _table_from_lines(line, rest)
                blocks.append(table)
                index += used
                previous = None
                continue
            bullet = _bullet(line)
            text = bullet[0] if bullet else line.text
            level = 0
            if bullet:
                level = 1 + min(range(len(bullet_xs)), key=lambda i: abs(bullet_xs[i] - bullet[1]))
            style = (line.size, line.bold)
            continues = current is not None and not bullet and style == current["style"]
            if continues and previous is not None:
                gap = previous.bottom - line.bottom
                if gap > PARAGRAPH_GAP * step * max(line.size, body) / body:
                    continues = False
                if current["level"] and line.x0 <= current["bullet_x"] + 1:
                    continues = False  # back at (or left of) the bullet: not a wrapped line
                if ends_sentence(previous.text) and _would_fit(line, previous, page.right):
                    continues = False  # the writer broke the line: a paragraph ends there
                centred = abs((line.x0 + line.x1) - (previous.x0 + previous.x1)) < 4
                if current["level"] == 0 and line.x0 > current["x"] + 2 and not centred:
                    continues = False  # an indented first line starts a paragraph
            elif continues and previous is None:
                # The first line of a page continues the last paragraph of the previous
                # page when that one stopped mid-sentence.
                continues = not ends_sentence(current["lines"][-1])
            if not continues:
                close()
                current = {
                    "lines": [],
                    "page": page.number,
                    "size": line.size,
                    "bold": line.bold,
                    "italic": line.italic,
                    "level": level,
                    "links": [],
                    "style": style,
                    "x": line.x0,
                    "bullet_x": bullet[1] if bullet else line.x0,
                }
            current["lines"].append(text)
            current["links"].extend(line.links)
            current["bold"] = current["bold"] and line.bold
            previous = line
    close()
    return blocks
