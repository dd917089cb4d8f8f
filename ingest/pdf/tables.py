"""Tables: ruled ones cut by pdfplumber along the page's own rules, unruled ones by columns.

pdfplumber finds a ruled table's cells from the rules PDFium saw (so it never
parses the page's text); the words already read are put into those cells. An
unruled table is found by its header row (an "ID" column beside a
"Description" or "Title" column) and read by the header's column edges. A
table broken by a page is one table: the parts are joined and a header row
repeated on the next page is dropped.
"""

from __future__ import annotations

import io
import re

import pdfplumber
import pdfplumber.page
from pdfminer.pdfpage import PDFPage

from ..blocks import Block, Cell, Span
from ..identifiers import starts_with_identifier
from .furniture import Page
from .glyphs import RULE_WIDTH, is_rule
from .hyphens import Vocabulary, join_lines
from .words import Line, Word

# Rules a page needs in each direction before pdfplumber is asked for its tables.
MIN_RULINGS = 2
# Words further apart than this many font sizes in a row are in separate cells.
HEADER_CELL_GAP = 0.8
# A word this close (points) to a column's left edge starts at it.
EDGE_TOLERANCE = 1.5
# A header cell's wrapped line is this many font sizes (baseline to baseline) from the
# header line or less.
HEADER_WRAP = 1.6
# A cell's wrapped line stands this many font sizes (baseline to baseline) under the
# line before it, or less.
WRAP_STEP = 1.3
# An unruled table ends at a vertical gap of this many font sizes.
ROW_GAP = 2.5
_ID_LABELS = {"id", "ids", "milestone id", "milestone"}
_ID_WORD = re.compile(r"(?i)(?:^|\s)(?:ids?|milestone):?(?:\s|$)")
_TEXT_LABELS = {"description", "title", "milestone description", "name"}


def is_ruled(paths) -> bool:
    """True when a page's paths include a grid: several vertical and horizontal rules."""
    rules = [box for box in paths if is_rule(box)]
    vertical = sum(1 for x0, _, x1, _ in rules if x1 - x0 <= RULE_WIDTH)
    return vertical >= MIN_RULINGS and len(rules) - vertical >= MIN_RULINGS


def ruled_tables(data: bytes, pages: list[Page], vocabulary: Vocabulary) -> None:
    """Tables on ruled pages, replacing the lines they cover."""
    targets = [page for page in pages if is_ruled(page.paths)]
    if not targets:
        return
    pdf = pdfplumber.open(io.BytesIO(data))
    plumber = _plumber_pages(pdf, {target.number for target in targets})
    try:
        for target in targets:
            _page_tables(plumber[target.number], target, vocabulary)
    finally:
        # PDF.close() would build every page of the file just to close it.
        for page in plumber.values():
            page.close()
        pdf.flush_cache()


def _closing_rules(paths) -> list[tuple[float, float, float, float]]:
    """Horizontal rules where a table's vertical rules end.

    A table cut by a page break draws its cell sides down to the page's last
    row (and from the next page's first) without a rule closing the row; these
    close it, so that the row is read like any other.
    """
    vertical = [box for box in paths if is_rule(box) and box[2] - box[0] <= RULE_WIDTH]
    if not vertical:
        return []
    x0 = min(box[0] for box in vertical)
    x1 = max(box[2] for box in vertical)
    bottom = min(box[1] for box in vertical)
    top = max(box[3] for box in vertical)
    return [(x0, bottom, x1, bottom + 0.5), (x0, top - 0.5, x1, top)]


def _page_tables(page: pdfplumber.page.Page, target: Page, vocabulary: Vocabulary) -> None:
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
        for x0, bottom, x1, top in [*target.paths, *_closing_rules(target.paths)]
    ]
    settings = {
        "vertical_strategy": "explicit",
        "horizontal_strategy": "explicit",
        "explicit_vertical_lines": rects,
        "explicit_horizontal_lines": rects,
    }
    for table in page.find_tables(settings):
        x0, top, x1, bottom = table.bbox
        y_top, y_bottom = height - top, height - bottom  # PDFium measures from the bottom
        inside = [
            line
            for line in target.lines
            if y_bottom - 1 <= line.middle <= y_top + 1 and x0 - 1 <= line.x0 <= x1 + 1
        ]
        rows = tuple(
            tuple(_ruled_cell(inside, height, bbox, vocabulary) for bbox in row.cells)
            for row in table.rows
        )
        if not any(cell.text for row in rows for cell in row):
            continue
        covered = {id(line) for line in inside}
        target.lines = [line for line in target.lines if id(line) not in covered]
        target.tables.append((y_top, Block("table", target.number, rows=rows)))


