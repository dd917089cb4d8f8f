"""Pure text helpers shared by the readers and the structure parser."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "approx.", "Dr.", "Mr.", "Ms.")
_CITATION = re.compile(r"^[\[(][A-Za-z0-9_ ,\-]+[\])][.:;]?(\s+|$)")
TERMINAL = (".", ":", ";", "!", "?", ")", "]", '"', "”", "’")


def squash(text: str) -> str:
    """Collapse runs of spaces and strip the ends."""
    # Most texts have nothing to collapse: sub() is only run on those that do.
    if "  " in text or "\t" in text or "\u00a0" in text or "\u2009" in text or "\u202f" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def ends_sentence(text: str) -> bool:
    """True when a line ends a sentence or a clause (so the next line starts anew)."""
    return text.rstrip().endswith(TERMINAL)


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (for the context of an identifier)."""
    pieces = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].rstrip()
        if candidate.endswith(_ABBREVIATIONS):
            continue
        pieces.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    merged: list[str] = []
    for piece in pieces:
        citation = _CITATION.match(piece)
        if merged and citation:
            # '[DM-1, DM-2]' after a sentence cites that sentence.
            merged[-1] += " " + citation[0].strip()
            piece = piece[citation.end() :].strip()
        if piece:
            merged.append(piece)
    return merged
