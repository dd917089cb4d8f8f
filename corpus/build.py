"""Render the October 2017 DM monthly report into the PDF and HTML forms users have.

The seed (``corpus/seed/*.txt``) is the report's text as extracted from its PDF.
``read_seed`` parses it into a small document model and restores what the
extraction lost: paragraphs split by the original's page breaks are rejoined,
milestone titles and status notes whose italics were lost are split again, wrapped
milestone IDs are mended, and identifier hyperlinks get their real targets.
``render_pdf`` lays the document out like the original word-processor output (or
like a differently styled rendering, for parser tests) and ``render_html`` writes
the document archive's HTML rendition.

Run ``.venv/bin/python corpus/build.py`` to rebuild the committed files.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import logging
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pdfplumber
import pypdfium2
from reportlab import platypus
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger("corpus.build")

CORPUS_DIR = Path(__file__).resolve().parent
REPORT_NAME = "lsst-dm-monthly-report-2017-10"
SEED_PATH = CORPUS_DIR / "seed" / f"{REPORT_NAME}.txt"

# --- identifier links ------------------------------------------------------------

JIRA_BROWSE_URL = "https://jira.lsstcorp.org/browse/{key}"
TECHNOTE_URL = "https://{key_lower}.lsst.io"
DOCUMENT_URL = "https://ls.st/{key}"
TECHNOTE_KEY_RE = re.compile(r"(?:DMTN|SQR|ITTN)-\d+")
DOCUMENT_KEY_RE = re.compile(r"(?:LDM|LSE|LPM)-\d+")
JIRA_KEY_RE = re.compile(r"[A-Z][A-Z0-9]*-\d+")

# --- seed syntax -----------------------------------------------------------------

TOP_PARTS = (
    "High-level Summary",
    "Risk Management",
    "Milestone Summary",
    "Detailed Project Progress",
)
PART_HEADINGS = ("Current accomplishments", "Planned activities", "Recruitment update")
TABLE_HEADING = "Delayed Milestones"
WBS_THIRD_LEVEL_RE = re.compile(r"1\.02C\.\d\d(?:\.\d\d)*: \S.*")
WBS_FOURTH_LEVEL_RE = re.compile(r"02C\.\d\d(?:\.\d\d)+(?: .*)?")
BULLET_PREFIX = "- "
NESTED_BULLET_PREFIX = " - "
TABLE_CELL_SEPARATOR = "\t"
# A paragraph ending in one of these is complete; otherwise a page break split it.
TERMINAL_PUNCTUATION = tuple('.:;!?)]"”')
INLINE_RE = re.compile(
    r"\[(?P<link>[^\[\]]+)\]\(#\)"
    r"|<(?P<url>https?://[^>\s]+)>"
    r"|<i>(?P<italic>.*?)</i>"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|`(?P<code>[^`]+)`"
)
ITALIC_RE = re.compile(r"<i>(.*?)</i>")
# "DMTC-7400-242 0": a digit wrapped onto the next line of its cell.
WRAPPED_ID_RE = re.compile(r"(?<=\d) (?=\d)")

# Rows whose italics the extraction lost: (title, status note) of the description,
# keyed by the row's first milestone ID. The parser checks that they add up to the
# seed's text, so this table can only split, never rewrite.
LOST_ITALICS = {
    "DLP-538": (
        "Assorted ICDs updated to Phase 3",
        "Work is in progress to remove all TBDs and TBRs from these ICDs and achieve "
        "“substantial completion” by the end of the calendar year.",
    ),
    "DLP-802": (
        "AP/L1 Database Design",
        "Functional prototype has been delivered to AP team. Further scale/performance "
        "experiments pending deployment of Oracle consolidated db systems at NCSA "
        "(currently included in the S18 NC procurement.)",
    ),
}


# --- document model --------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A stretch of inline text with uniform formatting."""

    text: str
    link: str | None = None
    italic: bool = False
    bold: bool = False
    code: bool = False


@dataclass
class Heading:
    """A heading: 1 top part, 2 third-level WBS, 3 part or table heading, 4 deeper WBS."""

    level: int
    text: str