def _plumber_pages(pdf: pdfplumber.PDF, numbers: set[int]) -> dict[int, pdfplumber.page.Page]:
    """Only the pdfplumber pages wanted: `pdf.pages` would build every page of the file."""
    pages = {}
    for number, page in enumerate(PDFPage.create_pages(pdf.doc), start=1):
        if number in numbers:
            pages[number] = pdfplumber.page.Page(pdf, page, page_number=number, initial_doctop=0)
        if number >= max(numbers):
            break
    return pages


def _ruled_cell(lines: list[Line], height: float, bbox, vocabulary: Vocabulary) -> Cell:
    if bbox is None:
        return Cell()
    x0, top, x1, bottom = bbox
    y_top, y_bottom = height - top, height - bottom
    parts = [
        [w for w in line.words if x0 <= (w.x0 + w.x1) / 2 <= x1]
        for line in lines
        if y_bottom <= line.middle <= y_top
    ]
    return cell_of([words for words in parts if words], vocabulary)


def cell_of(lines: list[list[Word]], vocabulary: Vocabulary) -> Cell:
    """A cell from the words of its lines: runs of one emphasis, wrapped lines joined.

    Runs after the first start with a space, so the cell's text keeps its parts
    (a title and an italic note) apart.
    """
    runs: list[tuple[bool, bool, list[list[str]]]] = []
    for words in lines:
        for index, word in enumerate(words):
            style = (word.italic, word.bold)
            if runs and runs[-1][:2] == style:
                if index == 0:
                    runs[-1][2].append([])
                runs[-1][2][-1].append(word.text)
            else:
                runs.append((*style, [[word.text]]))
    spans = []
    for number, (italic, bold, run_lines) in enumerate(runs):
        text = join_lines([" ".join(words) for words in run_lines], vocabulary, cell=True)
        spans.append(Span((" " if number else "") + text, italic, bold))
    return Cell(tuple(spans))


def is_header(line: Line) -> bool:
    """True when a line is the header row of a milestone-style table."""
    if not _ID_WORD.search(line.text):
        return False
    labels = {text.lower().rstrip(":") for _, _, text in header_cells(line)}
    return bool(labels & _ID_LABELS) and bool(labels & _TEXT_LABELS)


def header_cells(line: Line) -> list[tuple[float, float, str]]:
    """A header line's cells where its words are far apart: (x0, x1, text)."""
    cells: list[tuple[float, float, str]] = []
    previous: Word | None = None
    for word in line.words:
        if previous and word.x0 - previous.x1 < HEADER_CELL_GAP * word.size:
            cells[-1] = (cells[-1][0], word.x1, cells[-1][2] + " " + word.text)
        else:
            cells.append((word.x0, word.x1, word.text))
        previous = word
    return cells


def wraps_header(header: Line, line: Line) -> bool:
    """True when a line just above or below a header line holds the rest of header cells
    that wrap in narrow columns ("Due" over "Date"): set like the header (size, weight,
    slant), a line step from it, no digits or sentence punctuation (a row's text going on
    under a repeated header has them), and not in the first column (where a group row
    starts)."""
    return (
        abs(line.size - header.size) <= 0.75
        and (line.bold, line.italic) == (header.bold, header.italic)
        and not line.text.endswith((".", ",", ";"))
        and abs(line.bottom - header.bottom) <= HEADER_WRAP * header.size
        and line.x0 >= header_cells(header)[0][1] + HEADER_CELL_GAP * header.size
        and not any(char.isdigit() for char in line.text)
    )


def _merge_header(
    cells: list[tuple[float, float, str]], line: Line, above: bool
) -> list[tuple[float, float, str]]:
    """Header cells with the parts a wrapped line holds: each joins the cell it stands
    under (or over), or is a cell of its own where the header line has none."""
    cells = list(cells)
    for x0, x1, text in header_cells(line):
        at = next((i for i, c in enumerate(cells) if x0 < c[1] and c[0] < x1), None)
        if at is None:
            cells.append((x0, x1, text))
            continue
        c0, c1, own = cells[at]
        cells[at] = (min(c0, x0), max(c1, x1), f"{text} {own}" if above else f"{own} {text}")
    return sorted(cells)


