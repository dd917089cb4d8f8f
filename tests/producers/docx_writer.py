"""A Word document of the report, as an author writing it in a word processor has it.

Made with python-docx on its default (Word) template: Title and Subtitle, real
Heading 1-4 styles, List Bullet / List Bullet 2 for the nested bullets, the
milestone table in "Table Grid" with a header row that repeats on every page
(``w:tblHeader``), shaded group rows, hyperlinks as ``w:hyperlink`` elements whose
runs carry Word's "Hyperlink" character style (as Word writes them; LibreOffice
exports a link annotation only for a link that has a character style of its own), and
a header and a "Page N of M" footer made of fields. LibreOffice prints it to PDF.
"""

from __future__ import annotations

import datetime

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from seed import ItemList, MilestoneTable, NumberedHeading, Paragraph, blocks, milestone_cells

LINK_COLOR = "1155CC"
LINK_STYLE = "Hyperlink"
GROUP_SHADING = "D9D9D9"
LIST_STYLES = ("List Bullet", "List Bullet 2")
# The document's own dates, so that a rebuild changes only what the seed changes.
WRITTEN = datetime.datetime(2017, 11, 6, 12, 0)


def _add_run(paragraph, run, *, italic: bool = False):
    """A text run with the seed run's formatting."""
    out = paragraph.add_run(run.text)
    out.italic = run.italic or italic or None
    out.bold = run.bold or None
    if run.code:
        out.font.name = "Courier New"
    return out


def _add_hyperlink(paragraph, run) -> None:
    """A w:hyperlink to run.link around a run styled as Word styles links."""
    part = paragraph.part
    rel_id = part.relate_to(run.link, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    inner = paragraph.add_run(run.text, style=LINK_STYLE)
    inner.italic = run.italic or None
    inner.bold = run.bold or None
    link.append(inner._r)
    paragraph._p.append(link)


def _fill(paragraph, runs, *, italic: bool = False) -> None:
    for run in runs:
        if run.link:
            _add_hyperlink(paragraph, run)
        else:
            _add_run(paragraph, run, italic=italic)


def _field(paragraph, instruction: str) -> None:
    """A simple field (PAGE, NUMPAGES) that the word processor fills in."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _shade(cell, color: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), color)
    properties.append(shading)


def _repeat_as_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _table(document, table: MilestoneTable) -> None:
    grid = document.add_table(rows=1, cols=len(table.columns), style="Table Grid")
    head = grid.rows[0]
    _repeat_as_header(head)
    for cell, column in zip(head.cells, table.columns, strict=True):
        cell.paragraphs[0].add_run(column).bold = True
        _shade(cell, GROUP_SHADING)
    for row in table.rows:
        cells = grid.add_row().cells
        if not hasattr(row, "ids"):
            merged = cells[0].merge(cells[-1])
            merged.paragraphs[0].add_run(row.name).bold = True
            continue
        ids, title, note, due = milestone_cells(row)
        cells[0].paragraphs[0].add_run(ids)
        description = cells[1].paragraphs[0]
        description.add_run(f"{title} ")
        description.add_run(note).italic = True
        cells[2].paragraphs[0].add_run(due)
    widths = (Pt(100), Pt(290), Pt(78))
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    for row in grid.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _page_furniture(document, month: str) -> None:
    section = document.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = f"LSST DM Monthly Report — {month}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    first_footer = section.first_page_footer.paragraphs[0]
    first_footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    first_footer.add_run("Page ")
    _field(first_footer, "PAGE")
    first_footer.add_run(" of ")
    _field(first_footer, "NUMPAGES")


def render(doc, path) -> None:
    """Write the report as a .docx file."""
    document = Document()
    properties = document.core_properties
    properties.title = f"LSST Data Management Monthly Report {doc.month}"
    properties.author = "LSST Data Management"
    properties.created = properties.modified = WRITTEN
    properties.last_modified_by = properties.author
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    link = document.styles.add_style(LINK_STYLE, WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = RGBColor.from_string(LINK_COLOR)
    link.font.underline = True
    _page_furniture(document, doc.month)
    document.add_paragraph(doc.title, style="Title")
    document.add_paragraph(doc.month, style="Subtitle")
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            _fill(document.add_paragraph(), block.runs)
        elif isinstance(block, ItemList):
            for item in block.items:
                _fill(document.add_paragraph(style=LIST_STYLES[0]), item.runs)
                for child in item.children:
                    _fill(document.add_paragraph(style=LIST_STYLES[1]), child.runs)
        else:
            _table(document, block)
    document.save(str(path))