@dataclass
class Paragraph:
    """A body paragraph."""

    runs: list[Run]

    @property
    def text(self) -> str:
        """The paragraph's plain text."""
        return "".join(run.text for run in self.runs)


@dataclass
class Bullet:
    """A list item; level 1 or 2 (nested)."""

    level: int
    runs: list[Run]

    @property
    def text(self) -> str:
        """The item's plain text."""
        return "".join(run.text for run in self.runs)


@dataclass
class GroupRow:
    """A milestone-table row naming the group of the rows below it."""

    name: str


@dataclass
class MilestoneRow:
    """A milestone-table row: one or more IDs, title, italic status note, due date."""

    ids: list[str]
    title: str
    note: str
    due: str


@dataclass
class MilestoneTable:
    """The Delayed Milestones table."""

    columns: list[str]
    rows: list[GroupRow | MilestoneRow]


Node = Heading | Paragraph | Bullet | MilestoneTable


@dataclass
class Document:
    """A monthly report: title, month line and body nodes in reading order."""

    title: str
    month: str
    nodes: list[Node]


# --- parsing ---------------------------------------------------------------------


def link_target(text: str) -> str | None:
    """The URL an identifier link points to, or None if the text is not an identifier."""
    if TECHNOTE_KEY_RE.fullmatch(text):
        return TECHNOTE_URL.format(key_lower=text.lower())
    if DOCUMENT_KEY_RE.fullmatch(text):
        return DOCUMENT_URL.format(key=text)
    if JIRA_KEY_RE.fullmatch(text):
        return JIRA_BROWSE_URL.format(key=text)
    return None


def parse_inline(text: str) -> list[Run]:
    """Split seed inline markup into runs."""
    runs: list[Run] = []
    position = 0
    for match in INLINE_RE.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position : match.start()]))
        if (label := match["link"]) is not None:
            runs.append(Run(label, link=link_target(label)))
        elif (url := match["url"]) is not None:
            runs.append(Run(url, link=url))
        elif match["italic"] is not None:
            runs.append(Run(match["italic"], italic=True))
        elif match["bold"] is not None:
            runs.append(Run(match["bold"], bold=True))
        else:
            runs.append(Run(match["code"], code=True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:]))
    return _merge_runs(runs)


def _merge_runs(runs: list[Run]) -> list[Run]:
    """Merge neighbouring runs that share their formatting."""
    merged: list[Run] = []
    for run in runs:
        if merged and dataclasses.replace(merged[-1], text="") == dataclasses.replace(run, text=""):
            merged[-1] = dataclasses.replace(run, text=merged[-1].text + run.text)
        else:
            merged.append(run)
    return merged


def _heading(line: str) -> Heading | None:
    """The heading a seed line is, if it is one."""
    if line in TOP_PARTS:
        return Heading(1, line)
    if WBS_THIRD_LEVEL_RE.fullmatch(line):
        return Heading(2, line)
    if line in PART_HEADINGS or line == TABLE_HEADING:
        return Heading(3, line)
    if WBS_FOURTH_LEVEL_RE.fullmatch(line):
        return Heading(4, line)
    return None


def _is_unfinished(node: Node) -> bool:
    """Whether a paragraph or bullet stops mid-sentence (split by a page break)."""
    return isinstance(node, Paragraph | Bullet) and not node.text.rstrip().endswith(
        TERMINAL_PUNCTUATION
    )


def _parse_ids(cell: str) -> list[str]:
    """The milestone IDs of an ID cell, with wrapped IDs mended."""
    return [WRAPPED_ID_RE.sub("", part.strip()) for part in cell.split(",")]


def _split_description(ids: list[str], description: str) -> tuple[str, str]:
    """Split a description cell into title and italic status note."""
    plain = ITALIC_RE.sub(r"\1", description).strip()
    if ids[0] in LOST_ITALICS:
        title, note = LOST_ITALICS[ids[0]]
        if f"{title} {note}" != plain:
            raise ValueError(f"LOST_ITALICS[{ids[0]!r}] does not match the seed: {plain!r}")
        return title, note
    title, _, rest = description.partition("<i>")
    return title.strip(), ITALIC_RE.sub(r"\1", "<i>" + rest).strip()


