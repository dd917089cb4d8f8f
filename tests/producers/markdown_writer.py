"""Pandoc Markdown of the report, as an author writing in Markdown has it.

ATX headings (numbered by pandoc's ``--number-sections``, levels 1 to 3; level 4 is
LaTeX's run-in ``\\paragraph``), inline links, emphasis, nested ``-`` lists and the
milestone table as a pipe table (pandoc sets it as a ``longtable`` with wrapped
cells, its header repeated on each page; group rows have only their first cell). The
title block is pandoc's YAML metadata. Pandoc turns it into LaTeX and pdfLaTeX
prints it.
"""

from __future__ import annotations

import re

from seed import ItemList, MilestoneTable, NumberedHeading, Paragraph, blocks, milestone_cells

# Every ASCII punctuation character that Markdown may read as markup is escaped.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~^$@&:;'\"=%?,/])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _runs(runs) -> str:
    parts = []
    for run in runs:
        if run.code:
            part = f"`{run.text}`"
        else:
            part = _escape(run.text)
        if run.bold:
            part = f"**{part}**"
        if run.italic:
            part = f"*{part}*"
        if run.link:
            assert not re.search(r"[()\s]", run.link), run.link
            part = f"[{part}]({run.link})"
        parts.append(part)
    return "".join(parts)


def _items(items, indent: str) -> list[str]:
    out = []
    for item in items:
        out.append(f"{indent}- {_runs(item.runs)}")
        out += _items(item.children, indent + "    ")
    return out


def _cell(text: str) -> str:
    return _escape(text).replace("|", "\\|")


def _table(table: MilestoneTable) -> list[str]:
    out = ["| " + " | ".join(_cell(c) for c in table.columns) + " |"]
    # Relative widths: the description gets most of the line.
    out.append("|:" + "-" * 14 + "|:" + "-" * 50 + "|:" + "-" * 12 + "|")
    for row in table.rows:
        if not hasattr(row, "ids"):
            out.append(f"| {_cell(row.name)} | | |")
            continue
        ids, title, note, due = milestone_cells(row)
        description = f"{_cell(title)} *{_cell(note)}*" if note else _cell(title)
        out.append(f"| {_cell(ids)} | {description} | {_cell(due)} |")
    return out


def render(doc) -> str:
    """The report as a Pandoc Markdown document."""
    title = doc.title.replace('"', '\\"')
    out = ["---", f'title: "{title}"', f'date: "{doc.month}"', "---", ""]
    for block in blocks(doc):
        if isinstance(block, NumberedHeading):
            out += ["#" * block.level + " " + _escape(block.text), ""]
        elif isinstance(block, Paragraph):
            out += [_runs(block.runs), ""]
        elif isinstance(block, ItemList):
            out += [*_items(block.items, ""), ""]
        else:
            out += [*_table(block), ""]
    return "\n".join(out)