class UnruledTable:
    """An unruled table being read line by line under its header's column edges.

    ``above``: a line just above the header that holds the first parts of its
    wrapped cells (see ``wraps_header``); a line just below is taken by ``add``.
    """

    def __init__(self, header: Line, vocabulary: Vocabulary, above: Line | None = None) -> None:
        self.header = header
        self.vocabulary = vocabulary
        self.cells = header_cells(header)
        if above is not None:
            self.cells = _merge_header(self.cells, above, above=True)
        self.edges = [x0 for x0, _, _ in self.cells]
        self.rows: list[tuple[Cell, ...]] = [self._header_row()]
        self.last: Line = header
        self._group: list[list[Word]] | None = None  # the lines of a group row being read
        self._cells: list[list[list[Word]]] | None = None  # the last row's lines, by column

    def _header_row(self) -> tuple[Cell, ...]:
        return tuple(Cell((Span(text),)) for _, _, text in self.cells)

    def take_back(self, line: Line) -> bool:
        """Give back the last row when it is ``line`` (the top of the next page's
        wrapped header, read as a row of the table going on)."""
        if len(self.rows) > 1 and self.last is line:
            self.rows.pop()
            return True
        return False

    def takes(self, line: Line) -> bool:
        """True when a line is a row (or part of one) of this table."""
        return (
            line.size <= self.header.size + 0.75
            and line.x0 >= self.edges[0] - 3
            and self.last.bottom - line.top <= ROW_GAP * line.size
        )

    def continues_on(self, line: Line) -> bool:
        """True when the first line of a page goes on with this table: its words stand in
        two columns or more, or it starts in a column after the first."""
        starts = {self._column(word) for word in line.words}
        return len(starts) >= 2 or min(starts) > 0

    def _starts_cell(self, previous: Word, word: Word) -> bool:
        """A word standing at a later column's left edge where the word before ends
        short of it starts that column's cell, however narrow the gap (cells of narrow
        columns set close together: "DLP-" then "Assorted")."""
        return any(
            abs(word.x0 - edge) <= EDGE_TOLERANCE and previous.x1 < edge for edge in self.edges[1:]
        )

    def _column(self, word: Word) -> int:
        return max((i for i, edge in enumerate(self.edges) if word.x0 >= edge - 3), default=0)

    def add(self, line: Line) -> None:
        if len(self.rows) == 1 and self.last is self.header and wraps_header(self.header, line):
            self.cells = _merge_header(self.cells, line, above=False)
            self.edges = [x0 for x0, _, _ in self.cells]
            self.rows = [self._header_row()]
            self.last = line
            return
        columns: list[list[Word]] = [[] for _ in self.edges]
        # Words close together stay in one cell, the column of its first word
        # (a group name running across the table stays whole).
        previous: Word | None = None
        column = 0
        # A milestone row (its first word a key or the rest of one) and a row's line
        # that starts in a later column have a cell at each column edge; a group row's
        # name (from the first column) may run across the edges.
        first = line.words[0]
        milestone_row = (
            self._column(first) > 0
            or starts_with_identifier(first.text)
            or first.text[:1].isdigit()
        )
        for word in line.words:
            if (
                previous is None
                or word.x0 - previous.x1 >= HEADER_CELL_GAP * word.size
                or (milestone_row and self._starts_cell(previous, word))
            ):
                column = self._column(word)
            columns[column].append(word)
            previous = word
        group = not milestone_row and not any(columns[1:])
        if group and self._group is not None and self._tight(line):
            # A group name wrapped in a narrow first column: one row, its lines joined.
            self._group.append(columns[0])
            self.rows[-1] = (cell_of(self._group, self.vocabulary), *self.rows[-1][1:])
        elif self._cells is not None and self._tight(line) and self._goes_on(columns[0]):
            # The row's cells wrapped: their lines are joined as a ruled cell's are
            # (a word hyphenated at a cell's line end is one word again).
            for lines, words in zip(self._cells, columns, strict=True):
                if words:
                    lines.append(words)
            self.rows[-1] = tuple(cell_of(lines, self.vocabulary) for lines in self._cells)
        else:
            self.rows.append(tuple(cell_of([w] if w else [], self.vocabulary) for w in columns))
            self._group = [columns[0]] if group else None
            self._cells = None if group else [[w] if w else [] for w in columns]
        self.last = line

    def _goes_on(self, first: list[Word]) -> bool:
        """Whether a line's first-column words go on with the row above: none, the
        rest of an ID list cut after a comma or a hyphen, or digits of a cut key."""
        if not first:
            return True
        before = self._cells[0][-1][-1].text if self._cells and self._cells[0] else ""
        return before.endswith((",", "-")) or first[0].text[:1].isdigit()

    def _tight(self, line: Line) -> bool:
        """A line set at a line step under the last one (a cell's wrapped line), not a
        row's padding further down."""
        step = self.last.bottom - line.bottom
        return line.page == self.last.page and 0 < step <= WRAP_STEP * line.size

    def block(self) -> Block:
        return Block(kind="table", page=self.header.page, rows=tuple(self.rows))


def join_page_breaks(blocks: list[Block]) -> list[Block]:
    """One table for the parts of a table a page break cut, its repeated header dropped."""
    out: list[Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            block.kind == "table"
            and previous is not None
            and previous.kind == "table"
            and block.page > previous.page
            and block.rows
            and len(block.rows[0]) == len(previous.rows[0])
        ):
            rows = block.rows
            if [c.text for c in rows[0]] == [c.text for c in previous.rows[0]]:
                rows = rows[1:]
            out[-1] = Block(kind="table", page=previous.page, rows=previous.rows + rows)
            continue
        out.append(block)
    return out