def _parse_table(lines: list[str]) -> MilestoneTable:
    """Parse the tab-separated lines of the milestone table."""
    header, *body = (line.split(TABLE_CELL_SEPARATOR) for line in lines)
    raw_rows: list[list[str]] = []
    for cells in body:
        ids_cell, description, due = (cell.strip() for cell in cells)
        if not ids_cell:
            # Continuation of the previous row's description, cut by a page break.
            raw_rows[-1][1] += " " + description
            log.info("table: continued %s with %r", raw_rows[-1][0], description)
        else:
            raw_rows.append([ids_cell, description, due])
    rows: list[GroupRow | MilestoneRow] = []
    for ids_cell, description, due in raw_rows:
        if not description and not due:
            rows.append(GroupRow(ids_cell))
            continue
        ids = _parse_ids(ids_cell)
        title, note = _split_description(ids, description)
        rows.append(MilestoneRow(ids, title, note, due))
    return MilestoneTable([cell.strip() for cell in header], rows)


def read_seed(path: Path) -> Document:
    """Parse a seed text file into a Document, restoring what extraction lost."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    title_at, month_at = [number for number, line in enumerate(lines) if line.strip()][:2]
    nodes: list[Node] = []
    table_lines: list[str] = []
    after_blank = False
    for line in lines[month_at + 1 :]:
        if not line.strip():
            after_blank = True
            continue
        if TABLE_CELL_SEPARATOR in line:
            table_lines.append(line)
            continue
        if table_lines:
            nodes.append(_parse_table(table_lines))
            table_lines = []
        if heading := _heading(line):
            nodes.append(heading)
        elif line.startswith(NESTED_BULLET_PREFIX):
            nodes.append(Bullet(2, parse_inline(line[len(NESTED_BULLET_PREFIX) :])))
        elif line.startswith(BULLET_PREFIX):
            nodes.append(Bullet(1, parse_inline(line[len(BULLET_PREFIX) :])))
        elif after_blank and nodes and _is_unfinished(nodes[-1]):
            log.info("joined %r + %r", nodes[-1].text[-50:], line[:50])
            nodes[-1].runs = _merge_runs([*nodes[-1].runs, Run(" "), *parse_inline(line)])
        else:
            nodes.append(Paragraph(parse_inline(line)))
        after_blank = False
    if table_lines:
        nodes.append(_parse_table(table_lines))
    return Document(title=lines[title_at], month=lines[month_at], nodes=nodes)


# --- PDF -------------------------------------------------------------------------

PDF_TITLE = "LSST Data Management Monthly Report {month}"
PDF_AUTHOR = "LSST Data Management"
PDF_SUBJECT = "Monthly status report of the LSST Data Management subsystem"
PDF_CREATOR = "dmreports corpus/build.py"
# Bundled with reportlab, so the build is the same on every machine; covers ć and •.
FALLBACK_FONT = "Vera"
FALLBACK_FONT_FAMILY = {  # reportlab family role: (font name, file in reportlab/fonts)
    "normal": (FALLBACK_FONT, "Vera.ttf"),
    "bold": ("VeraBd", "VeraBd.ttf"),
    "italic": ("VeraIt", "VeraIt.ttf"),
    "boldItalic": ("VeraBI", "VeraBI.ttf"),
}
# Characters the standard PDF fonts can show: the rest are set in FALLBACK_FONT.
STANDARD_FONT_ENCODING = "cp1252"
CODE_FONT = "Courier"
LEADING_RATIO = 1.25  # line height / font size of titles and headings
TABLE_LEADING_RATIO = 1.2
FRAME_TOLERANCE = 4.0  # pt around the body frame when reading its text back
TABLE_COLUMN_GAP = 2.0  # slack (pt) beyond the widest forced line of a narrow column
# Where the original's narrow ID cells wrapped long IDs (the seed shows "DMTC-7400-209 0").
ID_LINE_BREAKS = {
    "DMTC-7400-2420": ("DMTC-", "7400-2420"),
    "DMTC-7400-2090": ("DMTC-7400-209", "0"),
    "DMTC-7400-2480": ("DMTC-7400-248", "0"),
}


@dataclass(frozen=True)
class PdfStyle:
    """Layout knobs for a PDF rendering of a report."""

    page_size: tuple[float, float]
    margin_left: float
    margin_right: float
    margin_top: float
    margin_bottom: float
    body_font: str
    body_size: float
    body_leading: float
    paragraph_space_after: float
    title_font: str
    title_size: float
    month_size: float
    title_alignment: int
    heading_font: str
    heading_sizes: tuple[float, float, float, float]
    heading_space_before: float
    heading_space_after: float
    bullet_glyphs: tuple[str, str]
    bullet_font: str
    bullet_indents: tuple[float, float]  # left edge of the item text, per level
    bullet_gap: float  # from bullet glyph to item text
    bullet_space_after: float
    table_font_size: float
    table_padding: float
    table_ruled: bool
    table_group_shading: str | None
    link_color: str | None
    running_header: str | None  # formatted with month=...
    footer: str | None  # formatted with page=...
    chrome_font: str = "Helvetica"
    chrome_size: float = 8
    chrome_color: str = "#808080"
    chrome_offset: float = 36  # distance of header/footer baseline from the page edge


MAIN = PdfStyle(
    page_size=LETTER,
    margin_left=72,
    margin_right=72,
    margin_top=72,
    margin_bottom=72,
    body_font="Helvetica",
    body_size=10,
    body_leading=13,
    paragraph_space_after=8,
    title_font="Helvetica-Bold",
    title_size=20,
    month_size=14,
    title_alignment=TA_CENTER,
    heading_font="Helvetica-Bold",
    heading_sizes=(16, 14, 12, 11),
    heading_space_before=10,
    heading_space_after=6,
    bullet_glyphs=("•", "–"),
    bullet_font=FALLBACK_FONT,  # a TrueType "•" extracts as "•" (Helvetica's does not)
    bullet_indents=(18, 36),
    bullet_gap=12,
    bullet_space_after=3,
    table_font_size=9,
    table_padding=4,
    table_ruled=True,
    table_group_shading="#d9d9d9",
    link_color="#1155cc",
    running_header="LSST DM Monthly Report — {month}",
    footer="Page {page}",
)

ALT = PdfStyle(
    page_size=A4,
    margin_left=90,
    margin_right=60,
    margin_top=56,
    margin_bottom=64,
    body_font="Times-Roman",
    body_size=11,
    body_leading=14,
    paragraph_space_after=5,
    title_font="Times-Bold",
    title_size=18,
    month_size=12,
    title_alignment=TA_LEFT,
    heading_font="Helvetica-Bold",
    heading_sizes=(15, 13, 11.5, 11),
    heading_space_before=14,
    heading_space_after=4,
    bullet_glyphs=("–", "*"),
    bullet_font="Times-Roman",
    bullet_indents=(14, 40),
    bullet_gap=9,
    bullet_space_after=1,
    table_font_size=10,
    table_padding=3,
    table_ruled=False,
    table_group_shading=None,
    link_color=None,
    running_header=None,
    footer=None,
)


def _register_fonts() -> None:
    """Register the fallback TrueType family shipped with reportlab."""
    if FALLBACK_FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name, filename in FALLBACK_FONT_FAMILY.values():
        pdfmetrics.registerFont(TTFont(name, filename))
    roles = {role: name for role, (name, _) in FALLBACK_FONT_FAMILY.items()}
    pdfmetrics.registerFontFamily(FALLBACK_FONT, **roles)


def _markup_text(text: str) -> str:
    """Escape text for reportlab markup, setting unencodable characters in FALLBACK_FONT."""
    out = []
    for char in text:
        try:
            char.encode(STANDARD_FONT_ENCODING)
        except UnicodeEncodeError:
            out.append(f'<font face="{FALLBACK_FONT}">{xml_escape(char)}</font>')
        else:
            out.append(xml_escape(char))
    return "".join(out)


def _markup_runs(runs: list[Run], style: PdfStyle) -> str:
    """Reportlab paragraph markup for a list of runs."""
    parts = []
    for run in runs:
        part = _markup_text(run.text)
        if run.code:
            part = f'<font face="{CODE_FONT}">{part}</font>'
        if run.bold:
            part = f"<b>{part}</b>"
        if run.italic:
            part = f"<i>{part}</i>"
        if run.link:
            href = xml_escape(run.link, {'"': "&quot;"})
            if style.link_color:
                part = f'<a href="{href}" color="{style.link_color}"><u>{part}</u></a>'
            else:
                part = f'<a href="{href}">{part}</a>'
        parts.append(part)
    return "".join(parts)


@dataclass(frozen=True)
class _ParagraphStyles:
    """The reportlab paragraph styles derived from a PdfStyle."""

    body: ParagraphStyle
    title: ParagraphStyle
    month: ParagraphStyle
    headings: tuple[ParagraphStyle, ...]
    bullets: tuple[ParagraphStyle, ...]
    cell: ParagraphStyle
    cell_bold: ParagraphStyle


def _paragraph_styles(style: PdfStyle) -> _ParagraphStyles:
    """Build reportlab paragraph styles from the style's knobs."""
    body = ParagraphStyle(
        "body",
        fontName=style.body_font,
        fontSize=style.body_size,
        leading=style.body_leading,
        spaceAfter=style.paragraph_space_after,
    )
    headings = tuple(
        ParagraphStyle(
            f"heading{level}",
            parent=body,
            fontName=style.heading_font,
            fontSize=size,
            leading=size * LEADING_RATIO,
            spaceBefore=style.heading_space_before,
            spaceAfter=style.heading_space_after,
            keepWithNext=True,
        )
        for level, size in enumerate(style.heading_sizes, start=1)
    )
    bullets = tuple(
        ParagraphStyle(
            f"bullet{level}",
            parent=body,
            leftIndent=indent,
            bulletIndent=indent - style.bullet_gap,
            bulletFontName=style.bullet_font,
            bulletFontSize=style.body_size,
            spaceAfter=style.bullet_space_after,
        )
        for level, indent in enumerate(style.bullet_indents, start=1)
    )
    cell = ParagraphStyle(
        "cell",
        parent=body,
        fontSize=style.table_font_size,
        leading=style.table_font_size * TABLE_LEADING_RATIO,
        spaceAfter=0,
    )
    return _ParagraphStyles(
        body=body,
        title=ParagraphStyle(
            "title",
            parent=body,
            fontName=style.title_font,
            fontSize=style.title_size,
            leading=style.title_size * LEADING_RATIO,
            alignment=style.title_alignment,
            spaceAfter=style.title_size / 2,
        ),
        month=ParagraphStyle(
            "month",
            parent=body,
            fontSize=style.month_size,
            leading=style.month_size * LEADING_RATIO,
            alignment=style.title_alignment,
            spaceAfter=style.title_size,
        ),
        headings=headings,
        bullets=bullets,
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=style.heading_font),
    )


