"""HTML for printing: the report as a browser or an HTML-to-PDF converter gets it.

Two house styles of the same markup: a browser-print page (``chromium``) and a
converter stylesheet with numbered headings, justified text and automatic
hyphenation (``weasyprint``). Both carry print CSS: page size, margins, a running
header with the current section and page numbers in the page margins.
"""

from __future__ import annotations

import html

from seed import (
    ItemList,
    MilestoneTable,
    NumberedHeading,
    Paragraph,
    blocks,
    build,
    milestone_cells,
)

HEADING_TAGS = {1: "h1", 2: "h2", 3: "h3", 4: "h4"}

CHROMIUM_CSS = """\
@page {
  size: Letter;
  margin: 0.9in 0.8in 0.9in 0.8in;
  @top-left {
    content: "LSST DM Monthly Report \\2014  October 2017"; font: 8pt sans-serif; color: #666;
  }
  @bottom-right {
    content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #666;
  }
}
@page :first { @top-left { content: none; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.35; color: #111; }
header.doc h1.title { font-size: 20pt; text-align: center; margin: 0 0 4pt; }
header.doc p.month { font-size: 14pt; text-align: center; margin: 0 0 18pt; }
h1 { font-size: 16pt; margin: 14pt 0 6pt; border-bottom: 1px solid #999; }
h2 { font-size: 13.5pt; margin: 12pt 0 5pt; color: #1f3864; }
h3 { font-size: 11.5pt; margin: 10pt 0 4pt; }
h4 { font-size: 10.5pt; margin: 8pt 0 3pt; font-style: italic; }
h1, h2, h3, h4 { break-after: avoid; }
a { color: #1155cc; }
ul { margin: 3pt 0 6pt; padding-left: 18pt; }
ul ul { list-style-type: circle; }
table.milestones { border-collapse: collapse; width: 100%; font-size: 9pt; }
table.milestones th, table.milestones td {
  border: 0.5pt solid #444; padding: 3pt 4pt; vertical-align: top; text-align: left;
}
table.milestones thead th { background: #dde3ee; }
table.milestones tr { break-inside: avoid; }
table.milestones td p { margin: 0; }
table.milestones tr.group td { background: #f0f0f0; font-weight: bold; }
table.milestones td.id { width: 16%; }
table.milestones td.due { width: 12%; white-space: nowrap; }
"""

WEASYPRINT_CSS = """\
@page {
  size: A4;
  margin: 25mm 22mm 25mm 22mm;
  @top-right { content: string(section); font: italic 8.5pt serif; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font: 8.5pt serif; }
}
@page :first { @top-right { content: none; } }
html { font-family: "DejaVu Serif", serif; font-size: 10.5pt; }
body { counter-reset: h1; }
p, li { text-align: justify; hyphens: auto; line-height: 1.3; }
p { margin: 0 0 6pt; }
header.doc h1.title { font-size: 19pt; margin: 0; }
header.doc p.month { font-size: 13pt; margin: 2pt 0 16pt; }
h1 { counter-increment: h1; counter-reset: h2; font-size: 15pt; string-set: section content(text); }
h2 { counter-increment: h2; counter-reset: h3; font-size: 13pt; string-set: section content(text); }
h3 { counter-increment: h3; font-size: 11pt; }
h4 { font-size: 10.5pt; font-weight: bold; font-style: italic; }
h1::before { content: counter(h1) ".\\2002"; }
h2::before { content: counter(h1) "." counter(h2) "\\2002"; }
h3::before { content: counter(h1) "." counter(h2) "." counter(h3) "\\2002"; }
header.doc h1.title { counter-increment: none; string-set: none; }
header.doc h1.title::before { content: none; }
h1, h2, h3, h4 { break-after: avoid; margin: 12pt 0 4pt; }
a { color: #203f7a; text-decoration: none; }
ul { padding-left: 16pt; margin: 2pt 0 6pt; }
ul ul { list-style-type: "\\2013  "; }
table.milestones { border-collapse: collapse; width: 100%; font-size: 9pt; }
table.milestones th {
  border-top: 1pt solid black; border-bottom: 0.5pt solid black; text-align: left; padding: 2pt 4pt;
}
table.milestones td { padding: 2pt 4pt; vertical-align: top; border-bottom: 0.25pt solid #bbb; }
table.milestones td p { text-align: left; hyphens: manual; margin: 0; }
table.milestones tr.group td { font-variant: small-caps; font-weight: bold; padding-top: 6pt; }
"""

