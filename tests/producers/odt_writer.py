"""An OpenDocument text of the report, as an author writing it in LibreOffice has it.

A flat ODT (``.fodt``, one XML file): A4, Liberation Sans 10pt, headings numbered by
the outline ("1", "4.3", "4.3.1"; level 4 unnumbered), bulleted lists with their
own list style ("–" and "▪" bullets), links with the "Internet link" character style,
a running header with the report's title and a footer with the page number, and the
milestone table with a repeated header row (``table:table-header-rows``), shaded
group rows spanning the table and a rule under each row. LibreOffice prints it to PDF.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from seed import ItemList, MilestoneTable, NumberedHeading, Paragraph, blocks, milestone_cells

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text"'
)

_HEADING_SIZES = {1: "15pt", 2: "13pt", 3: "11.5pt", 4: "10.5pt"}


def _heading_styles() -> str:
    out = []
    for level, size in _HEADING_SIZES.items():
        italic = ' fo:font-style="italic"' if level == 4 else ""
        out.append(
            f'<style:style style:name="Heading_20_{level}" style:display-name="Heading {level}" '
            'style:family="paragraph" style:parent-style-name="Standard" '
            f'style:next-style-name="Text_20_body" style:default-outline-level="{level}">'
            '<style:paragraph-properties fo:margin-top="0.16in" fo:margin-bottom="0.06in" '
            'fo:keep-with-next="always"/>'
            f'<style:text-properties fo:font-size="{size}" fo:font-weight="bold"{italic}/>'
            "</style:style>"
        )
    return "".join(out)


def _outline() -> str:
    levels = []
    for level in range(1, 11):
        numbered = level <= 3
        fmt = 'style:num-format="1"' if numbered else 'style:num-format=""'
        display = f' text:display-levels="{level}"' if numbered else ""
        suffix = ' style:num-suffix="."' if level == 1 else ""
        levels.append(
            f'<text:outline-level-style text:level="{level}" {fmt}{display}{suffix}>'
            "<style:list-level-properties text:list-level-position-and-space-mode="
            '"label-alignment"><style:list-level-label-alignment text:label-followed-by='
            '"space"/></style:list-level-properties></text:outline-level-style>'
        )
    return '<text:outline-style style:name="Outline">' + "".join(levels) + "</text:outline-style>"


STYLES = (
    "<office:font-face-decls>"
    '<style:font-face style:name="Liberation Sans" svg:font-family="\'Liberation Sans\'" '
    'style:font-family-generic="swiss"/>'
    '<style:font-face style:name="Liberation Mono" svg:font-family="\'Liberation Mono\'" '
    'style:font-family-generic="modern"/>'
    "</office:font-face-decls>"
    "<office:styles>"
    '<style:default-style style:family="paragraph"><style:text-properties '
    'style:font-name="Liberation Sans" fo:font-size="10pt" fo:language="en" fo:country="US"/>'
    "</style:default-style>"
    '<style:style style:name="Standard" style:family="paragraph"/>'
    '<style:style style:name="Text_20_body" style:display-name="Text body" '
    'style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties fo:margin-top="0in" fo:margin-bottom="0.07in" '
    'fo:line-height="120%"/></style:style>'
    '<style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties fo:text-align="center" fo:margin-bottom="0.04in"/>'
    '<style:text-properties fo:font-size="20pt" fo:font-weight="bold"/></style:style>'
    '<style:style style:name="Subtitle" style:family="paragraph" '
    'style:parent-style-name="Standard"><style:paragraph-properties fo:text-align="center" '
    'fo:margin-bottom="0.2in"/><style:text-properties fo:font-size="13pt"/></style:style>'
    + _heading_styles()
    + '<style:style style:name="List_20_item" style:display-name="List item" '
    'style:family="paragraph" style:parent-style-name="Text_20_body">'
    '<style:paragraph-properties fo:margin-bottom="0.03in"/></style:style>'
    '<style:style style:name="Table_20_text" style:display-name="Table text" '
    'style:family="paragraph" style:parent-style-name="Standard">'
    '<style:text-properties fo:font-size="9pt"/></style:style>'
    '<style:style style:name="Table_20_heading" style:display-name="Table heading" '
    'style:family="paragraph" style:parent-style-name="Table_20_text">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="Header" style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties fo:text-align="end"/>'
    '<style:text-properties fo:font-size="8pt" fo:color="#555555"/></style:style>'
    '<style:style style:name="Footer" style:family="paragraph" style:parent-style-name="Standard">'
    '<style:paragraph-properties fo:text-align="center"/>'
    '<style:text-properties fo:font-size="8pt"/></style:style>'
    '<style:style style:name="Internet_20_link" style:display-name="Internet link" '
    'style:family="text"><style:text-properties fo:color="#0b5394" '
    'style:text-underline-style="solid" style:text-underline-width="auto" '
    'style:text-underline-color="font-color"/></style:style>'
    '<text:list-style style:name="Bullets">'
    '<text:list-level-style-bullet text:level="1" text:bullet-char="–">'
    '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
    '<style:list-level-label-alignment text:label-followed-by="listtab" '
    'text:list-tab-stop-position="0.25in" fo:text-indent="-0.18in" fo:margin-left="0.25in"/>'
    "</style:list-level-properties></text:list-level-style-bullet>"
    '<text:list-level-style-bullet text:level="2" text:bullet-char="▪">'
    '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
    '<style:list-level-label-alignment text:label-followed-by="listtab" '
    'text:list-tab-stop-position="0.5in" fo:text-indent="-0.18in" fo:margin-left="0.5in"/>'
    "</style:list-level-properties></text:list-level-style-bullet>"
    "</text:list-style>" + _outline() + "</office:styles>"
    "<office:automatic-styles>"
    '<style:style style:name="T_i" style:family="text">'
    '<style:text-properties fo:font-style="italic"/></style:style>'
    '<style:style style:name="T_b" style:family="text">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="T_c" style:family="text">'
    '<style:text-properties style:font-name="Liberation Mono"/></style:style>'
    '<style:style style:name="Milestones" style:family="table">'
    '<style:table-properties style:width="6.5in" table:align="margins"/></style:style>'
    '<style:style style:name="Milestones.A" style:family="table-column">'
    '<style:table-column-properties style:column-width="1.35in"/></style:style>'
    '<style:style style:name="Milestones.B" style:family="table-column">'
    '<style:table-column-properties style:column-width="4.05in"/></style:style>'
    '<style:style style:name="Milestones.C" style:family="table-column">'
    '<style:table-column-properties style:column-width="1.1in"/></style:style>'
    '<style:style style:name="Cell" style:family="table-cell">'
    '<style:table-cell-properties fo:padding="0.03in" fo:border-top="none" '
    'fo:border-left="none" fo:border-right="none" fo:border-bottom="0.5pt solid #808080"/>'
    "</style:style>"
    '<style:style style:name="HeadCell" style:family="table-cell">'
    '<style:table-cell-properties fo:padding="0.03in" fo:background-color="#e6e6e6" '
    'fo:border-top="1pt solid #000000" fo:border-bottom="1pt solid #000000" '
    'fo:border-left="none" fo:border-right="none"/></style:style>'
    '<style:style style:name="GroupCell" style:family="table-cell">'
    '<style:table-cell-properties fo:padding="0.03in" fo:background-color="#f2f2f2" '
    'fo:border-bottom="0.5pt solid #808080" fo:border-top="none" fo:border-left="none" '
    'fo:border-right="none"/></style:style>'
    '<style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="210mm" '
    'fo:page-height="297mm" fo:margin-top="15mm" fo:margin-bottom="15mm" '
    'fo:margin-left="22mm" fo:margin-right="22mm"/>'
    '<style:header-style><style:header-footer-properties fo:min-height="0in" '
    'fo:margin-bottom="0.15in"/></style:header-style>'
    '<style:footer-style><style:header-footer-properties fo:min-height="0in" '
    'fo:margin-top="0.15in"/></style:footer-style></style:page-layout>'
    "</office:automatic-styles>"
)


def _runs(runs) -> str:
    parts = []
    for run in runs:
        text = escape(run.text)
        if run.code:
            text = f'<text:span text:style-name="T_c">{text}</text:span>'
        if run.bold:
            text = f'<text:span text:style-name="T_b">{text}</text:span>'
        if run.italic:
            text = f'<text:span text:style-name="T_i">{text}</text:span>'
        if run.link:
            text = (
                f'<text:a xlink:type="simple" xlink:href={quoteattr(run.link)} '
                'text:style-name="Internet_20_link" '
                f'text:visited-style-name="Internet_20_link">{text}</text:a>'
            )
        parts.append(text)
    return "".join(parts)


def _list(items, top: bool) -> str:
    style = ' text:style-name="Bullets"' if top else ""
    out = [f"<text:list{style}>"]
    for item in items:
        out.append(
            f'<text:list-item><text:p text:style-name="List_20_item">{_runs(item.runs)}</text:p>'
        )
        if item.children:
            out.append(_list(item.children, top=False))
        out.append("</text:list-item>")
    out.append("</text:list>")
    return "".join(out)


def _cell(content: str, style: str = "Cell", paragraph: str = "Table_20_text", span=1) -> str:
    spanned = f' table:number-columns-spanned="{span}"' if span > 1 else ""
    return (
        f'<table:table-cell table:style-name="{style}" office:value-type="string"{spanned}>'
        f'<text:p text:style-name="{paragraph}">{content}</text:p></table:table-cell>'
        + "<table:covered-table-cell/>"
        * (span - 1)
    )


def _table(table: MilestoneTable) -> str:
    out = [
        '<table:table table:name="Milestones" table:style-name="Milestones">',
        '<table:table-column table:style-name="Milestones.A"/>',
        '<table:table-column table:style-name="Milestones.B"/>',
        '<table:table-column table:style-name="Milestones.C"/>',
        "<table:table-header-rows><table:table-row>",
        *(_cell(escape(c), "HeadCell", "Table_20_heading") for c in table.columns),
        "</table:table-row></table:table-header-rows>",
    ]
    for row in table.rows:
        out.append("<table:table-row>")
        if not hasattr(row, "ids"):
            out.append(_cell(escape(row.name), "GroupCell", "Table_20_heading", len(table.columns)))
        else:
            ids, title, note, due = milestone_cells(row)
            description = escape(title)
            if note:
                description += f' <text:span text:style-name="T_i">{escape(note)}</text:span>'
            out += [_cell(escape(ids)), _cell(description), _cell(escape(due))]
        out.append("</table:table-row>")
    out.append("</table:table>")
    return "".join(out)


def render(doc) -> str:
    """The report as a flat OpenDocument text (.fodt)."""
    body = [
        f'<text:p text:style-name="Title">{escape(doc.title)}</text:p>',
        f'<text:p text:style-name="Subtitle">{escape(doc.month)}</text:p>',
    ]
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            body.append(
                f'<text:h text:style-name="Heading_20_{block.level}" '
                f'text:outline-level="{block.level}">{escape(block.text)}</text:h>'
            )
        elif isinstance(block, Paragraph):
            body.append(f'<text:p text:style-name="Text_20_body">{_runs(block.runs)}</text:p>')
        elif isinstance(block, ItemList):
            body.append(_list(block.items, top=True))
        else:
            body.append(_table(block))
    master = (
        "<office:master-styles>"
        '<style:master-page style:name="Standard" style:page-layout-name="A4">'
        f'<style:header><text:p text:style-name="Header">{escape(doc.title)}, '
        f"{escape(doc.month)}</text:p></style:header>"
        '<style:footer><text:p text:style-name="Footer"><text:page-number '
        'text:select-page="current">1</text:page-number></text:p></style:footer>'
        "</style:master-page></office:master-styles>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<office:document {NS}>"
        "<office:meta>"
        f"<dc:title>{escape(doc.title)} {escape(doc.month)}</dc:title>"
        "<meta:creation-date>2017-11-06T12:00:00</meta:creation-date>"
        "</office:meta>"
        + STYLES
        + master
        + "<office:body><office:text>"
        + "".join(body)
        + "</office:text></office:body></office:document>\n"
    )
