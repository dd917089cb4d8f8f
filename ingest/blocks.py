"""The intermediate form both readers produce: blocks of text with layout facts.

A reader (PDF or HTML) turns a file into a `Layout`: an ordered list of blocks,
each a paragraph, a list item, a heading candidate or a table, with what the
layout says about it (font size, weight, list level, page). It decides nothing
about WBS codes or report parts: that is `structure.py`'s job, so the same
parser serves every reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["text", "table"]


@dataclass(frozen=True)
class Span:
    """A run of text with one emphasis."""

    text: str
    italic: bool = False
    bold: bool = False


@dataclass(frozen=True)
class Cell:
    """One table cell: its text runs (italic runs kept apart)."""

    spans: tuple[Span, ...] = ()

    @property
    def text(self) -> str:
        """The cell's text, runs joined."""
        return "".join(s.text for s in self.spans).strip()


@dataclass(frozen=True)
class Block:
    """A paragraph, list item or heading candidate (kind text), or a table.

    size: font size in points of most of the block's text (HTML readers map
    heading levels to sizes); bold: all of the text is bold; level: 0 for a
    paragraph, 1 for a list item, 2 for a nested item, and so on; links: the
    targets of hyperlinks inside the block.
    """

    kind: BlockKind
    page: int
    text: str = ""
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    level: int = 0
    links: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()


@dataclass(frozen=True)
class Layout:
    """What a reader saw in one file."""

    blocks: tuple[Block, ...]
    pages: int
    metadata: dict[str, str] = field(default_factory=dict)
