"""Glyphs -> words -> lines, from geometry alone.

Where one text run ends and the next begins says nothing about words: producers
split runs at kerning pairs ("F" "acility"), at ligatures ("e" "ff" "iciency")
and anywhere else. A word ends where the gap between two glyphs' advance boxes
is wide against the font size and against the other gaps of its own line (so
letter-spaced and justified lines are read right), or at a space the PDF
itself draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from .glyphs import Glyphs

# Lengths are measured in glyph heights (the advance box's height, about 0.9 em).
# A gap this much wider than the line's usual gap between letters ends a word.
WORD_GAP = 0.13
# Never less than this over the usual gap, where a line's own word gaps are narrow.
WORD_GAP_MIN = 0.07
# Where a line's word gaps are narrow, a word ends at this share of their median width.
WORD_GAP_SHARE = 0.33
# A gap this wide (or wider) that does not end a word is measured again from the next
# glyph's origin.
NEAR_GAP = 0.03
# Word gaps a line needs before their width is trusted.
WORD_GAPS_SEEN = 3
# A word whose capital first letter is set this much larger than its middle glyph is
# in small capitals: it is as large as that letter.
SMALL_CAPS_SCALE = 1.1
# Glyphs whose vertical centres are this far apart are on different lines.
LINE_SHIFT = 0.5
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}

_LIGATURE_TABLE = str.maketrans(LIGATURES)
# Characters that are spaces: a word ends at each.
_SPACES = [9, 32, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]
_SPACE_TABLE = np.zeros(max(_SPACES) + 2, dtype=bool)
_SPACE_TABLE[_SPACES] = True


class Word(NamedTuple):
    """Glyphs with no word gap between them; the style of its middle letter.

    A tuple, so that a page's words are made in one call (`_words`), not one
    Python call each.
    """

    text: str
    x0: float
    x1: float
    size: float
    bold: bool
    italic: bool


_TEXT, _SIZE, _BOLD, _ITALIC = (
    itemgetter(Word._fields.index(f)) for f in ("text", "size", "bold", "italic")
)


@dataclass(eq=False)
class Line:
    """Words sharing a baseline, left to right (PDF points, y up).

    size: the size most of the text is set in; bold, italic: when every word
    is; bullet_x: where a bullet drawn as a shape (not a glyph) stands before it.
    """

    words: list[Word]
    page: int
    top: float
    bottom: float
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    links: list[str] = field(default_factory=list)
    bullet_x: float | None = None
    text: str = field(init=False, default="")

    def __post_init__(self) -> None:
        words = self.words
        texts = list(map(_TEXT, words))
        sizes = set(map(_SIZE, words))
        if len(sizes) > 1:
            weights: dict[float, int] = {}
            for word in words:
                weights[word.size] = weights.get(word.size, 0) + len(word.text)
            self.size = max(weights, key=weights.__getitem__)
        else:
            self.size = sizes.pop() if sizes else 0.0
        self.bold, self.italic = all(map(_BOLD, words)), all(map(_ITALIC, words))
        self.text = " ".join(texts)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def page_lines(glyphs: Glyphs, page: int) -> list[Line]:
    """The lines of a page, top to bottom, each cut into words."""
    if not len(glyphs):
        return []
    starts = _chunk_starts(glyphs)
    groups = _group_lines(glyphs, starts)
    # The glyphs in line order: each line's chunks, one range of glyphs each.
    firsts = np.array([start for _, _, chunks in groups for start, _ in chunks])
    ends = np.array([end for _, _, chunks in groups for _, end in chunks])
    lengths = ends - firsts
    order = np.arange(len(glyphs)) - np.repeat(np.cumsum(lengths) - lengths - firsts, lengths)
    chunk_line = np.repeat(np.arange(len(groups)), [len(chunks) for _, _, chunks in groups])
    line_of = np.repeat(chunk_line, lengths)
    words = _words(glyphs, order, line_of, len(groups))
    lines = []
    for number, (top, bottom, _) in enumerate(groups):
        if words[number]:
            lines.append(Line(words[number], page, top, bottom))
    return lines


def _heights(glyphs: Glyphs) -> np.ndarray:
    return np.maximum(glyphs.top - glyphs.bottom, 1.0)


def _chunk_starts(glyphs: Glyphs) -> np.ndarray:
    """Where the text, in content order, jumps to another line or back left."""
    middle = (glyphs.top + glyphs.bottom) / 2
    size = _heights(glyphs)
    em = np.maximum(size[1:], size[:-1])
    cut = (np.abs(np.diff(middle)) > LINE_SHIFT * em) | (
        glyphs.x0[1:] < glyphs.x0[:-1] - 0.5 * size[1:]
    )
    return np.concatenate(([0], np.flatnonzero(cut) + 1))


def _group_lines(glyphs: Glyphs, starts: np.ndarray) -> list[tuple[float, float, list]]:
    """Chunks grouped by vertical overlap into lines, top to bottom: (top, bottom, the
    (start, end) glyph positions of the line's chunks, left to right)."""
    tops = np.maximum.reduceat(glyphs.top, starts).tolist()
    bottoms = np.minimum.reduceat(glyphs.bottom, starts).tolist()
    sizes = np.maximum.reduceat(_heights(glyphs), starts).tolist()
    lefts = glyphs.x0[starts].tolist()
    ends = [*starts[1:].tolist(), len(glyphs)]
    chunks = sorted(
        zip(tops, bottoms, sizes, lefts, starts.tolist(), ends, strict=True),
        key=lambda c: (-round((c[0] + c[1]) / 2), c[3]),
    )
    groups: list[list] = []  # [middle, size, top, bottom, chunks]
    for top, bottom, size, left, start, end in chunks:
        centre = (top + bottom) / 2
        for group in reversed(groups[-4:]):
            if abs(group[0] - centre) < LINE_SHIFT * max(size, group[1]):
                group[2], group[3] = max(group[2], top), min(group[3], bottom)
                group[4].append((left, start, end))
                break
        else:
            groups.append([centre, size, top, bottom, [(left, start, end)]])
    return [
        (top, bottom, [(start, end) for _, start, end in sorted(members)])
        for _, _, top, bottom, members in groups
    ]


def _words(glyphs: Glyphs, order: np.ndarray, line_of: np.ndarray, count: int):
    """The words of every line: glyphs in line order, cut at spaces and word gaps."""
    codes = glyphs.codes[order]
    chars = codes.tobytes().decode("utf-32-le")
    x0, x1 = glyphs.x0[order], glyphs.x1[order]
    size = _heights(glyphs)[order]
    space = _spaces(codes)
    gap = (x0[1:] - x1[:-1]) / np.maximum(size[1:], size[:-1])
    same_line = line_of[1:] == line_of[:-1]
    letters = same_line & ~space[1:] & ~space[:-1]
    usual = _usual_gaps(gap, letters, line_of, count)
    limit = _word_limits(gap, letters, line_of, usual)[line_of[1:]]
    # A gap that does not end a word may be a space whose next glyph draws back under
    # the letter before it (italic "d f"): there the gap is measured from the glyph's
    # own origin, and the lines' limits are taken again.
    near = np.flatnonzero(letters & (gap > NEAR_GAP) & (gap <= limit))
    if len(near):
        starts = glyphs.origins_of(order[near + 1].tolist())
        moved = (np.asarray(starts) - x1[near]) / np.maximum(size[near + 1], size[near])
        if (moved > gap[near]).any():
            gap[near] = moved
            usual = _usual_gaps(gap, letters, line_of, count)
            limit = _word_limits(gap, letters, line_of, usual)[line_of[1:]]
    cut = ~same_line | space[1:] | space[:-1] | (gap > limit)
    starts = np.concatenate(([0], np.flatnonzero(cut) + 1))
    ends = np.append(starts[1:], len(order))
    kept = ~space[starts]  # a space is a word of its own, and dropped
    right = np.maximum.reduceat(x1, starts)[kept].tolist()
    starts, ends = starts[kept], ends[kept]
    # A word's font is its middle glyph's (not a bracket or a quote at its edge); a word
    # in small capitals ("Risk" drawn as a capital R and smaller capitals) is as large
    # as its first letter's font (asked only where the first glyph stands taller).
    middles = (starts + ends - 1) // 2
    styles = glyphs.styles_of(order[middles].tolist())
    firsts, lasts = starts.tolist(), ends.tolist()
    capitals = [
        k
        for k in np.flatnonzero(size[starts] > SMALL_CAPS_SCALE * size[middles]).tolist()
        if chars[firsts[k]].isupper() and chars[lasts[k] - 1].islower()
    ]
    if capitals:
        tall = glyphs.styles_of([int(order[firsts[k]]) for k in capitals])
        for k, (first, _, _) in zip(capitals, tall, strict=True):
            if first > SMALL_CAPS_SCALE * styles[k][0]:
                styles[k] = (first, *styles[k][1:])
    texts = list(map(chars.__getitem__, map(slice, firsts, lasts)))
    if any(ligature in chars for ligature in LIGATURES):
        texts = [text.translate(_LIGATURE_TABLE) for text in texts]
    sizes, bolds, italics = zip(*styles, strict=True) if styles else ((), (), ())
    fields = zip(texts, x0[starts].tolist(), right, sizes, bolds, italics, strict=True)
    words = list(map(tuple.__new__, repeat(Word), fields))
    # Words are in line order: each line's are one slice.
    bounds = np.searchsorted(line_of[starts], np.arange(count + 1)).tolist()
    return [words[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _spaces(codes: np.ndarray) -> np.ndarray:
    """Which code points are spaces (looked up in a table; past its end, none is)."""
    return _SPACE_TABLE[np.minimum(codes, len(_SPACE_TABLE) - 1)]


def _word_limits(gap: np.ndarray, letters: np.ndarray, line_of: np.ndarray, usual: np.ndarray):
    """Each line's gap that ends a word: WORD_GAP over its usual gap between letters, or
    less where the line's own word gaps are narrow (a space narrower than a glyph's
    overhang leaves, as after an italic "f": "of the"): half way to their median."""
    limit = usual + WORD_GAP
    wide = letters & (gap > limit[line_of[1:]])
    words = _usual_gaps(gap, wide, line_of, len(usual), least=WORD_GAPS_SEEN)
    seen = words > 0
    half = usual[seen] + np.clip(
        WORD_GAP_SHARE * (words[seen] - usual[seen]), WORD_GAP_MIN, WORD_GAP
    )
    limit[seen] = half
    return limit


def _usual_gaps(
    gap: np.ndarray, letters: np.ndarray, line_of: np.ndarray, count: int, least: int = 4
):
    """Each line's usual gap between letters (in ems, at least 0): its median gap, for
    lines with at least ``least`` gaps (else 0)."""
    usual = np.zeros(count)
    owners = line_of[1:][letters]
    values = gap[letters]
    if not len(values):
        return usual
    by_line = np.lexsort((values, owners))  # by line, then by gap
    owners, values = owners[by_line], values[by_line]
    firsts = np.concatenate(([0], np.flatnonzero(np.diff(owners)) + 1))
    counts = np.diff(np.concatenate((firsts, [len(owners)])))
    middles = values[firsts + counts // 2]
    enough = counts >= least
    usual[owners[firsts][enough]] = np.maximum(middles[enough], 0.0)
    return usual


def attach_links(lines: list[Line], links) -> None:
    """Give each link annotation to the first line it covers."""
    for (x0, bottom, x1, top), uri in links:
        for line in lines:
            if line.bottom < top and bottom < line.top and line.x0 < x1 and x0 < line.x1:
                line.links.append(uri)
                break


def attach_drawn_bullets(lines: list[Line], paths) -> None:
    """Mark lines that a small compact shape stands before (a bullet drawn, not typed)."""
    for x0, bottom, x1, top in paths:
        width, height = x1 - x0, top - bottom
        if not (1.0 <= width <= 8.0 and 1.0 <= height <= 8.0 and 0.6 <= width / height <= 1.6):
            continue
        centre = (top + bottom) / 2
        for line in lines:
            if (
                line.bottom <= centre <= line.top
                and width <= 0.6 * line.size
                and 0 < line.x0 - x1 <= 2.5 * line.size
            ):
                line.bullet_x = x0
                break
