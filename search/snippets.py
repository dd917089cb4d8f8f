"""Highlighted snippets: matched terms in <mark>, every other character HTML-escaped."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from whoosh.query import Query
from whoosh.searching import Searcher

from .schema import SPELLING_FIELD, STEMMED_FIELDS, TEXT_ANALYZER, TOKEN_RE, analyze

# Characters of context around the matches, and how many passages a snippet joins.
SNIPPET_CHARS = 240
SNIPPET_FRAGMENTS = 2
SNIPPET_SEPARATOR = " … "
# Characters of context kept before the first and after the last match of a passage.
_SURROUND = SNIPPET_CHARS // 3
# Fields whose matched terms are marked in the section text.
_MARKED_FIELDS = STEMMED_FIELDS | {SPELLING_FIELD, "refs"}


def highlight_terms(q: Query | None, searcher: Searcher) -> frozenset[str]:
    """Return the analyzed terms (as the text field indexes them) a query matched on."""
    if q is None:
        return frozenset()
    reader = searcher.reader()
    terms = set()
    for leaf in q.leaves():
        if leaf.field() not in _MARKED_FIELDS:
            continue
        for fieldname, text in leaf.expanded_terms(reader):
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            if fieldname == SPELLING_FIELD:
                # The unstemmed vocabulary: stem as the text field did.
                terms.update(analyze(text, mode="query"))
            else:
                terms.add(text)
    return frozenset(terms)


def make_snippet(text: str, terms: frozenset[str]) -> tuple[str, str]:
    """Return (HTML snippet, plain snippet) of a text around the given terms.

    The passages (at most SNIPPET_FRAGMENTS of SNIPPET_CHARS characters) with
    the most matches are kept, in text order. With no match in the text, the
    snippet is the start of the text.
    """
    matches = _matches(text, terms) if terms and text else []
    if not matches:
        marked = html.escape(_lead(text))
    else:
        fragments = sorted(_fragments(text, matches), key=lambda f: (-len(f[2]), f[0]))
        chosen: list[tuple[int, int]] = []
        for start, end, _group in sorted(fragments[:SNIPPET_FRAGMENTS]):
            if chosen and start <= chosen[-1][1]:  # overlapping passages become one
                chosen[-1] = (chosen[-1][0], max(end, chosen[-1][1]))
            else:
                chosen.append((start, end))
        marked = SNIPPET_SEPARATOR.join(_mark(text, s, e, matches) for s, e in chosen)
    return marked, html.unescape(re.sub(r"</?mark>", "", marked))


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The spans of the tokens of a text that the index holds as one of the terms, in order.

    Tokenizing every hit's text token by token in Python was most of a search's
    time (a milestone's text is 170 tokens), so a text is cut at its spaces and
    each distinct chunk is tokenized once per process (`_Vocabulary`): the chunks
    holding a term are then found by set operations, and only they are looked
    for in the text. No token holds a space and the token pattern looks one
    character around a token at most, so a chunk's tokens are the text's tokens there.
    """
    vocabulary = _Vocabulary.current()
    chunks = set(text.split(" "))
    vocabulary.learn(chunks)
    hit: set[str] = set()
    for term in terms:
        found = vocabulary.by_form.get(term)
        if found:
            hit |= chunks & found
    if not hit:
        return []
    spans = []
    size = len(text)
    for chunk in hit:
        inside = [span for span, forms in vocabulary.tokens[chunk] if not terms.isdisjoint(forms)]
        length = len(chunk)
        at = text.find(chunk)
        while at >= 0:
            end = at + length
            if (at == 0 or text[at - 1] == " ") and (end == size or text[end] == " "):
                spans += [(at + start, at + stop) for start, stop in inside]
            at = text.find(chunk, at + 1)
    return sorted(spans)


class _Vocabulary:
    """Every space-separated chunk of text a snippet was made of: its tokens (spans and
    index forms), and the chunks holding each index form.

    Shared by the threads of a process; replaced by a new one (never cleared: a
    search may be reading it) past VOCABULARY_CHUNKS chunks.
    """

    _current: _Vocabulary | None = None

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.tokens: dict[str, tuple] = {}
        self.by_form: dict[str, set[str]] = {}

    @classmethod
    def current(cls) -> _Vocabulary:
        """The process's vocabulary (a new one when the last grew too large)."""
        found = cls._current
        if found is None or len(found.seen) > VOCABULARY_CHUNKS:
            found = cls._current = cls()
        return found

    def learn(self, chunks: set[str]) -> None:
        """Tokenize the chunks not seen before."""
        for chunk in chunks - self.seen:
            tokens = tuple((m.span(), _forms(m[0])) for m in TOKEN_RE.finditer(chunk))
            self.tokens[chunk] = tokens
            for _, forms in tokens:
                for form in forms:
                    self.by_form.setdefault(form, set()).add(chunk)
            self.seen.add(chunk)  # last: a chunk seen is complete in tokens and by_form


# Distinct chunks of text a process keeps tokenized (about 100 bytes each).
VOCABULARY_CHUNKS = 300_000


@lru_cache(maxsize=200_000)
def _forms(token: str) -> frozenset[str]:
    """The terms the index holds for one token of text (a key also gives its parents).

    `analyze(token, mode="index")`'s terms, through the analyzer's one-pass path
    (Whoosh's token protocol was most of a first search's snippets).
    """
    return TEXT_ANALYZER.index_terms(token)


def _fragments(text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int, list]]:
    """Group matches into passages of at most SNIPPET_CHARS, with context around them."""
    out = []
    group: list[tuple[int, int]] = []
    for match in matches:
        if group and match[1] - group[0][0] > SNIPPET_CHARS - _SURROUND:
            out.append(_window(text, group))
            group = []
        group.append(match)
    out.append(_window(text, group))
    return out


def _window(text: str, group: list[tuple[int, int]]) -> tuple[int, int, list]:
    start = max(0, group[0][0] - _SURROUND)
    end = min(len(text), max(group[-1][1] + _SURROUND, start + SNIPPET_CHARS))
    end = min(end, max(group[-1][1], start + SNIPPET_CHARS))
    if start > 0:  # begin and end on word boundaries
        space = text.find(" ", start, group[0][0])
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", group[-1][1], end)
        end = space if space >= 0 else end
    return start, end, group


def _mark(text: str, start: int, end: int, matches: list[tuple[int, int]]) -> str:
    parts = []
    pos = start
    for m_start, m_end in matches:
        if m_start < start or m_end > end:
            continue
        parts.append(html.escape(text[pos:m_start]))
        parts.append(f"<mark>{html.escape(text[m_start:m_end])}</mark>")
        pos = m_end
    parts.append(html.escape(text[pos:end]))
    return "".join(parts).strip()


def _lead(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + "…"
