"""The HTML reader: the only importer of BeautifulSoup.

Turns an HTML rendition (as a document archive serves it, with site header,
navigation and footer around the report) into the same Layout the PDF reader
produces: headings become blocks whose size follows the heading level.
"""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag
from bs4.dammit import UnicodeDammit

from . import reasons
from .blocks import Block, Cell, Layout, Span
from .models import IngestError
from .text import squash

BODY_SIZE = 10.0
HEADING_SIZES = {"h1": 24.0, "h2": 18.0, "h3": 14.0, "h4": 12.0, "h5": 11.0, "h6": 10.5}
# Page furniture of a document archive, not part of the report.
SKIPPED_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "svg",
        "head",
    }
)
LIST_TAGS = frozenset({"ul", "ol"})
BLOCK_TAGS = (
    frozenset(
        {
            "p",
            "div",
            "section",
            "article",
            "main",
            "blockquote",
            "pre",
            "figure",
            "figcaption",
            "dl",
            "dt",
            "dd",
            "address",
            "center",
            "body",
            "html",
        }
    )
    | set(HEADING_SIZES)
    | LIST_TAGS
    | {"table", "li"}
)
ITALIC_TAGS = frozenset({"i", "em", "cite", "var"})
BOLD_TAGS = frozenset({"b", "strong"})


def decode(data: bytes) -> str:
    """Decode HTML bytes, trusting the content over a wrong declared charset."""
    dammit = UnicodeDammit(data, ["utf-8", "windows-1252", "latin-1"], is_html=True)
    if dammit.unicode_markup is None:
        return data.decode("utf-8", errors="replace")
    return dammit.unicode_markup


HTML_PARSER = "lxml"


def read_html(path: str, data: bytes) -> Layout:
    """Read an HTML file's bytes into a Layout.

    Elements nested deeper than Python's recursion allows (no report nests a
    hundred) fail the file with a reason of their own.
    """
    try:
        return _read_html(path, data)
    except RecursionError:
        raise IngestError(path, reasons.NESTING_TOO_DEEP) from None


def _read_html(path: str, data: bytes) -> Layout:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        # libxml2's HTML parser closes what HTML lets authors leave open
        # (<p>, <li>, <td> without end tags); Python's html.parser does not.
        soup = BeautifulSoup(decode(data), HTML_PARSER)
    metadata = {}
    if soup.title and soup.title.string:
        metadata["title"] = squash(soup.title.string)
    for meta in soup.find_all("meta"):
        name, content = meta.get("name"), meta.get("content")
        if name and content:
            metadata[name.lower()] = squash(content)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    walker = _Walker()
    walker.walk(root, level=0)
    walker.flush()
    if not any(b.text or b.rows for b in walker.blocks):
        raise IngestError(path, reasons.NO_HTML_TEXT)
    return Layout(blocks=tuple(walker.blocks), pages=1, metadata=metadata)


def _spans(node, italic: bool = False, bold: bool = False) -> list[Span]:
    """Text runs of a node with their emphasis, nested lists left out."""
    if isinstance(node, NavigableString):
        return [Span(str(node), italic, bold)] if not _is_comment(node) else []
    if not isinstance(node, Tag) or node.name in SKIPPED_TAGS or node.name in LIST_TAGS:
        return []
    if node.name == "br":
        return [Span(" ", italic, bold)]
    italic = italic or node.name in ITALIC_TAGS
    bold = bold or node.name in BOLD_TAGS
    out: list[Span] = []
    for child in node.children:
        out.extend(_spans(child, italic, bold))
    return out


def _is_comment(node: NavigableString) -> bool:
    return type(node).__name__ in {"Comment", "Doctype", "Declaration", "ProcessingInstruction"}


def _links(node: Tag) -> tuple[str, ...]:
    return tuple(a["href"] for a in node.find_all("a", href=True))


class _Walker:
    """Walks the document tree in order, emitting blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inline: list[Span] = []
        self.inline_links: list[str] = []

    def flush(self) -> None:
        """Emit loose inline text gathered between block elements as a paragraph."""
        self._emit(self.inline, 0, BODY_SIZE, tuple(self.inline_links))
        self.inline, self.inline_links = [], []

    def _emit(self, spans: list[Span], level: int, size: float, links=()) -> None:
        text = squash("".join(s.text for s in spans))
        if not text:
            return
        visible = [s for s in spans if s.text.strip()]
        self.blocks.append(
            Block(
                kind="text",
                page=1,
                text=text,
                size=size,
                bold=all(s.bold for s in visible),
                italic=all(s.italic for s in visible),
                level=level,
                links=links,
            )
        )

    def walk(self, node: Tag, level: int) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not _is_comment(child):
                    self.inline.append(Span(str(child)))
                continue
            if not isinstance(child, Tag) or child.name in SKIPPED_TAGS:
                continue
            name = child.name
            if name not in BLOCK_TAGS:
                self.inline.extend(_spans(child))
                self.inline_links.extend(
                    _links(child)
                    if child.name != "a"
                    else ([child["href"]] if child.get("href") else [])
                )
                continue
            self.flush()
            if name in HEADING_SIZES:
                spans = [Span(s.text, s.italic, True) for s in _spans(child)]
                self._emit(spans, 0, HEADING_SIZES[name], _links(child))
            elif name in LIST_TAGS:
                self.walk(child, level + 1)
            elif name == "li":
                self._emit(_spans(child), max(level, 1), BODY_SIZE, _own_links(child))
                for sub in child.find_all(LIST_TAGS, recursive=False):
                    self.walk(sub, level + 1)
                self._walk_nested_lists(child, level)
            elif name == "table":
                self._table(child)
            elif name == "p" or name == "pre":
                self._emit(_spans(child), 0, BODY_SIZE, _links(child))
            else:
                self.walk(child, level)
            self.flush()

    def _walk_nested_lists(self, item: Tag, level: int) -> None:
        """Lists nested deeper inside a list item's wrappers (e.g. <li><div><ul>)."""
        for wrapper in item.find_all(["div", "p"], recursive=False):
            for sub in wrapper.find_all(LIST_TAGS, recursive=False):
                self.walk(sub, level + 1)

    def _table(self, table: Tag) -> None:
        rows = []
        for tr in table.find_all("tr"):
            if tr.find_parent("table") is not table:
                continue
            cells = []
            for cell in tr.find_all(["td", "th"], recursive=False):
                spans = tuple(_merge(_spans(cell)))
                cells.append(Cell(spans))
            if cells:
                rows.append(tuple(cells))
        if rows:
            self.blocks.append(Block(kind="table", page=1, rows=tuple(rows)))


def _own_links(item: Tag) -> tuple[str, ...]:
    return tuple(
        a["href"]
        for a in item.find_all("a", href=True)
        if a.find_parent(LIST_TAGS) is item.find_parent(LIST_TAGS)
    )


def _merge(spans: list[Span]) -> list[Span]:
    """Merge neighbouring runs of the same emphasis, whitespace normalised."""
    out: list[Span] = []
    for span in spans:
        if out and (out[-1].italic, out[-1].bold) == (span.italic, span.bold):
            out[-1] = Span(out[-1].text + span.text, span.italic, span.bold)
        elif span.text.strip() or out:
            out.append(span)
    return [Span(squash(s.text), s.italic, s.bold) for s in out if squash(s.text)]