def _id_cell_lines(ids: list[str]) -> list[str]:
    """The lines an ID cell shows: long IDs wrapped where the original wrapped them."""
    if len(ids) == 1:
        return list(ID_LINE_BREAKS.get(ids[0], ids))
    return [", ".join(ids)]


def _date_cell_lines(due: str) -> list[str]:
    """The lines a due-date cell shows: "2017-" above "05-31", as in a narrow column."""
    year, _, month_day = due.partition("-")
    return [f"{year}-", month_day]


def _narrow_column_width(lines: list[str], style: PdfStyle, font: str) -> float:
    """Width of a column just wide enough for its widest forced line."""
    widest = max(pdfmetrics.stringWidth(line, font, style.table_font_size) for line in lines)
    return widest + 2 * style.table_padding + TABLE_COLUMN_GAP


def _milestone_table(
    table: MilestoneTable, style: PdfStyle, styles: _ParagraphStyles
) -> platypus.Table:
    """A reportlab Table for the milestone table."""
    milestones = [row for row in table.rows if isinstance(row, MilestoneRow)]
    # Cells listing several IDs wrap at their commas; single IDs set the column width.
    id_lines = [line for row in milestones if len(row.ids) == 1 for line in _id_cell_lines(row.ids)]
    date_lines = [line for row in milestones for line in _date_cell_lines(row.due)]
    frame_width = style.page_size[0] - style.margin_left - style.margin_right
    id_width = _narrow_column_width(id_lines, style, style.body_font)
    date_width = _narrow_column_width(date_lines, style, style.body_font)

    def cell(lines: list[str], cell_style: ParagraphStyle = styles.cell) -> platypus.Paragraph:
        return platypus.Paragraph("<br/>".join(map(_markup_text, lines)), cell_style)

    data = [[cell([column], styles.cell_bold) for column in table.columns]]
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    for row in table.rows:
        if isinstance(row, GroupRow):
            index = len(data)
            data.append([cell([row.name], styles.cell_bold), "", ""])
            commands.append(("SPAN", (0, index), (-1, index)))
            if style.table_group_shading:
                shade = colors.HexColor(style.table_group_shading)
                commands.append(("BACKGROUND", (0, index), (-1, index), shade))
        else:
            description = f"{_markup_text(row.title)} <i>{_markup_text(row.note)}</i>"
            data.append(
                [
                    cell(_id_cell_lines(row.ids)),
                    platypus.Paragraph(description, styles.cell),
                    cell(_date_cell_lines(row.due)),
                ]
            )
    padding = style.table_padding
    commands += [
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding / 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
    ]
    if style.table_ruled:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    widths = [id_width, frame_width - id_width - date_width, date_width]
    return platypus.Table(
        data, colWidths=widths, style=commands, repeatRows=1, spaceAfter=style.paragraph_space_after
    )


