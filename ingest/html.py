"""The HTML reader: the only importer of BeautifulSoup.

Turns an HTML rendition (as a document archive serves it, with site header,
navigation and footer around the report) into the same Layout the PDF reader
produces: headings become blocks whose size follows the heading level.

Word documents saved as HTML (the early reports) mark headings by style, not
by tag: a `<p class=MsoNormal>` with `<b>` or `style='font-size:14.0pt'`, or a
class whose rule in the document's `<style>` sets size or weight. Sizes and
weights come from inline styles, then the style sheet's `tag.class`, `.class`
and `tag` rules, then the tag itself, so the parser sees the document's own
hierarchy. Word writes bullets as paragraphs starting with "·" (Symbol), "o"
(Courier New) or "§" (Wingdings) and spaces; they become list items, nested by
their `mso-list` level or their left margin.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections import Counter

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
_DECLARATION = re.compile(r"([\w-]+)\s*:\s*([^;]+)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?(?:\.([\w-]+))?$", re.IGNORECASE)
_LENGTH = re.compile(r"^(-?[\d.]+)\s*(pt|px|em|rem|%|in|cm|mm|pc)?$", re.IGNORECASE)
_UNITS = {"pt": 1.0, "px": 0.75, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pc": 12.0}
_KEYWORDS = {
    "xx-small": 7.0,
    "x-small": 7.5,
    "small": 10.0,
    "medium": 12.0,
    "large": 13.5,
    "x-large": 18.0,
    "xx-large": 24.0,
}
# Word's list bullets: a glyph, then spaces (non-breaking ones among them).
_BULLET = re.compile(
    r"^\s*([\u00b7\u2022\u25e6\u25aa\u25cf\u25cb\u25a0\uf0b7\u2013o\u00a7\-])[\s\u00a0]+"
)
_STRONG_BULLETS = frozenset("\u00b7\u2022\u25e6\u25aa\u25cf\u25cb\u25a0\uf0b7")
_MSO_LEVEL = re.compile(r"mso-list\s*:[^;]*\blevel(\d+)", re.IGNORECASE)


def _declarations(text: str) -> dict[str, str]:
    return {k.lower(): v.strip().lower() for k, v in _DECLARATION.findall(text or "")}


def _points(value: str | None, base: float) -> float | None:
    """A CSS length in points ('14.0pt', '16px', '1.3em', 'large'), None if unknown."""
    if not value:
        return None
    value = value.replace("!important", "").strip()
    if value in _KEYWORDS:
        return _KEYWORDS[value]
    match = _LENGTH.match(value)
    if not match:
        return None
    number, unit = float(match[1]), (match[2] or "px").lower()
    if unit in ("em", "rem"):
        return number * base
    if unit == "%":
        return number * base / 100
    return number * _UNITS[unit]


def _is_bold(weight: str | None) -> bool | None:
    if not weight:
        return None
    if weight.isdigit():
        return int(weight) >= 600
    return weight in ("bold", "bolder")


class _StyleSheet:
    """The simple rules of a document's <style> elements (tag, .class, tag.class)."""

    def __init__(self, soup) -> None:
        self.rules: dict[tuple[str | None, str | None], dict[str, str]] = {}
        for style in soup.find_all("style"):
            text = re.sub(r"/\*.*?\*/|<!--|-->", " ", style.get_text(), flags=re.S)
            for selectors, body in _RULE.findall(text):
                declarations = _declarations(body)
                for selector in selectors.split(","):
                    match = _SELECTOR.match(selector.strip())
                    if match and (match[1] or match[2]):
                        key = ((match[1] or "").lower() or None, match[2])
                        self.rules.setdefault(key, {}).update(declarations)

    def _declared(self, tag: Tag) -> dict[str, str]:
        """A tag's declarations: tag, .class and tag.class rules, inline style last."""
        style, classes = tag.get("style"), tag.get("class")
        if not style and not classes and (tag.name, None) not in self.rules:
            return {}
        out: dict[str, str] = dict(self.rules.get((tag.name, None), {}))
        for name in classes or ():
            out.update(self.rules.get((None, name), {}))
            out.update(self.rules.get((tag.name, name), {}))
        if style:
            inline = _declarations(style)
            if "font-size" not in inline and "font" in inline:
                size = next((w for w in inline["font"].split() if _LENGTH.match(w)), None)
                if size:
                    inline["font-size"] = size
            out.update(inline)
        return out

    def emphasis(self, tag: Tag) -> tuple[float | None, bool | None, bool | None]:
        """(font size in points, bold, italic) a tag's styles set, None for each they do not."""
        declared = self._declared(tag)
        if not declared:
            return None, None, None
        style = declared.get("font-style")
        return (
            _points(declared.get("font-size"), BODY_SIZE),
            _is_bold(declared.get("font-weight")),
            None if style is None else style in ("italic", "oblique"),
        )

    def margin(self, tag: Tag) -> float:
        return _points(self._declared(tag).get("margin-left"), BODY_SIZE) or 0.0


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
    walker = _Walker(_StyleSheet(soup))
    walker.walk(root, level=0)
    walker.flush()
    walker.nest_bullets()
    if not any(b.text or b.rows for b in walker.blocks):
        raise IngestError(path, reasons.NO_HTML_TEXT)
    return Layout(blocks=tuple(walker.blocks), pages=1, metadata=metadata)


