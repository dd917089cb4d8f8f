"""The structure parser: a reader's Layout -> a Report.

Headings are recognised from layout (larger or bold text) and then classified
by what they say: a WBS code, a part name, or a top part of the report. Nothing
here depends on one file's positions; every reader feeds the same parser.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import milestones as milestone_tables
from . import wbs as wbs_codes
from .blocks import Block, Layout
from .dates import parse_month
from .models import Milestone, Reference, Report, Section
from .references import find_identifiers, url_of
from .text import sentences, squash

NO_STRUCTURE = "no report structure found"
NO_MONTH = "report month not found"
# A heading is at least this much larger than body text, or bold and this long at most.
HEADING_SIZE_MARGIN = 0.75
HEADING_MAX_CHARS = 160
SIZE_TOLERANCE = 0.25

PART_NAMES = {
    "current accomplishments": "accomplishments",
    "accomplishments": "accomplishments",
    "planned activities": "planned",
    "plans": "planned",
    "planned": "planned",
    "recruitment update": "recruitment",
    "recruitment": "recruitment",
    "recruitment updates": "recruitment",
}


def part_of(heading: str) -> str | None:
    """The part a heading names ('Planned activities' -> 'planned'), or None."""
    return PART_NAMES.get(squash(heading).rstrip(":").lower())


def body_size(blocks: tuple[Block, ...]) -> float:
    """The font size of most of the text."""
    sizes: Counter[float] = Counter()
    for block in blocks:
        if block.kind == "text":
            sizes[round(block.size, 1)] += len(block.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def is_heading(block: Block, body: float) -> bool:
    """True when layout marks a text block as a heading: larger than body text, or bold."""
    if block.kind != "text" or block.level or not block.text:
        return False
    if len(block.text) > HEADING_MAX_CHARS:
        return False
    return block.size >= body + HEADING_SIZE_MARGIN or (
        block.bold and block.size >= body - SIZE_TOLERANCE
    )


@dataclass
class _Context:
    """Where the parser stands: which element, part and heading text belongs to."""

    top: str | None = None
    element: str | None = None
    element_title: str | None = None
    part: str | None = None
    wbs: str | None = None
    wbs_title: str | None = None
    title: str = ""
    lines: list[str] = field(default_factory=list)
    page: int = 0


class _Builder:
    """Collects sections, milestones and references while walking the blocks."""

    def __init__(self) -> None:
        self.ctx = _Context()
        self.sections: dict[tuple, Section] = {}
        self.milestones: list[Milestone] = []
        self.references: dict[tuple, Reference] = {}
        self.last_heading: str | None = None

    def flush(self) -> None:
        ctx = self.ctx
        text = "\n".join(ctx.lines).strip()
        if text:
            key = (ctx.wbs, ctx.part, None if ctx.wbs else ctx.title)
            previous = self.sections.get(key)
            if previous:
                text = previous.text + "\n" + text
            self.sections[key] = Section(
                wbs=ctx.wbs,
                wbs_title=ctx.wbs_title,
                part=ctx.part,
                title=previous.title if previous else ctx.title,
                text=text,
                page=previous.page if previous else ctx.page,
            )
        ctx.lines = []

    def open(self, *, title: str, page: int, wbs: str | None, wbs_title: str | None) -> None:
        self.flush()
        self.ctx.title, self.ctx.page = title, page
        self.ctx.wbs, self.ctx.wbs_title = wbs, wbs_title

    def add_text(self, line: str, page: int) -> None:
        if not self.ctx.lines:
            self.ctx.page = page
        self.ctx.lines.append(line)

    def cite(self, text: str, page: int) -> None:
        for sentence in sentences(text):
            for ident in find_identifiers(sentence):
                ref = Reference(
                    key=ident.key,
                    kind=ident.kind,
                    url=url_of(ident.key, ident.kind),
                    wbs=self.ctx.wbs,
                    part=self.ctx.part,
                    page=page,
                    context=sentence,
                )
                self.references.setdefault((ref.key, ref.wbs, ref.part, ref.context), ref)


def _list_line(block: Block) -> str:
    if block.level <= 0:
        return block.text
    return "  " * (block.level - 1) + "- " + block.text


def _title_block(blocks: tuple[Block, ...], body: float) -> tuple[str, str | None, int]:
    """The report title, the month it names, and how many blocks the title block spans."""
    first_page = [b for b in blocks if b.page == blocks[0].page and is_heading(b, body)]
    if not first_page:
        return "", None, 0
    largest = max(b.size for b in first_page)
    title_index = next(i for i, b in enumerate(blocks) if b in first_page and b.size == largest)
    title = blocks[title_index].text
    month = parse_month(title)
    end = title_index + 1
    # The month line (and any subtitle) follows the title before the first part.
    for index in range(title_index + 1, min(title_index + 4, len(blocks))):
        block = blocks[index]
        if block.kind != "text" or len(block.text) > 80:
            break
        found = parse_month(block.text)
        if found and month is None:
            month = found
            end = index + 1
            break
    return title, month, end


def _heading_sizes(blocks, body, start) -> tuple[float, float | None]:
    """The size of top-part headings and of part headings."""
    heads = [b for b in blocks[start:] if is_heading(b, body)]
    top = max((b.size for b in heads), default=body)
    parts = [b.size for b in heads if part_of(b.text)]
    return top, (min(parts) if parts else None)


def _is_element(code: str, block: Block, ctx: _Context, part_size: float | None) -> bool:
    """A WBS heading that starts a new element (with its own parts), not a sub-element."""
    if ctx.element is None or ctx.part is None:
        return True
    if not (code == ctx.element or code.startswith(ctx.element + ".")):
        return True
    return part_size is not None and block.size > part_size + SIZE_TOLERANCE


def parse_layout(layout: Layout, *, source: str, sha256: str) -> Report:
    """Turn what a reader saw into a Report."""
    blocks = layout.blocks
    warnings: list[str] = []
    if not blocks:
        return Report(None, "", source, sha256, layout.pages, warnings=(NO_STRUCTURE,))
    body = body_size(blocks)
    title, month, start = _title_block(blocks, body)
    if month is None:
        for candidate in (layout.metadata.get("title", ""), layout.metadata.get("subject", "")):
            month = parse_month(candidate)
            if month:
                break
    if month is None:
        month = parse_month(Path(source).stem)
    if month is None:
        warnings.append(NO_MONTH)
    top_size, part_size = _heading_sizes(blocks, body, start)

    build = _Builder()
    for block in blocks[start:]:
        if block.kind == "table":
            _add_table(build, block)
            continue
        if is_heading(block, body):
            _add_heading(build, block, top_size, part_size)
            continue
        build.add_text(_list_line(block), block.page)
        build.cite(block.text, block.page)
    build.flush()

    sections = tuple(build.sections.values())
    if not any(s.wbs for s in sections) and not build.milestones:
        warnings.append(NO_STRUCTURE)
    return Report(
        month=month,
        title=title,
        source=source,
        sha256=sha256,
        pages=layout.pages,
        sections=sections,
        milestones=tuple(build.milestones),
        references=tuple(build.references.values()),
        warnings=tuple(warnings),
    )


def _add_heading(build: _Builder, block: Block, top_size: float, part_size) -> None:
    ctx = build.ctx
    text = block.text
    code = wbs_codes.split_heading(text)
    part = part_of(text)
    if code:
        wbs, wbs_title = code
        build.flush()
        if _is_element(wbs, block, ctx, part_size):
            ctx.element, ctx.element_title, ctx.part = wbs, wbs_title, None
        build.open(title=text, page=block.page, wbs=wbs, wbs_title=wbs_title)
    elif part:
        build.flush()
        ctx.part = part
        build.open(title=text, page=block.page, wbs=ctx.element, wbs_title=ctx.element_title)
    elif block.size >= top_size - SIZE_TOLERANCE:
        build.flush()
        ctx.top, ctx.element, ctx.element_title, ctx.part = text, None, None, None
        build.open(title=text, page=block.page, wbs=None, wbs_title=None)
    else:
        build.add_text(text, block.page)
    build.last_heading = text


def _add_table(build: _Builder, block: Block) -> None:
    if not milestone_tables.is_milestone_table(block):
        for row in block.rows:
            line = " | ".join(c.text for c in row if c.text)
            if line:
                build.add_text(line, block.page)
                build.cite(line, block.page)
        return
    found = milestone_tables.parse_table(block, build.last_heading)
    build.milestones.extend(found)
    for milestone in found:
        description = squash(f"{milestone.title} {milestone.note}")
        build.add_text(f"{milestone.id} {description} (due {milestone.due})", block.page)
        build.cite(f"{milestone.id}: {description}", block.page)