def _pdf_story(doc: Document, style: PdfStyle) -> list[platypus.Flowable]:
    """The flowables of a report."""
    styles = _paragraph_styles(style)
    story: list[platypus.Flowable] = [
        platypus.Paragraph(_markup_text(doc.title), styles.title),
        platypus.Paragraph(_markup_text(doc.month), styles.month),
    ]
    for node in doc.nodes:
        if isinstance(node, Heading):
            heading_style = styles.headings[node.level - 1]
            story.append(platypus.Paragraph(_markup_text(node.text), heading_style))
        elif isinstance(node, Paragraph):
            story.append(platypus.Paragraph(_markup_runs(node.runs, style), styles.body))
        elif isinstance(node, Bullet):
            story.append(
                platypus.Paragraph(
                    _markup_runs(node.runs, style),
                    styles.bullets[node.level - 1],
                    bulletText=style.bullet_glyphs[node.level - 1],
                )
            )
        else:
            story.append(_milestone_table(node, style, styles))
    return story


def _decorate_page(canvas, _template, *, style: PdfStyle, month: str, first: bool) -> None:
    """Draw the running header (not on the first page) and the page-number footer."""
    width, height = style.page_size
    canvas.saveState()
    canvas.setFont(style.chrome_font, style.chrome_size)
    canvas.setFillColor(colors.HexColor(style.chrome_color))
    if style.running_header and not first:
        header = style.running_header.format(month=month)
        canvas.drawString(style.margin_left, height - style.chrome_offset, header)
    if style.footer:
        canvas.drawCentredString(
            width / 2, style.chrome_offset, style.footer.format(page=canvas.getPageNumber())
        )
    canvas.restoreState()


