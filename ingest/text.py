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


def join_lines(lines: list[str], keep_hyphen: set[str] | None = None) -> str:
    """Join wrapped lines into one paragraph, repairing words hyphenated at line ends.

    A line ending in 'letters-' followed by a lower-case word is a word split by
    the layout: the hyphen goes, unless the hyphenated form is one the document
    writes elsewhere (keep_hyphen, lower-cased), as in 'end-to-end'.
    """
    out = ""
    for raw in lines:
        line = squash(raw)
        if not line:
            continue
        if not out:
            out = line
            continue
        if out.endswith("\u00ad"):
            out = out[:-1] + line
        elif _ends_hyphen(out, "[A-Za-z]") and re.match(r"[a-z]", line):
            head = re.search(r"([\w-]+)-$", out)[1]
            tail = re.match(r"[\w-]+", line)[0]
            compound = f"{head}-{tail}".lower()
            if keep_hyphen is not None and compound in keep_hyphen:
                out += line
            else:
                out = out[:-1] + line
        elif _ends_hyphen(out, "[A-Z0-9]") and re.match(r"\d", line):
            out += line  # an identifier or date broken after its hyphen: DMTC- / 7400-2420
        else:
            out += " " + line
    return out


def _ends_hyphen(text: str, before: str) -> bool:
    """True when text ends in a hyphen after a character of the class `before`.

    Only the last two characters are matched: a search anchored at the end
    would try every position of a growing paragraph.
    """
    return text.endswith("-") and re.fullmatch(before + "-", text[-2:]) is not None


def hyphenated_words(text: str) -> set[str]:
    """Every hyphenated compound written inside a line, lower-cased ('end-to-end')."""
    return {m.lower() for m in re.findall(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b", text)}


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
