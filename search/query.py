"""Answer a SearchRequest: parse the query, filter, rank, page, facet, highlight.

Query language: words (all must match), "phrases", AND / OR / NOT, -word,
+word, parentheses, field filters (`wbs:02C.06`, `month:2017-10`,
`month:[2017-06 TO 2017-10]`, `year:2017`, `part:planned`, `ref:DM-12256`,
`kind:milestone`, `id:DLP-472`, `status:delayed`) and `*` wildcards. A name
that is not a field (`foo:bar`) is plain text. A query that cannot be read as
written is searched as its plain words, and the result says so.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

import numpy as np
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    MultifieldParser,
    PlusMinusPlugin,
    WildcardPlugin,
)
from whoosh.query import (
    And,
    Every,
    MultiTerm,
    Not,
    NullQuery,
    Or,
    Prefix,
    Query,
    Term,
    TermRange,
    Wildcard,
)
from whoosh.searching import Searcher

from .documents import stored_common
from .engine import Matcher, arrays_for, top
from .errors import WHOOSH_ERRORS, QueryError
from .facets import count_facets, facet_mask
from .indexer import Index
from .models import FACETS, Hit, SearchRequest, SearchResult
from .schema import (
    DEFAULT_FIELDS,
    QUERY_ALIASES,
    QUERY_SCHEMA,
    SEARCH_KINDS,
    SPELLING_FIELD,
    STEMMED_FIELDS,
    TEXT_ANALYZER,
    TOKEN_RE,
    analyze,
)
from .snippets import highlight_terms, make_snippet
from .spelling import suggest_query

# A wildcard or range may expand to at most this many index terms.
MAX_WILDCARD_TERMS = 512
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
_BINARY_OPERATORS = OPERATORS - {"NOT"}
# A minus sign at the start of a word (not inside DM-12256).
_MINUS_RE = re.compile(r"(?<![^\s(])-(?=\S)")


class _StarWildcardPlugin(WildcardPlugin):
    # Only `*` is a wildcard: a question ends with `?`, and means no pattern.
    qmarks = ""
    expr = r"(?P<text>[*])"


def _make_parser() -> MultifieldParser:
    parser = MultifieldParser(list(DEFAULT_FIELDS), QUERY_SCHEMA, group=AndGroup)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(_StarWildcardPlugin())
    # A sign counts only at the start of a word: DM-12256 keeps its hyphen.
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=\S)", minusexpr=_MINUS_RE.pattern))
    parser.add_plugin(FieldAliasPlugin(QUERY_ALIASES))
    return parser


_PARSER = _make_parser()


# Parsed query texts remembered: a user paging or picking facets sends the same text again.
PARSED_QUERIES = 1024


@lru_cache(maxsize=PARSED_QUERIES)
def parse_query(qstring: str) -> tuple[Query | None, str | None]:
    """Parse query text; return (query or None for "match everything", notice or None).

    Depends on the text alone (not on the index), so answers are remembered;
    the queries returned are shared and never changed in place.
    """
    if not qstring.strip():
        return None, None
    problem = find_syntax_problem(qstring)
    if problem is None:
        try:
            q = _PARSER.parse(qstring)
        except WHOOSH_ERRORS + (ValueError, TypeError, IndexError) as exc:
            problem = f"syntax error: {exc}"
        else:
            problem = _error_in(q)
            if problem is None and q is NullQuery and _MINUS_RE.search(qstring):
                # Whoosh reads "-butler" alone as nothing; the user means "all but butler".
                q = _PARSER.parse(_MINUS_RE.sub("NOT ", qstring))
                problem = _error_in(q)
            if problem is None:
                return _only_negative(q), None
    words = " ".join(
        m.group(0)
        for m in TOKEN_RE.finditer(qstring)
        if m.group(0) not in OPERATORS and not qstring.startswith(":", m.end())
    )
    notice = (
        f"Could not read the query as written ({problem}); searched for any of its words instead."
    )
    return (_PARSER.parse(" OR ".join(words.split())) if words else NullQuery), notice


def find_syntax_problem(qstring: str) -> str | None:
    """Return why a query string is malformed (unclosed quote, bracket...), or None."""
    if qstring.count('"') % 2:
        return "unclosed quote"
    # A phrase stands for one word: `title:"science platform"` has a value,
    # `"a b" OR "c d"` no dangling OR.
    outside = re.sub(r'"[^"]*"', "PHRASE", qstring)
    depth = 0
    for ch in outside:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "unbalanced parentheses"
    if depth:
        return "unbalanced parentheses"
    for rng in re.finditer(r"[\[{][^\]}]*[\]}]?", outside):
        if not re.fullmatch(r"[\[{]\s*\S*\s+TO\s+\S*\s*[\]}]", rng.group(0)):
            return "malformed range (use month:[2017-06 TO 2017-10])"
    if re.search(r"\w:(\s|$)", outside):
        return "field name without a value"
    words = outside.split()
    if words and (words[0] in _BINARY_OPERATORS or words[-1] in OPERATORS):
        return f"dangling {words[0] if words[0] in _BINARY_OPERATORS else words[-1]}"
    for a, b in zip(words, words[1:], strict=False):
        if a in OPERATORS and b in _BINARY_OPERATORS:
            return f"{a} followed by {b}"
    return None


def _error_in(q: Query) -> str | None:
    for node in [q, *q.leaves()]:
        error = getattr(node, "error", None)
        if error:
            return str(error)
    return None


def _only_negative(q: Query) -> Query:
    """Make "NOT butler" and "-butler -qserv" mean "every document but these".

    Whoosh's Every() is replaced by a match on the searchable kinds: And.normalize()
    would otherwise collapse `And([Every(), Not(...)])` into Every() and drop the NOT.
    """
    every = Or([Term("kind", kind) for kind in SEARCH_KINDS])
    q = q.accept(lambda node: every if isinstance(node, Every) else node)
    if isinstance(q, Not) or (
        isinstance(q, And) and q.subqueries and all(isinstance(s, Not) for s in q.subqueries)
    ):
        return And([every, q])
    return q


def check_wildcards(q: Query | None, searcher: Searcher) -> Query | None:
    """Expand wildcards on stemmed fields over the unstemmed vocabulary; enforce the cap.

    `pipel*` on the text becomes the stems of every indexed word it matches
    (pipeline, pipelines...), so a pattern longer than a word's stem still finds
    it. Raises QueryError when a wildcard or range expands to more than
    MAX_WILDCARD_TERMS terms.
    """
    if q is None:
        return None
    reader = searcher.reader()

    def expand(node: Query) -> Query:
        if isinstance(node, Prefix | Wildcard) and node.fieldname in STEMMED_FIELDS:
            vocabulary = type(node)(SPELLING_FIELD, node.text)
            words = [_text(t) for _, t in _capped(vocabulary, reader, node)]
            stems = sorted({s for w in words for s in analyze(w, TEXT_ANALYZER, mode="query")})
            return Or([Term(node.fieldname, s) for s in stems]) if stems else NullQuery
        if isinstance(node, MultiTerm):
            _capped(node, reader, node)
        return node

    return q.accept(expand).normalize()


def _capped(node: MultiTerm, reader, shown: MultiTerm) -> list[tuple[str, str]]:
    terms = list(islice(node.expanded_terms(reader), MAX_WILDCARD_TERMS + 1))
    if len(terms) > MAX_WILDCARD_TERMS:
        raise QueryError(
            f"{_pattern(shown)} matches more than {MAX_WILDCARD_TERMS} "
            "terms; make the pattern longer or the range narrower"
        )
    return terms


def _pattern(node: MultiTerm) -> str:
    """Name a wildcard (`title:pipe…`) or a range (`text:[a TO z]`) as the user wrote it."""
    if isinstance(node, TermRange):
        return f"{node.field()}:[{node.start} TO {node.end}]"
    return f"{node.field()}:{getattr(node, 'text', node)}…"


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def search(index: Index, request: SearchRequest) -> SearchResult:
    """Run one search request and return a page of hits with facets and hints."""
    text_q, notice = parse_query(request.q)
    with index.reading() as snap:
        searcher = snap.searcher
        text_q = check_wildcards(text_q, searcher)
        matcher = Matcher(searcher, arrays_for(searcher, snap.cache))
        text_mask = matcher.mask(text_q) & matcher.arrays.searchable
        filters = {name: facet_mask(matcher, name, request.selected(name)) for name in FACETS}
        main = _combine(text_mask, filters.values())
        total = int(main.sum())
        hits = _page(searcher, matcher, text_q, main, request)
        facets = count_facets(snap, matcher, text_mask, filters, main, request)
        suggestion = None
        if request.q and notice is None:
            filter_mask = _combine(matcher.arrays.searchable, filters.values())
            suggestion = suggest_query(
                searcher, request.q, lambda q: _count(searcher, matcher, q, filter_mask)
            )
    return SearchResult(
        request=request,
        hits=hits,
        total=total,
        pages=(total + request.per_page - 1) // request.per_page,
        facets=facets,
        suggestion=suggestion,
        notice=notice,
    )


def _combine(mask: np.ndarray, filters) -> np.ndarray:
    out = mask.copy()
    for f in filters:
        if f is not None:
            out &= f
    return out


def _count(searcher: Searcher, matcher: Matcher, qstring: str, filter_mask: np.ndarray) -> int:
    q, notice = parse_query(qstring)
    if notice is not None:
        return 0
    try:
        q = check_wildcards(q, searcher)
    except QueryError:
        return 0
    return int((matcher.mask(q) & filter_mask).sum())


def _page(
    searcher: Searcher,
    matcher: Matcher,
    text_q: Query | None,
    main: np.ndarray,
    request: SearchRequest,
) -> tuple[Hit, ...]:
    start = (request.page - 1) * request.per_page
    stop = start + request.per_page
    sort = "newest" if request.sort == "relevance" and text_q is None else request.sort
    scores = matcher.scores(text_q)
    if sort == "relevance":
        keys = [-scores]
    else:
        month = matcher.sort_key("month")
        keys = [-month if sort == "newest" else np.where(month < 0, month.max() + 1, month)]
        keys.append(-scores)
    docs = top(keys, main, start, stop)
    terms = highlight_terms(text_q, searcher)
    return tuple(_hit(searcher.stored_fields(d), float(scores[d]), terms) for d in docs)


def _hit(fields: dict, score: float | None, terms: frozenset[str]) -> Hit:
    snippet, snippet_text = make_snippet(fields.get("text", ""), terms)
    return Hit(
        **stored_common(fields),
        snippet=snippet,
        snippet_text=snippet_text,
        score=round(score, 4) if isinstance(score, int | float) else 0.0,
    )