def render_pdf(doc: Document, path: Path, *, style: PdfStyle = MAIN) -> None:
    """Write the report as a PDF laid out in the given style."""
    _register_fonts()
    template = platypus.SimpleDocTemplate(
        str(path),
        pagesize=style.page_size,
        leftMargin=style.margin_left,
        rightMargin=style.margin_right,
        topMargin=style.margin_top,
        bottomMargin=style.margin_bottom,
        title=PDF_TITLE.format(month=doc.month),
        author=PDF_AUTHOR,
        subject=PDF_SUBJECT,
        creator=PDF_CREATOR,
        invariant=True,
    )
    template.build(
        _pdf_story(doc, style),
        onFirstPage=partial(_decorate_page, style=style, month=doc.month, first=True),
        onLaterPages=partial(_decorate_page, style=style, month=doc.month, first=False),
    )


def pdf_body_lines(path: Path, style: PdfStyle = MAIN) -> list[list[str]]:
    """The text lines inside each page's body frame (running header and footer excluded)."""
    width, height = style.page_size
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        texts = [
            page.get_textpage().get_text_bounded(
                left=0,
                bottom=style.margin_bottom - FRAME_TOLERANCE,
                right=width,
                top=height - style.margin_top + FRAME_TOLERANCE,
            )
            for page in pdf
        ]
    finally:
        pdf.close()
    return [[line.strip() for line in text.splitlines() if line.strip()] for text in texts]


