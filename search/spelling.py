""" "Did you mean": correct unknown words against the unstemmed vocabulary."""

from __future__ import annotations

import re
from collections.abc import Callable

from whoosh.searching import Searcher

from .schema import SPELLING_FIELD, WORDS_ANALYZER, analyze

# Words shorter than this are left alone (too many near neighbours).
MIN_WORD_LENGTH = 4
# Largest edit distance tried; nearer corrections always win over farther ones.
MAX_EDITS = 2
# Longer words are left alone: no real word is that long, and the edit-distance
# automaton grows with the word (a 1,000-letter word took seconds).
MAX_WORD_LENGTH = 40
# Words of one query looked up at most: each costs two vocabulary scans, and a
# query of 100 unknown words took seconds.
MAX_CORRECTED_WORDS = 10
# A plain word: not a field name, not inside an identifier, not an operator.
_WORD_RE = re.compile(rf"(?<![\w:.\-])([^\W\d_]{{{MIN_WORD_LENGTH},}})(?![\w:.\-*])")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def suggest_query(searcher: Searcher, qstring: str, count: Callable[[str], int]) -> str | None:
    """Return the query with misspelled words corrected, if that query finds something.

    count(query_string) must return how many documents a query string finds.
    """
    reader = searcher.reader()
    changed = False
    out = []
    last = 0
    tried = 0
    for match in _WORD_RE.finditer(qstring):
        word = match.group(1)
        if word in _OPERATORS or len(word) > MAX_WORD_LENGTH:
            continue
        if tried == MAX_CORRECTED_WORDS:
            break
        tried += 1
        correction = _correct(reader, word)
        if correction:
            if word[0].isupper():
                correction = correction[0].upper() + correction[1:]
            out.append(qstring[last : match.start(1)] + correction)
            last = match.end(1)
            changed = True
    if not changed:
        return None
    corrected = "".join(out) + qstring[last:]
    return corrected if count(corrected) > 0 else None


def _correct(reader, word: str) -> str | None:
    tokens = analyze(word, WORDS_ANALYZER, mode="query")
    if len(tokens) != 1 or reader.doc_frequency(SPELLING_FIELD, tokens[0]):
        return None
    for distance in range(1, MAX_EDITS + 1):
        candidates = [
            t for t in reader.terms_within(SPELLING_FIELD, tokens[0], distance) if t.isalpha()
        ]
        if candidates:
            return max(candidates, key=lambda t: (reader.doc_frequency(SPELLING_FIELD, t), t))
    return None