# A narrow page (a phone-sized 5.5 x 8.5 in), Liberation Serif, a running header centred
# in the top margin and the page number at the bottom left, and an unruled table whose
# narrow "Due Date" column wraps its header onto two lines, the other header cells set
# in the middle of the header's band.
CHROMIUM_NARROW_CSS = """\
@page {
  size: 5.5in 8.5in;
  margin: 0.75in 0.5in 0.7in 0.5in;
  @top-center { content: "DM Monthly Report, October 2017"; font: italic 7.5pt serif; }
  @bottom-left { content: counter(page); font: 7.5pt serif; }
}
body { font-family: "Liberation Serif", serif; font-size: 10pt; line-height: 1.25; }
header.doc h1.title { font-size: 15pt; margin: 0 0 2pt; }
header.doc p.month { font-size: 11pt; margin: 0 0 12pt; font-style: italic; }
h1 { font-size: 13pt; margin: 12pt 0 4pt; font-variant: small-caps; }
h2 { font-size: 11.5pt; margin: 10pt 0 3pt; }
h3 { font-size: 10.5pt; margin: 8pt 0 2pt; text-decoration: underline; }
h4 { font-size: 10pt; margin: 6pt 0 2pt; font-weight: normal; font-style: italic; }
h1, h2, h3, h4 { break-after: avoid; }
a { color: #7a1f1f; }
ul { margin: 2pt 0 5pt; padding-left: 14pt; list-style-type: square; }
ul ul { list-style-type: disc; }
table.milestones { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
table.milestones th {
  font-weight: bold; font-size: 9.5pt; text-align: left; vertical-align: middle; padding: 2pt;
}
table.milestones td { padding: 2pt; vertical-align: top; text-align: left; }
table.milestones tr { break-inside: avoid; }
table.milestones td p { margin: 0; }
table.milestones tr.group td { font-weight: bold; font-style: italic; padding-top: 5pt; }
table.milestones th:last-child { width: 1px; }
table.milestones td.id { width: 22%; }
"""

# A5, DejaVu Sans, no page furniture in the margins but the page number, and a ruled
# table of larger type whose rows may break across pages, its header repeated on
# each page (WeasyPrint repeats a table's thead).
WEASYPRINT_A5_CSS = """\
@page {
  size: A5;
  margin: 15mm 13mm 16mm 13mm;
  @bottom-right { content: counter(page); font: 8pt sans-serif; }
}
html { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; }
p, li { line-height: 1.3; }
p { margin: 0 0 5pt; }
header.doc h1.title { font-size: 14pt; margin: 0; }
header.doc p.month { font-size: 11pt; margin: 2pt 0 12pt; }
h1 { font-size: 12.5pt; margin: 10pt 0 4pt; }
h2 { font-size: 11pt; margin: 9pt 0 3pt; }
h3 { font-size: 10pt; margin: 8pt 0 3pt; }
h4 { font-size: 9pt; margin: 6pt 0 2pt; font-style: italic; }
h1, h2, h3, h4 { break-after: avoid; }
a { color: #00529b; }
ul { padding-left: 13pt; margin: 2pt 0 5pt; }
table.milestones { border-collapse: collapse; width: 100%; font-size: 10pt; }
table.milestones th, table.milestones td {
  border: 0.6pt solid #333; padding: 3pt; vertical-align: top; text-align: left;
}
table.milestones thead th { background: #e8e8e8; }
table.milestones tr { break-inside: auto; }
table.milestones td p { margin: 0; }
table.milestones tr.group td { font-weight: bold; background: #f4f4f4; }
table.milestones td.id { width: 25%; }
table.milestones td.due { width: 22%; }
"""

# The run markup (links, emphasis, code) is the archive rendition's own.
_runs = build._html_runs


def _items(items, indent: str) -> list[str]:
    out = [f"{indent}<ul>"]
    for item in items:
        if item.children:
            out.append(f"{indent}  <li>{_runs(item.runs)}")
            out += _items(item.children, indent + "    ")
            out.append(f"{indent}  </li>")
        else:
            out.append(f"{indent}  <li>{_runs(item.runs)}</li>")
    out.append(f"{indent}</ul>")
    return out


def _table(table: MilestoneTable) -> list[str]:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in table.columns)
    out = ['<table class="milestones">', f"  <thead><tr>{head}</tr></thead>", "  <tbody>"]
    for row in table.rows:
        if not hasattr(row, "ids"):
            span = len(table.columns)
            out.append(
                f'  <tr class="group"><td colspan="{span}">{html.escape(row.name)}</td></tr>'
            )
            continue
        ids, title, note, due = (html.escape(cell) for cell in milestone_cells(row))
        out.append(
            f'  <tr><td class="id">{ids}</td>'
            f"<td><p>{title} <em>{note}</em></p></td>"
            f'<td class="due">{due}</td></tr>'
        )
    out += ["  </tbody>", "</table>"]
    return out


def render(doc, css: str) -> str:
    """The report as an HTML page styled for print by ``css`` (which may number headings)."""
    body: list[str] = []
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            tag = HEADING_TAGS[block.level]
            body.append(f"<{tag}>{html.escape(block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_runs(block.runs)}</p>")
        elif isinstance(block, ItemList):
            body += _items(block.items, "")
        else:
            body += _table(block)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(doc.title)} — {html.escape(doc.month)}</title>",
        f"<style>\n{css}</style>",
        "</head>",
        "<body>",
        '<header class="doc">',
        f'<h1 class="title">{html.escape(doc.title)}</h1>',
        f'<p class="month">{html.escape(doc.month)}</p>',
        "</header>",
        *body,
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"