def pdf_page_texts(path: Path) -> list[str]:
    """The full extracted text of each page."""
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


def pdf_metadata(path: Path) -> dict[str, str]:
    """The PDF's document information (Title, Author, ...)."""
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()


def pdf_link_uris(path: Path) -> set[str]:
    """The URIs of all link annotations in a PDF."""
    with pdfplumber.open(path) as pdf:
        return {link["uri"] for page in pdf.pages for link in page.hyperlinks}


def sentences_across_pages(
    path: Path, doc: Document, style: PdfStyle = MAIN
) -> list[tuple[int, str, str]]:
    """(page, its last body line, next page's first line) for each paragraph split by a page."""
    texts = [node.text for node in doc.nodes if isinstance(node, Paragraph | Bullet)]
    glyphs = "".join(style.bullet_glyphs)
    pages = pdf_body_lines(path, style)
    found = []
    for number, (lines, following) in enumerate(zip(pages, pages[1:], strict=False), start=1):
        tail, head = lines[-1].lstrip(glyphs).strip(), following[0]
        if not tail.endswith(TERMINAL_PUNCTUATION) and any(
            f"{tail} {head}" in text for text in texts
        ):
            found.append((number, tail, head))
    return found


# --- HTML ------------------------------------------------------------------------

SITE_NAME = "Rubin Document Archive"
SITE_NAV = (("Home", "/"), ("Search", "/search"), ("DM Monthly Reports", "/collections/dm-monthly"))
SITE_COPYRIGHT = (
    "© 2024 Association of Universities for Research in Astronomy, Inc. (AURA). "
    "All rights reserved."
)
HTML_HEADING_TAGS = {1: "h2", 2: "h3", 3: "h4", 4: "h5"}
HTML_CSS = """\
body { font-family: Georgia, serif; margin: 0; color: #222; }
header.site, footer.site { background: #1f2a44; color: #fff; padding: 0.6em 2em; }
header.site a, footer.site a { color: #fff; margin-right: 1.2em; text-decoration: none; }
header.site .brand { font-weight: bold; font-size: 1.2em; }
header.site nav { display: inline-block; margin-left: 2em; }
main { max-width: 52em; margin: 2em auto; padding: 0 1em; }
p.subtitle { font-size: 1.3em; color: #555; }
table.milestones { border-collapse: collapse; width: 100%; }
table.milestones th, table.milestones td {
  border: 1px solid #999; padding: 0.3em; vertical-align: top;
}
table.milestones tr.group th { background: #e6e6e6; text-align: left; }
"""


def _html_runs(runs: list[Run]) -> str:
    """HTML for a list of runs."""
    parts = []
    for run in runs:
        part = html.escape(run.text, quote=False)
        if run.code:
            part = f"<code>{part}</code>"
        if run.bold:
            part = f"<strong>{part}</strong>"
        if run.italic:
            part = f"<em>{part}</em>"
        if run.link:
            part = f'<a href="{html.escape(run.link)}">{part}</a>'
        parts.append(part)
    return "".join(parts)