def _spans(
    node, italic: bool = False, bold: bool = False, styles: _StyleSheet | None = None
) -> list[Span]:
    """Text runs of a node with their emphasis, nested lists left out."""
    return [span for span, _size in _sized_spans(node, italic, bold, None, styles)]


def _sized_spans(node, italic, bold, size, styles) -> list[tuple[Span, float | None]]:
    """Text runs with their emphasis and their font size where a style sets one."""
    if isinstance(node, NavigableString):
        return [(Span(str(node), italic, bold), size)] if not _is_comment(node) else []
    if not isinstance(node, Tag) or node.name in SKIPPED_TAGS or node.name in LIST_TAGS:
        return []
    if node.name == "br":
        return [(Span(" ", italic, bold), size)]
    italic = italic or node.name in ITALIC_TAGS
    bold = bold or node.name in BOLD_TAGS
    if styles is not None:
        own_size, own_bold, own_italic = styles.emphasis(node)
        bold = bold if own_bold is None else own_bold
        italic = italic if own_italic is None else own_italic
        size = own_size or size
    out: list[tuple[Span, float | None]] = []
    for child in node.children:
        out.extend(_sized_spans(child, italic, bold, size, styles))
    return out


def _is_comment(node: NavigableString) -> bool:
    return type(node).__name__ in {"Comment", "Doctype", "Declaration", "ProcessingInstruction"}


def _links(node: Tag) -> tuple[str, ...]:
    return tuple(a["href"] for a in node.find_all("a", href=True))


class _Walker:
    """Walks the document tree in order, emitting blocks."""

    def __init__(self, styles: _StyleSheet) -> None:
        self.styles = styles
        self.blocks: list[Block] = []
        self.inline: list[Span] = []
        self.inline_links: list[str] = []
        # Bullet paragraphs: block number -> (mso-list level or None, left margin).
        self.bullets: dict[int, tuple[int | None, float]] = {}

    def flush(self) -> None:
        """Emit loose inline text gathered between block elements as a paragraph."""
        self._emit(self.inline, 0, BODY_SIZE, tuple(self.inline_links))
        self.inline, self.inline_links = [], []

    def _paragraph(self, tag: Tag, level: int, size: float, bold: bool = False) -> None:
        """Emit a block element's own text, its size and weight from its styles."""
        own = self.styles.emphasis(tag)[0] or size
        sized = _sized_spans(tag, False, bold, None, self.styles)
        spans = [span for span, _ in sized]
        weights: Counter[float] = Counter()
        for span, span_size in sized:
            if span.text.strip():
                weights[span_size or own] += len(span.text.strip())
        size = max(weights, key=weights.__getitem__) if weights else own
        if level == 0:
            spans, level = self._bullet(tag, spans, level)
        self._emit(spans, level, size, _links(tag))

    def _bullet(self, tag: Tag, spans: list[Span], level: int) -> tuple[list[Span], int]:
        """A Word bullet paragraph ("·" and spaces) as a list item, its glyph left out."""
        text = "".join(s.text for s in spans)
        match = _BULLET.match(text)
        if not match:
            return spans, level
        style = tag.get("style", "") or ""
        mso = _MSO_LEVEL.search(style)
        listed = bool(mso) or any(c.startswith("MsoList") for c in tag.get("class") or [])
        if match[1] not in _STRONG_BULLETS and not listed:
            return spans, level
        cut, out = match.end(), []
        for span in spans:
            taken = min(cut, len(span.text))
            cut -= taken
            if span.text[taken:]:
                out.append(Span(span.text[taken:], span.italic, span.bold))
        self.bullets[len(self.blocks)] = (int(mso[1]) if mso else None, self.styles.margin(tag))
        return out, 1

    def nest_bullets(self) -> None:
        """Nest bullet paragraphs by mso-list level, else by the rank of their left margin."""
        margins = sorted({margin for level, margin in self.bullets.values() if level is None})
        for number, (level, margin) in self.bullets.items():
            if number >= len(self.blocks):
                continue
            depth = level if level is not None else margins.index(margin) + 1
            if depth != self.blocks[number].level:
                self.blocks[number] = dataclasses.replace(self.blocks[number], level=depth)

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
                self._paragraph(child, 0, HEADING_SIZES[name], bold=True)
            elif name in LIST_TAGS:
                self.walk(child, level + 1)
            elif name == "li":
                self._emit(_spans(child), max(level, 1), BODY_SIZE, _own_links(child))
                for sub in child.find_all(LIST_TAGS, recursive=False):
                    self.walk(sub, level + 1)
                self._walk_nested_lists(child, level)
            elif name == "table":
                self._table(child)
            elif name == "p" or name == "pre" or _is_leaf_block(child):
                # A <div class="heading"> holding only text is a paragraph with its styles.
                self._paragraph(child, 0, BODY_SIZE)
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


def _is_leaf_block(tag: Tag) -> bool:
    """A container (div, section, ...) holding text and inline tags only."""
    return tag.name not in ("body", "html") and tag.find(BLOCK_TAGS) is None


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
