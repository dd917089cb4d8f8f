"""Lines -> paragraphs, list items, heading candidates and tables, in reading order.

Wrapped lines are joined into one block while they keep the paragraph's style
and spacing; a paragraph cut by a page break goes on when the page before
stopped mid-sentence. A list item starts at a bullet (a glyph, a lone dash or
a drawn dot) and its level comes from where its bullet stands among the
document's bullet positions.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..blocks import Block
from ..text import ends_sentence
from .furniture import Page
from .hyphens import Vocabulary, join_lines
from .tables import UnruledTable, is_header, join_page_breaks, wraps_header
from .words import Line

BULLETS = "•◦▪▫●○■□‣⁃–—-*·∙"
# A vertical gap this many times the usual line step starts a new paragraph.
PARAGRAPH_GAP = 1.2
# Safety factor on the estimated width of a word when deciding whether it would have fitted.
WORD_FIT_MARGIN = 1.3
# A run-in heading is set this many font sizes apart from the text that follows it.
RUN_IN_GAP = 0.6
# Bullets this close (points) stand at one list level.
BULLET_TOLERANCE = 3.0


def bullet_of(line: Line) -> tuple[str, float] | None:
    """(text after the bullet, x of the bullet) when a line starts a list item."""
    if line.bullet_x is not None:
        return line.text, line.bullet_x
    words = line.words
    if len(words) < 2 or len(words[0].text) != 1:
        return None
    first = words[0]
    # Word's second-level bullet: a letter o (Courier New) before a capital.
    if _is_bullet(first.text) or (first.text == "o" and words[1].text[:1].isupper()):
        return line.text[2:], first.x0  # the words after the bullet and its space
    return None


def _is_bullet(char: str) -> bool:
    """A bullet glyph: one of the usual ones, a symbol, or a private-use code (the Symbol
    and Wingdings bullets of word processors, as U+F0B7)."""
    return char in BULLETS or unicodedata.category(char) in ("So", "Co")


@dataclass
class _Paragraph:
    """The block being assembled."""

    first: Line
    level: int
    bullet_x: float
    lines: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    bold: bool = True


class Paragraphs:
    """Assembles the blocks of a document's pages (furniture already removed)."""

    def __init__(self, pages: list[Page], vocabulary: Vocabulary) -> None:
        self.pages = pages
        self.vocabulary = vocabulary
        lines = [line for page in pages for line in page.lines]
        self.step = self._line_step()
        sizes = Counter(round(line.size, 1) for line in lines)
        self.body = sizes.most_common(1)[0][0] if sizes else 10.0
        self.levels = _bullet_levels([b[1] for line in lines if (b := bullet_of(line))])
        self.blocks: list[Block] = []
        self.current: _Paragraph | None = None
        self.table: UnruledTable | None = None
        self.previous: Line | None = None
        self.right = 0.0

    def _line_step(self) -> float:
        """The usual distance between the baselines of two lines of one paragraph."""
        steps = [
            a.bottom - b.bottom
            for page in self.pages
            for a, b in zip(page.lines, page.lines[1:], strict=False)
            if 0 < a.bottom - b.bottom < 3 * a.size and abs(a.size - b.size) < 0.5
        ]
        return statistics.median(steps) if steps else 12.0

    def assemble(self) -> list[Block]:
        for page in self.pages:
            self._page(page)
        self._close()
        return join_page_breaks(self.blocks)

    def _page(self, page: Page) -> None:
        items: list[tuple[float, object]] = [(line.middle, line) for line in page.lines]
        items += [(top, block) for top, block in page.tables]
        items.sort(key=lambda item: -item[0])
        self.right = max((line.x1 for line in page.lines), default=0.0)
        self.previous = None
        for _, item in items:
            if isinstance(item, Block):
                self._close()
                self.blocks.append(item)
                self.previous = None
                continue
            self._line(item)

    def _line(self, line: Line) -> None:
        if self._table_line(line):
            return
        run_in = _run_in_heading(line)
        if run_in:
            head, rest = run_in
            self._line(head)
            self._close()
            self._line(rest)
            return
        bullet = bullet_of(line)
        if not self._continues(line, bullet):
            self._close()
            self._open(line, bullet)
        current = self.current
        current.lines.append(bullet[0] if bullet else line.text)
        current.links.extend(line.links)
        current.bold = current.bold and line.bold
        self.previous = line

    def _table_line(self, line: Line) -> bool:
        """Give a line to an unruled table: its header starts one, its rows go on in it."""
        if is_header(line):
            above = self._header_top(line)
            self._close()
            self.table = UnruledTable(line, self.vocabulary, above)
            self.previous = line
            return True
        table = self.table
        if table is None:
            return False
        across_page = self.previous is None
        if table.takes(line) and (not across_page or table.continues_on(line)):
            table.add(line)
            self.previous = line
            return True
        self._close()
        return False

    def _header_top(self, header: Line) -> Line | None:
        """The line just read when it holds the tops of the header's wrapped cells,
        taken back from the paragraph or table it went to."""
        previous = self.previous
        if previous is None or previous.page != header.page or not wraps_header(header, previous):
            return None
        current = self.current
        if current is not None and current.first is previous and len(current.lines) == 1:
            self.current = None
            return previous
        if self.table is not None and self.table.take_back(previous):
            return previous
        return None

    def _continues(self, line: Line, bullet) -> bool:
        """True when a line goes on with the paragraph being assembled."""
        current, previous = self.current, self.previous
        if current is None or bullet:
            return False
        if (line.size, line.bold) != (current.first.size, current.first.bold):
            return False
        if previous is None:
            # The first line of a page continues the last paragraph of the previous
            # page when that one stopped mid-sentence.
            return not ends_sentence(current.lines[-1])
        return not (
            self._gap_breaks(line, previous)
            or (current.level and line.x0 <= current.bullet_x + 1 and not _goes_on(line, previous))
            or (ends_sentence(previous.text) and self._would_fit(line, previous))
            or self._indented(line, previous, current)
        )

    def _gap_breaks(self, line: Line, previous: Line) -> bool:
        """A wider vertical gap than the usual line step."""
        gap = previous.bottom - line.bottom
        return gap > PARAGRAPH_GAP * self.step * max(line.size, self.body) / self.body

    def _would_fit(self, line: Line, previous: Line) -> bool:
        """True when the first word of a line would have fitted at the end of the previous
        one: the writer broke the line there, a paragraph ends."""
        text = line.text
        if not text:
            return False
        per_char = (line.x1 - line.x0) / len(text)
        word = len(line.words[0].text) + 1
        return previous.x1 + WORD_FIT_MARGIN * word * per_char < self.right

    @staticmethod
    def _indented(line: Line, previous: Line, current: _Paragraph) -> bool:
        """An indented first line starts a paragraph (centred lines are not indented)."""
        centred = abs((line.x0 + line.x1) - (previous.x0 + previous.x1)) < 4
        return current.level == 0 and line.x0 > current.first.x0 + 2 and not centred

    def _open(self, line: Line, bullet) -> None:
        level = 0
        if bullet:
            level = 1 + min(range(len(self.levels)), key=lambda i: abs(self.levels[i] - bullet[1]))
        self.current = _Paragraph(line, level, bullet[1] if bullet else line.x0)

    def _close(self) -> None:
        if self.table is not None:
            self.blocks.append(self.table.block())
            self.table = None
        current, self.current = self.current, None
        if current is None:
            return
        text = join_lines(current.lines, self.vocabulary)
        if text:
            first = current.first
            self.blocks.append(
                Block(
                    kind="text",
                    page=first.page,
                    text=text,
                    size=first.size,
                    bold=current.bold,
                    italic=first.italic,
                    level=current.level,
                    links=tuple(current.links),
                )
            )


def _goes_on(line: Line, previous: Line) -> bool:
    """A line back at its item's bullet that goes on with the item (a list item set
    without a hanging indent): the item stopped mid-sentence and the line starts in
    lower case."""
    return line.text[:1].islower() and not ends_sentence(previous.text)


def _run_in_heading(line: Line) -> tuple[Line, Line] | None:
    """A line that starts with bold words set apart from the text after them (a run-in
    heading, as LaTeX's \\paragraph), cut in two: (heading, text)."""
    words = line.words
    if not words[0].bold or line.bold or bullet_of(line):
        return None
    cut = next(i for i, word in enumerate(words) if not word.bold)
    if words[cut].x0 - words[cut - 1].x1 < RUN_IN_GAP * line.size or not all(
        not word.bold for word in words[cut:]
    ):
        return None
    head = Line(words[:cut], line.page, line.top, line.bottom, links=line.links)
    return head, Line(words[cut:], line.page, line.top, line.bottom)


def _bullet_levels(xs: list[float]) -> list[float]:
    """The distinct bullet positions of a document, left to right."""
    levels: list[float] = []
    for x in sorted(xs):
        if not levels or x - levels[-1] > BULLET_TOLERANCE:
            levels.append(x)
    return levels or [0.0]
