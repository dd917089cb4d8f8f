"""Page furniture: what a page carries that is not the document's text.

Running headers and footers are found by their place and shape, not their
words: a line in the top or bottom band of the page whose position, size and
style recur on many pages is furniture even when its text changes from page
to page (a section title, a date, "Page 3 of 21"). Page numbers, "continued on
next page" notes of long tables, "Back to top" links of a printed web page and a
table of contents go too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .words import Line

# Lines in this top/bottom share of a page are candidates for running headers and footers.
MARGIN_SHARE = 0.085
# A margin shape found on at least this share of pages (and on two) is furniture.
REPEAT_SHARE = 0.4
_PAGE_NUMBER = re.compile(
    r"^(page\s*)?[\divxlc]{1,6}(\s*(of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$", re.IGNORECASE
)
_CONTINUED = re.compile(
    r"^[(\[]?\s*(continued|cont(\.|'d))\b.{0,30}(next|previous|following|preceding|from|on)\b"
    r".{0,20}(page|column)?[)\]]?\.?$|^[(\[]?\s*continued\s*[)\]]?\.?$",
    re.IGNORECASE,
)
_BACK_TO_TOP = re.compile(r"^[↑^]?\s*(back to (the )?top|top of page)\s*[↑^]?$", re.IGNORECASE)
_LEADER = re.compile(r"(?:\s?\.){3,}\s*\d{1,4}$|\s\d{1,4}$")
_CONTENTS = re.compile(r"^(table of )?contents$", re.IGNORECASE)


@dataclass
class Page:
    """One page's lines (and, later, the tables found on it)."""

    number: int
    height: float
    width: float
    lines: list[Line]
    paths: list = field(default_factory=list)
    tables: list = field(default_factory=list)


def drop_furniture(pages: list[Page]) -> None:
    """Remove running headers and footers, page numbers, table notes and contents."""
    shapes = _repeated_shapes(pages)
    for page in pages:
        page.lines = [
            line
            for line in page.lines
            if not _CONTINUED.match(line.text)
            and not _BACK_TO_TOP.match(line.text)
            and not (
                _in_margin(line, page)
                and (not shapes.isdisjoint(_shapes(line, page)) or _is_number(line))
            )
        ]
    _drop_contents(pages)


def _in_margin(line: Line, page: Page) -> bool:
    band = MARGIN_SHARE * page.height
    return line.bottom > page.height - band or line.top < band


def _is_number(line: Line) -> bool:
    return bool(_PAGE_NUMBER.match(line.text))


def _shapes(line: Line, page: Page) -> list[tuple]:
    """Where and how a margin line is set: band, baseline, size and style, with each
    alignment it may have (its left edge, right edge or centre) as one shape."""
    band = "top" if line.middle > page.height / 2 else "bottom"
    base = (band, round(line.bottom / 3), round(line.size), line.bold, line.italic)
    return [
        (*base, "left", round(line.x0 / 4)),
        (*base, "right", round(line.x1 / 4)),
        (*base, "centre", round((line.x0 + line.x1) / 8)),
    ]


def _repeated_shapes(pages: list[Page]) -> set[tuple]:
    counts: Counter[tuple] = Counter()
    for page in pages:
        margin = [line for line in page.lines if _in_margin(line, page)]
        counts.update({shape for line in margin for shape in _shapes(line, page)})
    least = max(2, REPEAT_SHARE * len(pages))
    return {shape for shape, n in counts.items() if n >= least}


def _drop_contents(pages: list[Page]) -> None:
    """A table of contents: lines ending in a page number whose titles recur as lines later.

    Entries are told by their text: a title the document sets again, on a page
    after the contents, followed (after dot leaders or a gap) by a page number.
    """
    texts = Counter(line.text for page in pages for line in page.lines)
    for page in pages[:4]:
        entries = [line for line in page.lines if _contents_entry(line, texts, len(pages))]
        if len(entries) < 3:
            continue
        drop = {id(line) for line in entries}
        page.lines = [
            line
            for line in page.lines
            if id(line) not in drop and not (_CONTENTS.match(line.text) and entries)
        ]


def _contents_entry(line: Line, texts: Counter, pages: int) -> bool:
    match = _LEADER.search(line.text)
    if not match or int(re.sub(r"\D", "", match[0]) or 0) > pages:
        return False
    title = line.text[: match.start()].rstrip(" .")
    return bool(title) and texts[title] >= 1 and title != line.text
