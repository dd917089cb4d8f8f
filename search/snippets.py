"""Highlighted snippets: matched terms in <mark>, every other character HTML-escaped."""

from __future__ import annotations

import html
import re

from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight
from whoosh.query import Query
from whoosh.searching import Searcher

from .schema import SPELLING_FIELD, STEMMED_FIELDS, TEXT_ANALYZER, analyze

# Characters of context around the matches, and how many passages a snippet joins.
SNIPPET_CHARS = 240
SNIPPET_FRAGMENTS = 2
SNIPPET_SEPARATOR = " … "
# Fields whose matched terms are marked in the section text.
_MARKED_FIELDS = STEMMED_FIELDS | {SPELLING_FIELD, "refs"}


class MarkFormatter(Formatter):
    """Wrap each match in <mark> and escape all text."""

    between = SNIPPET_SEPARATOR

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        """Return one match, escaped, inside <mark>."""
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"


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

    With no match in the text, the snippet is the start of the text.
    """
    marked = ""
    if terms and text:
        marked = highlight(
            text,
            terms,
            TEXT_ANALYZER,
            ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_CHARS // 3),
            MarkFormatter(),
            top=SNIPPET_FRAGMENTS,
            mode="index",
        )
    if not marked:
        marked = html.escape(_lead(text))
    return marked, html.unescape(re.sub(r"</?mark>", "", marked))


def _lead(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + "…"