def _html_table(table: MilestoneTable) -> list[str]:
    """HTML lines for the milestone table."""
    head = "".join(f"<th>{html.escape(column)}</th>" for column in table.columns)
    out = ['<table class="milestones">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in table.rows:
        if isinstance(row, GroupRow):
            span = len(table.columns)
            out.append(f'<tr class="group"><th colspan="{span}">{html.escape(row.name)}</th></tr>')
        else:
            out.append(
                f"<tr><td>{html.escape(', '.join(row.ids))}</td>"
                f"<td>{html.escape(row.title)} <em>{html.escape(row.note)}</em></td>"
                f"<td>{html.escape(row.due)}</td></tr>"
            )
    out += ["</tbody>", "</table>"]
    return out


def _html_list(bullets: list[Bullet]) -> list[str]:
    """HTML lines for a run of bullets, nesting level-2 items inside their parent item."""
    items: list[tuple[Bullet, list[Bullet]]] = []
    for bullet in bullets:
        if bullet.level == 1:
            items.append((bullet, []))
        elif items:
            items[-1][1].append(bullet)
        else:
            raise ValueError(f"nested bullet without a parent item: {bullet.text!r}")
    out = ["<ul>"]
    for item, children in items:
        if children:
            out += [f"<li>{_html_runs(item.runs)}", "<ul>"]
            out += [f"<li>{_html_runs(child.runs)}</li>" for child in children]
            out.append("</ul></li>")
        else:
            out.append(f"<li>{_html_runs(item.runs)}</li>")
    out.append("</ul>")
    return out


def _html_body(nodes: list[Node]) -> list[str]:
    """HTML lines for the body nodes."""
    out: list[str] = []
    for is_list, group in itertools.groupby(nodes, key=lambda node: isinstance(node, Bullet)):
        if is_list:
            out += _html_list(list(group))
            continue
        for node in group:
            if isinstance(node, Heading):
                tag = HTML_HEADING_TAGS[node.level]
                out.append(f"<{tag}>{html.escape(node.text)}</{tag}>")
            elif isinstance(node, Paragraph):
                out.append(f"<p>{_html_runs(node.runs)}</p>")
            else:
                out += _html_table(node)
    return out


def render_html(doc: Document, path: Path) -> None:
    """Write the report as the document archive's HTML page."""
    nav = "".join(f'<a href="{href}">{html.escape(label)}</a>' for label, href in SITE_NAV)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(PDF_TITLE.format(month=doc.month))} | {SITE_NAME}</title>",
        f"<style>\n{HTML_CSS}</style>",
        "</head>",
        "<body>",
        '<header class="site">',
        f'<a class="brand" href="/">{SITE_NAME}</a>',
        f"<nav>{nav}</nav>",
        "</header>",
        "<main>",
        "<article>",
        f"<h1>{html.escape(doc.title)}</h1>",
        f'<p class="subtitle">{html.escape(doc.month)}</p>',
        *_html_body(doc.nodes),
        "</article>",
        "</main>",
        '<footer class="site">',
        f"<p>{html.escape(SITE_COPYRIGHT)}</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- build -----------------------------------------------------------------------


def build(doc: Document, out_dir: Path) -> tuple[Path, Path]:
    """Render a report into out_dir as PDF (MAIN style) and HTML; return both paths."""
    pdf_path = Path(out_dir) / f"{REPORT_NAME}.pdf"
    html_path = Path(out_dir) / f"{REPORT_NAME}.html"
    render_pdf(doc, pdf_path)
    render_html(doc, html_path)
    return pdf_path, html_path


def main() -> None:
    """Rebuild the committed corpus files and report the page breaks sentences run across."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    doc = read_seed(SEED_PATH)
    pdf_path, html_path = build(doc, CORPUS_DIR)
    pages = len(pdf_page_texts(pdf_path))
    print(f"wrote {pdf_path.relative_to(CORPUS_DIR.parent)} ({pages} pages)")
    print(f"wrote {html_path.relative_to(CORPUS_DIR.parent)}")
    runs_on = sentences_across_pages(pdf_path, doc)
    for page, tail, head in runs_on:
        print(f"page {page} -> {page + 1}: {tail!r} / {head!r}")
    if not runs_on:
        raise SystemExit("no sentence runs across a page break; adjust the MAIN spacing")


if __name__ == "__main__":
    main()
