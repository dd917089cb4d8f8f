"""Joining wrapped lines: which hyphen at a line end the layout added, and which the writer.

Decided from the document itself, not from a word list: the words and
hyphenated compounds it writes inside lines, the hyphen characters it uses
there, whether it hyphenates automatically at all, and the identifier grammar
("DMTC-" then "7400-2420" is one key; "2017-" then "05-31" one date).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ..identifiers import ends_inside_key
from ..text import squash

# Hyphens a line may end with; U+00AD (soft hyphen) is always the layout's.
LINE_END_HYPHENS = "-\u2010\u2011"
SOFT_HYPHEN = "\u00ad"
_TOKEN = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011][^\W\d_]+)*")
_LAST_TOKEN = re.compile(r"[^\W\d_]+(?:[-\u2010\u2011][^\W\d_]+)*$")
# A hyphen between letters (the hyphen first: the scan jumps from hyphen to hyphen).
_INLINE_HYPHEN = re.compile(r"([-\u2010\u2011])(?<=[^\W\d_][-\u2010\u2011])(?=[^\W\d_])")
_HEAD = re.compile(r"([\w\u2010\u2011-]*?)([\w]+)[-\u2010\u2011]$")
_TAIL = re.compile(r"[\w]+")
# A line's first token when the line (after its spaces) begins with it: its first
# letters, then the rest of it.
_FIRST_TOKEN = re.compile(r"^[^\S\n]*([^\W\d_]+)((?:[-\u2010\u2011][^\W\d_]+)*)", re.MULTILINE)
_BROKEN_INSIDE = re.compile(
    r"(?<![\w\u2010\u2011-])([^\W\d_]+)[-\u2010\u2011](?= \S|\s*$)", re.MULTILINE
)
# Other words of a document a piece must begin or end before it is taken for a piece of a
# word rather than a word ("Orchestra-" / "tion": "-tion" ends many of them).
PIECE_OF = 2
# Pieces shorter than this begin or end too many words to tell.
PIECE_LEN = 4
# A word joined at a line end that stands inside a longer word of the document is one
# word when at least this long (shorter ones stand inside words by chance: "as-is").
INSIDE_LEN = 6
# A line ending inside a URL, after one of the characters a URL is broken at (or
# after its scheme: "https:" then "//github.com/...").
_URL_BROKEN = re.compile(r"(?:https?://|www\.)\S*[./\-_~#?=&]$|(?<!\S)https?:$")
_SUFFIXES = ("ing", "ed", "es", "s", "d")


class Vocabulary:
    """What a document writes inside its lines (line ends and starts left out)."""

    def __init__(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        text = "\n".join(lines)
        # The hyphen patterns are run over the lines that have a hyphen (each line
        # matches on its own: none of them reaches past a line's end).
        hyphenated = "\n".join(line for line in lines if _has_hyphen(line))
        tokens = Counter(_TOKEN.findall(text))
        counts = tokens.copy()
        # The halves of words split at line ends are not words of the document.
        after_hyphen = False
        for line in lines:
            if after_hyphen and line.lstrip()[:1].isalpha():
                _uncount(counts, _TOKEN.match(line.lstrip()))
            after_hyphen = line.rstrip().endswith((*LINE_END_HYPHENS, SOFT_HYPHEN))
            if after_hyphen:
                _uncount(counts, _LAST_TOKEN.search(line.rstrip()[:-1]))
        kept = +counts
        self.words: set[str] = set()
        self.compounds: set[str] = set()
        compounds = [token for token in kept if _has_hyphen(token)]
        for token in compounds:
            normal = _normal_hyphens(token.lower())
            self.compounds.add(normal)
            self.words.update(normal.split("-"))
        self.words.update(_lower_parts(kept.keys() - compounds))
        self.hyphens: set[str] = set(_INLINE_HYPHEN.findall(hyphenated))
        self.automatic = False
        # Words the document writes alone inside a line: not first on a line (where the
        # rest of a word broken in a table cell stands) nor hyphenated at a line's end or
        # before a space (where a cell's line ends in the middle of the page's line:
        # "Super- 2016-11-30"). A line's first token loses its first letters; what
        # follows its first hyphen, if any, stays a token.
        alone = tokens
        for first, rest in _FIRST_TOKEN.findall(text):
            alone[first + rest] -= 1
            if rest:
                alone[rest[1:]] += 1
        for token in _BROKEN_INSIDE.findall(hyphenated):
            alone[token] -= 1
        self.alone: set[str] = _lower_parts(+alone)

    def knows(self, word: str) -> bool:
        """True when the document writes the word, or its stem, as a word of its own."""
        if word in self.words:
            return True
        return any(
            word.endswith(suffix) and word[: -len(suffix)] in self.words
            for suffix in _SUFFIXES
            if len(word) > len(suffix) + 2
        )

    def is_piece(self, head: str, tail: str) -> bool:
        """True when head or tail (lower case) is no word of the document but the
        beginning, or the end, of several of its words ("orchestra-" / "tion")."""
        return self._piece(tail, str.endswith) or self._piece(head, str.startswith)

    def _piece(self, piece: str, edge) -> bool:
        alone = self.alone
        if len(piece) < PIECE_LEN or any(piece + end in alone for end in ("", *_SUFFIXES)):
            return False
        return sum(edge(word, piece) and word != piece for word in self.words) >= PIECE_OF

    def inside(self, word: str) -> bool:
        """True when the word, or its stem, is long and stands inside a longer word of
        the document ("as-" / "signed": "assign" inside "reassignments")."""
        stems = {word, *(word[: -len(end)] for end in _SUFFIXES if word.endswith(end))}
        stems = {stem for stem in stems if len(stem) >= INSIDE_LEN}
        return any(stem in other and stem != other for other in self.words for stem in stems)

    def keeps_hyphen(self, head: str, tail: str, hyphen: str) -> bool:
        """True when 'head' + hyphen at a line end + 'tail' is a hyphenated compound."""
        head_l, tail_l = head.lower(), tail.lower()
        last = re.split(r"[-\u2010\u2011]", head_l)[-1]
        compound = f"{head_l}-{tail_l}"
        if compound in self.compounds:
            return True
        joined = last + tail_l
        if joined in self.words or self.is_piece(last, tail_l) or self.inside(joined):
            return False
        if hyphen not in self.hyphens or not self.automatic:
            return not self.automatic and hyphen in self.hyphens
        if any(c.startswith(f"{last}-") or c.endswith(f"-{tail_l}") for c in self.compounds):
            return True
        # Two words of the document's own; or, both halves long enough not to be the
        # syllables of a split word, one word of its own.
        head_known, tail_known = self.knows(last), self.knows(tail_l)
        return (head_known and tail_known) or (
            (head_known or tail_known) and min(len(last), len(tail_l)) >= 4
        )


def _has_hyphen(text: str) -> bool:
    return "-" in text or "\u2010" in text or "\u2011" in text


def _lower_parts(tokens: Iterable[str]) -> set[str]:
    """The tokens' parts between hyphens, in lower case (in one pass over them all:
    tokens hold no line break)."""
    joined = _normal_hyphens("\n".join(tokens).lower())
    return set(joined.replace("-", "\n").split("\n")) if joined else set()


def _normal_hyphens(text: str) -> str:
    return text.replace("\u2010", "-").replace("\u2011", "-")


def _uncount(counts: Counter, match) -> None:
    if match:
        counts[match[0]] -= 1


def learn_hyphenation(vocabulary: Vocabulary, paragraphs: Iterable[list[str]]) -> None:
    """Decide whether the document hyphenates words automatically.

    It does when some line-end hyphen splits a word the document also writes
    whole, or uses a hyphen character it never writes inside a line.
    """
    for lines in paragraphs:
        for before, after in zip(lines, lines[1:], strict=False):
            head, hyphen = _split_head(squash(before))
            tail = _TAIL.match(squash(after))
            if not head or not tail or not tail[0][:1].islower():
                continue
            last = re.split(r"[-\u2010\u2011]", head.lower())[-1]
            if hyphen not in vocabulary.hyphens or (last + tail[0].lower()) in vocabulary.words:
                vocabulary.automatic = True
                return


def _split_head(text: str) -> tuple[str, str]:
    """(the hyphenated word a text ends with, its hyphen), or ('', '')."""
    if not text or text[-1] not in LINE_END_HYPHENS:
        return "", ""
    match = _HEAD.search(text)
    if not match or not match[2][-1:].isalpha():
        return "", ""
    return match[1] + match[2], text[-1]


def join_lines(lines: list[str], vocabulary: Vocabulary, *, cell: bool = False) -> str:
    """Join wrapped lines into one text, repairing words broken at line ends.

    cell: the lines wrap inside a table cell, where a key or date broken
    between digits ("DMTC-7400-242" then "0") is one token.
    """
    out = ""
    for raw in lines:
        line = squash(raw)
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith(SOFT_HYPHEN):
            out = out[:-1] + line
        elif out.endswith("/") and out[-2:-1].isalnum() and line[0].isalnum():
            out += line  # a line broken after a slash: T/ CAM, and/ or
        elif _URL_BROKEN.search(out[-200:]) and (out[-1] != ":" or line.startswith("//")):
            out += line  # a URL broken after a dot or a slash, as LaTeX's \url breaks it
        elif out[-1] in LINE_END_HYPHENS and len(out) > 1 and out[-2].isalnum():
            out = out[:-1] + ("-" if _hyphen_kept(out, line, vocabulary) else "") + line
        elif cell and out[-1].isdigit() and line[0].isdigit() and ends_inside_key(out, line):
            out += line
        else:
            out += " " + line
    return out.replace(SOFT_HYPHEN, "")


def _hyphen_kept(out: str, line: str, vocabulary: Vocabulary) -> bool:
    """True when the hyphen that ends `out` is the writer's, not the layout's."""
    head, hyphen = _split_head(out)
    if head and vocabulary.automatic and hyphen not in vocabulary.hyphens:
        return False  # a hyphen character only the layout uses (U+2010 of automatic hyphenation)
    tail = _TAIL.match(line)
    if head and tail and line[0].isupper() and tail[0].isalpha():
        # "Super-" / "Task": a capital after the break, in a document that writes
        # "SuperTask" whole and never "Super-Task".
        last = re.split(r"[-\u2010\u2011]", head.lower())[-1]
        joined = last + tail[0].lower()
        if joined in vocabulary.words and f"{head.lower()}-{tail[0].lower()}" not in (
            vocabulary.compounds
        ):
            return _is_compound(head, line, tail)
    if not head or not line[0].islower() or _is_compound(head, line, tail):
        # A key or date broken after its hyphen (DMTC- / 7400-2420), a compound going on
        # with a capital or a digit (Face- / To-Face), or a part of a compound that has
        # other hyphens (end-to- / end, proof- / of-concept): automatic hyphenation
        # never breaks a word that has a hyphen of its own, so this one is the writer's.
        return True
    return vocabulary.keeps_hyphen(head, tail[0], hyphen)


def _is_compound(head: str, line: str, tail) -> bool:
    return any(h in head for h in LINE_END_HYPHENS) or line[tail.end() : tail.end() + 1] in (
        LINE_END_HYPHENS
    )
