"""The structure parser: a reader's Layout -> a Report.

Headings are recognised from layout (larger or bold text, or a paragraph that
is a part name such as "Current accomplishments:"), their numbering ("5.",
"5.1", "II.") set aside, and then classified by what they say: a WBS code, a
part name, an area or team name (mapped to its WBS element by `teams`), or a
top part of the report. Which headings open a top part or an element comes
from the document's own hierarchy: the headings that hold parts set the rank
of elements, whatever sizes or styles the producer chose; a less prominent
heading (a lead-in such as "The DM Project Manager:") stays text. Nothing here
depends on one file's positions; every reader feeds the same parser.

Reports of every era are read: 2015 reports by area name, 2016 reports by
team, reports from August 2017 by WBS code. A document is a monthly report
when its first page names one ("Data Management Monthly Status Report", "DM
Monthly Status Report for November 2016", ...) or when it has report
structure (WBS sections, parts, milestone tables).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import milestones as milestone_tables
from . import teams
from . import wbs as wbs_codes
from .blocks import Block, Layout
from .dates import parse_month
from .identifiers import may_hold_identifier
from .models import Milestone, Reference, Report, Section
from .references import find_identifiers, url_of
from .text import ends_sentence, sentences, squash

NO_STRUCTURE = "no report structure found"
NO_MONTH = "report month not found"
# A heading is at least this much larger than body text, or bold and this long at most.
HEADING_SIZE_MARGIN = 0.75
HEADING_MAX_CHARS = 160
SIZE_TOLERANCE = 0.25

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# When a part is: "this month", "for next month", "in November", "for November 2016".
_WHEN_WORD = rf"(?:this|next|the|month|{_MONTHS}|\d{{4}})"
_WHEN = rf"(?:\s+(?:this|next|last|the|in|for|during|of)(?:\s+{_WHEN_WORD})*)?"
_PARTS = (
    ("accomplishments", rf"(?:current\s+|recent\s+|monthly\s+)?accomplishments{_WHEN}"),
    (
        "planned",
        rf"(?:planned(?:\s+activities|\s+work)?|plans|activities\s+planned|next\s+steps){_WHEN}",
    ),
    ("recruitment", r"(?:recruitment|recruiting|hiring|staffing)(?:\s+(?:updates?|status))?"),
)
# No part heading is longer ("Planned activities for next month, November 2016:").
PART_MAX_CHARS = 80
_PART_RE = [(name, re.compile(rf"{pattern}", re.IGNORECASE)) for name, pattern in _PARTS]
# Heading numbers: "5.", "5.1", "5.1.2", "5 " (LaTeX), "II." (not a WBS code: 1.02C.03).
_NUMBERING = re.compile(
    r"^\s*(?P<number>(?:\d{1,2}\.)+\d{0,2}|\d{1,2}(?:\.\d{1,2})+|\d{1,2}(?=\s+[A-Z])|[IVX]{1,5}\.)"
    r"\s+(?=\S)"
)
_BULLET = re.compile(r"^[\u00b7\u2022\u25e6\u25aa\u2023\u2219\u25cf\u25cb\u25a0\u25a1\uf0b7]\s+")
_BACK_TO_TOP = re.compile(
    r"\s*[\[(]?\s*(?:back|return|go)\s+to\s+(?:the\s+)?top(?:\s+of\s+(?:the\s+)?page)?\s*[\])]?\s*$",
    re.IGNORECASE,
)
_CONTENTS = re.compile(r"^(?:table\s+of\s+)?contents:?$", re.IGNORECASE)
_TOC_ITEM = re.compile(r"(?:^|\s)(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+")
_LEADERS = re.compile(r"(?:\s?[.\u2026\u00b7_]){3,}")
# A run-in heading's title is at most this many words.
HEADING_WORDS = 16
# A contents entry's first word, after its number: "4. Detailed ..." -> "Detailed".
_ENTRY_START = re.compile(r"^\s*(?:(?:\d{1,2}\.)*\d{0,2}\.?|[IVX]{1,5}\.)\s*([^\s.\u2026]+)")
# A paragraph of table-of-contents entries is at most this long (leaders aside).
TOC_MAX_CHARS = 400
_LEADER = re.compile(r"[\s.\u2026\u00b7_-]*\d*\s*$")
# A first page naming a DM monthly report (of any era).
_REPORT_TITLE = re.compile(
    r"\bmonthly(?:\s+\w+){0,2}\s+report\b|\bsummary\s+monthly\s+report\b", re.IGNORECASE
)
# DM's, not another subsystem's ("LSST Camera Monthly Report").
_REPORT_OWNER = re.compile(r"\b(?:data\s+management|DM)\b", re.IGNORECASE)


def strip_number(heading: str) -> tuple[str, str | None]:
    """A heading without its number, and the number: '5.1 Current accomplishments'."""
    match = _NUMBERING.match(heading)
    if not match or wbs_codes.split_heading(heading):
        return heading, None
    return heading[match.end() :], match["number"].rstrip(".")


def part_of(heading: str) -> str | None:
    """The part a heading names ('Planned activities:' -> 'planned'), or None."""
    if len(heading) > PART_MAX_CHARS:
        return None
    text = squash(strip_number(squash(heading))[0]).rstrip(":").strip()
    for name, pattern in _PART_RE:
        if pattern.fullmatch(text):
            return name
    return None


def names_a_report(text: str) -> bool:
    """True when a line names a DM monthly report ('DM Monthly Status Report for ...')."""
    return bool(_REPORT_TITLE.search(text) and _REPORT_OWNER.search(text))


def body_size(blocks: tuple[Block, ...]) -> float:
    """The font size of most of the text."""
    sizes: Counter[float] = Counter()
    for block in blocks:
        if block.kind == "text":
            sizes[round(block.size, 1)] += len(block.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def is_heading(block: Block, body: float) -> bool:
    """True when a text block is a heading candidate.

    Layout marks it (larger than body text, or bold at body size, or bold and
    starting with a WBS code), or the whole paragraph names a part ("Current
    accomplishments:"), whatever its style.
    """
    if block.kind != "text" or block.level or not block.text:
        return False
    if len(block.text) > HEADING_MAX_CHARS:
        return False
    if block.size >= body + HEADING_SIZE_MARGIN or (
        block.bold and block.size >= body - SIZE_TOLERANCE
    ):
        return True
    # A bold WBS heading set smaller than body text (a browser's default h5), or a part name.
    if block.bold and wbs_codes.split_heading(block.text):
        return True
    return part_of(block.text) is not None


@dataclass(frozen=True)
class _Head:
    """A heading candidate: what it says (numbering set aside) and how it is set."""

    text: str
    number: str | None
    code: tuple[str, str | None] | None
    part: str | None
    team: str | None
    size: float
    bold: bool

    @property
    def depth(self) -> int:
        """Numbering depth: '5.' and 'II.' are 1, '5.1' is 2; 0 when unnumbered."""
        if not self.number:
            return 0
        return self.number.count(".") + 1 if self.number[0].isdigit() else 1


def _head(block: Block) -> _Head:
    text, number = strip_number(block.text)
    code = wbs_codes.split_heading(block.text) or (
        wbs_codes.split_heading(text) if number else None
    )
    if code:
        return _Head(text, number, code, None, None, block.size, block.bold)
    label = text.rstrip(":").strip() or text
    part = part_of(text)
    team = None if part else teams.element_of(label)
    return _Head(label, number, None, part, team, block.size, block.bold)


def _above(a: _Head, b: _Head) -> bool:
    """True when heading a is set more prominently than heading b."""
    if abs(a.size - b.size) > SIZE_TOLERANCE:
        return a.size > b.size
    return a.bold and not b.bold


def _at_least(head: _Head, style: tuple[float, bool]) -> bool:
    size, bold = style
    if abs(head.size - size) > SIZE_TOLERANCE:
        return head.size > size
    return head.bold or not bold


@dataclass
class _Plan:
    """The document's own heading hierarchy, found before the walk.

    The headings that hold parts (the nearest more prominent heading before a
    part heading) are the document's elements; a heading set at least as
    prominently as the weakest of them (or as the most prominent heading, when
    no heading holds parts) opens a top part or an element. When only the
    numbering tells the holders from their parts (every heading set alike),
    numbering depth decides instead.
    """

    heads: dict[int, _Head]
    titles: dict[str, str]  # WBS code -> its title, from the document's own headings
    threshold: tuple[float, bool]
    element_depth: int  # 0 when style, not numbering, sets the hierarchy
    part_size: float | None

    @classmethod
    def of(cls, blocks: tuple[Block, ...], start: int, body: float) -> _Plan:
        heads = {
            index: _head(block)
            for index, block in enumerate(blocks)
            if index >= start and is_heading(block, body)
        }
        order = sorted(heads)
        holders: list[_Head] = []
        numbered: list[_Head] = []  # holders told from parts by numbering alone
        for position, index in enumerate(order):
            part = heads[index]
            if not part.part:
                continue
            for earlier in reversed(order[:position]):
                holder = heads[earlier]
                if holder.part:
                    continue
                if _above(holder, part):
                    holders.append(holder)
                    break
                if 0 < holder.depth < part.depth:
                    holders.append(holder)
                    numbered.append(holder)
                    break
        others = [(h.size, h.bold) for h in heads.values() if not h.part]
        top = max(others, default=(body + HEADING_SIZE_MARGIN, True))
        weakest = min(((h.size, h.bold) for h in holders), default=top)
        depths = [h.depth for h in numbered]
        part_sizes = [h.size for h in heads.values() if h.part]
        titles = _run_in_titles(blocks, start, heads)
        titles.update({h.code[0]: h.code[1] for h in heads.values() if h.code and h.code[1]})
        return cls(
            heads=heads,
            titles=titles,
            threshold=min(top, weakest),
            element_depth=max(depths, default=0),
            part_size=min(part_sizes) if part_sizes else None,
        )

    def opens(self, index: int) -> bool:
        """True when the heading at index opens a top part or an element."""
        head = self.heads[index]
        if head.depth and self.element_depth:
            return head.depth <= self.element_depth
        if _at_least(head, self.threshold):
            return True
        # An area heading set like its parts ("DM Science:", "Accomplishments:").
        return head.team is not None and self._next_is_part(index)

    def _next_is_part(self, index: int) -> bool:
        following = [i for i in self.heads if i > index]
        return bool(following) and self.heads[min(following)].part is not None


@dataclass
class _Context:
    """Where the parser stands: which element, part and heading text belongs to."""

    top: str | None = None
    element: str | None = None
    element_title: str | None = None
    label: str | None = None
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
            key = (ctx.wbs, ctx.part, None if ctx.wbs else (ctx.label, ctx.title))
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
        if not may_hold_identifier(text):
            return
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


# How many blocks at the start of a document count as its first page when a
# reader has no pages (HTML).
FIRST_BLOCKS = 12


def _first_page(blocks: tuple[Block, ...]) -> list[int]:
    page = blocks[0].page
    return [
        i
        for i, b in enumerate(
            blocks[:FIRST_BLOCKS] if page == 1 and blocks[-1].page == 1 else blocks
        )
        if b.page == page and b.kind == "text" and b.text
    ]


def _title_block(blocks: tuple[Block, ...], body: float) -> tuple[str, str | None, int]:
    """The report title, the month it names, and how many blocks the title block spans.

    The title is the first line of the first page that names a DM monthly
    report, else the largest heading there; a title set on two lines ("Large
    Synoptic Survey Telescope" / "Data Management Monthly Report") is joined.
    """
    first = _first_page(blocks)
    short = [i for i in first if len(blocks[i].text) <= HEADING_MAX_CHARS]
    named = [i for i in short if names_a_report(blocks[i].text)]
    heads = [i for i in first if is_heading(blocks[i], body)]
    if not named:
        # A title wrapped onto two lines that a wide gap set apart as two blocks (the
        # join below puts it together again).
        named = [
            i
            for i in heads
            if i - 1 in heads
            and abs(blocks[i - 1].size - blocks[i].size) <= SIZE_TOLERANCE
            and names_a_report(f"{blocks[i - 1].text} {blocks[i].text}")
        ]
    if named:
        title_index = named[0]
    elif heads:
        largest = max(blocks[i].size for i in heads)
        title_index = next(i for i in heads if blocks[i].size == largest)
    else:
        return "", None, 0
    title = blocks[title_index].text
    before = title_index - 1
    if (
        before in heads
        and abs(blocks[before].size - blocks[title_index].size) <= SIZE_TOLERANCE
        and names_a_report(f"{blocks[before].text} {title}")
        and not parse_month(blocks[before].text)
    ):
        title = f"{blocks[before].text} {title}"
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
    if month is None:
        # A date line above the title, or on the cover page below a subtitle.
        month = next(
            (
                parse_month(blocks[i].text)
                for i in short
                if len(blocks[i].text) <= 60 and parse_month(blocks[i].text)
            ),
            None,
        )
    return title, month, end


def _is_element(code: str, block: Block, ctx: _Context, part_size: float | None) -> bool:
    """A WBS heading that starts a new element (with its own parts), not a sub-element."""
    if ctx.element is None or ctx.part is None:
        return True
    if not (code == ctx.element or code.startswith(ctx.element + ".")):
        return True
    return part_size is not None and block.size > part_size + SIZE_TOLERANCE


def _furniture_removed(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """Blocks without "Back to top" links; paragraphs starting with a bullet glyph as items."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "text" and block.text:
            back = _BACK_TO_TOP.search(block.text) if "top" in block.text[-40:].lower() else None
            if back and (back.start() == 0 or block.links):
                text = block.text[: back.start()].strip()
                if not text:
                    continue
                block = dataclasses.replace(block, text=text)
            bullet = _BULLET.match(block.text)
            if bullet and not block.level:
                block = dataclasses.replace(block, text=block.text[bullet.end() :], level=1)
        out.append(block)
    return tuple(out)


def _toc_key(text: str) -> str:
    text = strip_number(squash(text))[0]
    return squash(_LEADER.sub("", text.rstrip(":"))).lower()


def _contents_removed(blocks: tuple[Block, ...], body: float) -> tuple[Block, ...]:
    """Blocks without a table of contents: runs of entries naming later headings.

    An entry ("1. Project Status", "Risk Management ..... 3", or one paragraph
    "1. Project Status 2. Current Photos 3. Risk Management") names headings
    that come after it and is set differently from them; a run of entries
    naming at least two headings is a table of contents (with its "Contents"
    line), not content.
    """
    last: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if is_heading(block, body):
            last[_toc_key(block.text)] = index
    if len(last) < 2:
        return blocks

    first_words = {key.split(" ", 1)[0] for key in last}

    def entries(index: int, block: Block) -> int:
        if block.kind != "text" or not block.text:
            return 0
        opening = _ENTRY_START.match(block.text)
        if opening is None or opening[1].lower() not in first_words:
            return 0  # the first entry names no heading: not a contents line
        text = _LEADERS.sub(" ", block.text)
        if len(text) > TOC_MAX_CHARS:
            return 0
        keys = [_toc_key(item) for item in _TOC_ITEM.split(text) if item.strip()]
        count = 0
        for key in keys:
            target = last.get(key, -1)
            if target <= index:
                return 0
            heading = blocks[target]
            if is_heading(block, body) and (heading.size, heading.bold) == (block.size, block.bold):
                return 0  # a heading repeated in the text, not an entry naming it
            count += 1
        return count

    dropped: set[int] = set()
    index = 0
    while index < len(blocks):
        end, named = index, 0
        while end < len(blocks) and (found := entries(end, blocks[end])):
            named += found
            end += 1
        if named >= 2:
            dropped.update(range(index, end))
            if index and _CONTENTS.match(blocks[index - 1].text.strip()):
                dropped.add(index - 1)
        index = max(end, index + 1)
    return tuple(b for i, b in enumerate(blocks) if i not in dropped) if dropped else blocks


def parse_layout(layout: Layout, *, source: str, sha256: str) -> Report:
    """Turn what a reader saw into a Report."""
    blocks = _furniture_removed(layout.blocks)
    warnings: list[str] = []
    if not blocks:
        return Report(None, "", source, sha256, layout.pages, warnings=(NO_STRUCTURE,))
    body = body_size(blocks)
    blocks = _contents_removed(blocks, body)
    title, month, start = _title_block(blocks, body)
    # The first page names a DM monthly report and a month: a report, whatever its shape.
    named = bool(month) and (
        names_a_report(title) or names_a_report(layout.metadata.get("title", ""))
    )
    if month is None:
        for candidate in (layout.metadata.get("title", ""), layout.metadata.get("subject", "")):
            month = parse_month(candidate)
            if month:
                break
    if month is None:
        month = parse_month(Path(source).stem)
    if month is None:
        warnings.append(NO_MONTH)
    plan = _Plan.of(blocks, start, body)

    build = _Builder()
    for index in range(start, len(blocks)):
        block = blocks[index]
        if block.kind == "table":
            _add_table(build, block)
            continue
        if index in plan.heads:
            _add_heading(build, block, index, plan)
            continue
        if _run_in(build, block, plan):
            continue
        build.add_text(_list_line(block), block.page)
        build.cite(block.text, block.page)
        if _introduces_table(block):
            build.last_heading = block.text  # "The following milestones are due next:"
    build.flush()

    sections = tuple(build.sections.values())
    structured = any(s.wbs or s.part for s in sections) or build.milestones
    if not named and not structured:
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


# Lower-case words inside a title ("Science Data Archive and Application Services").
_TITLE_JOINERS = frozenset(
    {"and", "of", "for", "the", "in", "on", "to", "with", "&", "-", "\u2013"}
)


def _title_words(words: list[str]) -> list[str]:
    """The words of a run-in title: up to the first sentence ("... Services We continued")."""
    out: list[str] = []
    for position, word in enumerate(words):
        following = words[position + 1] if position + 1 < len(words) else ""
        if not word[:1].isupper() and word not in _TITLE_JOINERS and not word[:1].isdigit():
            break
        starts_sentence = following[:1].islower() and following not in _TITLE_JOINERS
        if out and starts_sentence:
            break
        if word.endswith(":"):
            out.append(word[:-1])
            break
        out.append(word)
    return out


def _run_in_titles(blocks: tuple[Block, ...], start: int, heads: dict) -> dict[str, str]:
    """Titles of run-in headings: the words every paragraph of a code starts with,
    up to the first sentence ('02C.07.04 Site Infrastructure We ...' and '02C.07.04 Site
    Infrastructure Work toward ...' give 'Site Infrastructure')."""
    openings: dict[str, list[list[str]]] = {}
    for index in range(start, len(blocks)):
        block = blocks[index]
        if index in heads or block.kind != "text" or block.level or not block.text[:1].isdigit():
            continue
        found = wbs_codes.split_heading(block.text)
        if found and found[1] and wbs_codes.depth(found[0]) > 3:
            openings.setdefault(found[0], []).append(found[1].split()[:HEADING_WORDS])
    titles = {}
    for code, starts in openings.items():
        common = starts[0]
        for words in starts[1:]:
            common = [a for a, b in zip(common, words, strict=False)][: _common(common, words)]
        title = _title_words(starts[0])[: len(common)]
        if title and all(len(title) < len(words) for words in starts):
            titles[code] = " ".join(title)
    return titles


def _common(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _run_in(build: _Builder, block: Block, plan: _Plan) -> bool:
    """A paragraph that starts with a sub-element's code (a run-in heading, as LaTeX's
    \\paragraph sets it: "02C.07.04 Site Infrastructure We continued ...") opens that
    sub-element inside the current part. Its title is the one a heading of the same
    code has elsewhere in the document, or the words before a colon, else unknown;
    the paragraph is kept whole as the section's text.
    """
    ctx = build.ctx
    if block.level or ctx.part is None or ctx.element is None:
        return False
    found = wbs_codes.split_heading(block.text)
    if not found or not found[0].startswith(ctx.element + "."):
        return False
    code, rest = found
    text = rest or ""
    if _title_only(text):
        # The paragraph is the code and a title alone: a heading set like body text
        # ("02C.03.00 – Alert Production ..." in italics of the body's size).
        build.flush()
        build.open(title=block.text, page=block.page, wbs=code, wbs_title=text.strip())
        return True
    title = plan.titles.get(code)
    if title is None and ":" in text[:HEADING_MAX_CHARS]:
        title = text.split(":", 1)[0].strip() or None
    if title and text.startswith(title):
        text = text[len(title) :].lstrip(" :\u2013\u2014-")
    else:
        title = None
    build.flush()
    heading = block.text[: len(block.text) - len(text)].rstrip(" :") if text else block.text
    build.open(title=heading, page=block.page, wbs=code, wbs_title=title)
    if text:
        build.add_text(text, block.page)
        build.cite(text, block.page)
    return True


def _title_only(text: str) -> bool:
    """Whether the words after a code are a title, not a sentence: short, starting with
    a capital, without a sentence's end or a colon (a lead-in's)."""
    text = text.strip()
    return (
        0 < len(text) <= HEADING_MAX_CHARS
        and text[:1].isupper()
        and not ends_sentence(text)
        and not text.endswith(":")
    )


def _introduces_table(block: Block) -> bool:
    """A short paragraph ending in a colon that names milestones, as a table heading does."""
    text = block.text
    return (
        block.level == 0
        and text.endswith(":")
        and len(text) <= HEADING_MAX_CHARS
        and "milestone" in text.lower()
    )


def _add_heading(build: _Builder, block: Block, index: int, plan: _Plan) -> None:
    ctx = build.ctx
    head = plan.heads[index]
    if head.code:
        wbs, wbs_title = head.code
        build.flush()
        if _is_element(wbs, block, ctx, plan.part_size):
            ctx.element, ctx.element_title, ctx.part, ctx.label = wbs, wbs_title, None, None
        build.open(title=head.text, page=block.page, wbs=wbs, wbs_title=wbs_title)
    elif head.part:
        build.flush()
        ctx.part = head.part
        # Under an area no table knows, the part keeps the area's label (and no code).
        label = ctx.element_title if ctx.element else ctx.label
        build.open(title=head.text, page=block.page, wbs=ctx.element, wbs_title=label)
    elif plan.opens(index):
        # A top part, or an element named by its area or team (label kept as written).
        build.flush()
        ctx.element, ctx.part, ctx.label = head.team, None, head.text
        ctx.element_title = head.text if head.team else None
        if head.team is None:
            ctx.top = head.text
        build.open(title=head.text, page=block.page, wbs=head.team, wbs_title=ctx.element_title)
    else:
        text = strip_number(block.text)[0]  # a lead-in or sub-heading, its number set aside
        build.add_text(text, block.page)
        build.cite(text, block.page)
    build.last_heading = head.text


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
