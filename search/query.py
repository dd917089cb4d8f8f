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
from collections.abc import Iterator
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

from .codec import stored_fields
from .documents import stored_common
from .engine import Matcher, arrays_for, first_ranked, top
from .errors import WHOOSH_ERRORS, QueryError
from .facets import cited_keys, count_facets, filter_masks, index_key, reference_counts
from .indexer import Index
from .models import Hit, ReferenceResult, SearchRequest, SearchResult
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


# The facets of a search of every document with nothing selected (per generation).
_WHOLE_INDEX_FACETS = "whole-index facets"

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
    """Name a wildcard (`pipe*`) or a range (`[a TO z]`) as the user wrote it.

    A field is named only when the user can have typed it (`month:[…]`), by
    the name the query language uses, never by an index field a bare word
    searches (`title`, `text`).
    """
    if isinstance(node, TermRange):
        shown = f"[{node.start} TO {node.end}]"
    elif isinstance(node, Prefix):
        shown = f"{_text(node.text)}*"
    else:
        shown = _text(getattr(node, "text", str(node)))
    field = node.field()
    if field in DEFAULT_FIELDS:
        return shown
    return f"{_FIELD_NAMES.get(field, field)}:{shown}"


# The query-language name of an index field that has an alias.
_FIELD_NAMES: dict[str, str] = {field: names[0] for field, names in QUERY_ALIASES.items()}


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


# Queries a generation remembers the checked form and highlighted terms of.
REMEMBERED_QUERIES = 1024


def _remembered(snap, what: str, q: Query | None, make):
    """make(q), remembered for the generation (the index's terms decide what it gives).

    Only answers are kept: a query that raises raises again on every search.
    """
    if q is None:
        return make(q)
    kept = snap.cache.setdefault(f"remembered {what}", {})
    key = (q, MAX_WILDCARD_TERMS)  # the cap decides which patterns are refused
    try:
        return kept[key]
    except KeyError:
        pass
    except TypeError:  # a query that cannot be hashed
        return make(q)
    found = make(q)
    if len(kept) >= REMEMBERED_QUERIES:
        kept.clear()
    kept[key] = found
    return found


def _filtered(snap, request: SearchRequest, text_q: Query | None):
    """Return (matcher, checked query, query mask, filter masks) of a request in a snapshot."""
    text_q = _remembered(snap, "checked", text_q, lambda q: check_wildcards(q, snap.searcher))
    matcher = Matcher(snap.searcher, arrays_for(snap.searcher, snap.cache))
    text_mask = matcher.mask(text_q) & matcher.arrays.searchable
    return matcher, text_q, text_mask, filter_masks(matcher, request)


def search(index: Index, request: SearchRequest) -> SearchResult:
    """Run one search request and return a page of hits with facets and hints."""
    text_q, notice = parse_query(request.q)
    with index.reading() as snap:
        searcher = snap.searcher
        matcher, text_q, text_mask, filters = _filtered(snap, request, text_q)
        main = _combine(text_mask, filters.values())
        total = int(main.sum())
        hits = _page(snap, searcher, matcher, text_q, main, request)
        if text_q is None and all(f is None for f in filters.values()):
            # Every document, nothing selected: the same counts for every such
            # search of the generation (the search page as first opened).
            facets = snap.cache.get(_WHOLE_INDEX_FACETS)
            if facets is None:
                facets = count_facets(snap, matcher, text_mask, filters, main, request)
                snap.cache[_WHOLE_INDEX_FACETS] = facets
            facets = dict(facets)
        else:
            facets = count_facets(snap, matcher, text_mask, filters, main, request)
        months = tuple(matcher.facet("month").values)
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
        months=months,
    )


def references(index: Index, request: SearchRequest) -> ReferenceResult:
    """Return the distinct identifiers cited by the documents a search selects.

    Exact under every filter: the keys cited by the matching documents, each
    with the number of them citing it. A ref_kind selection keeps the keys of
    those kinds (kinds counts every kind, so a choice of kind says what it gives).
    Ordered by documents citing, most first, then by key.
    """
    with index.reading() as snap:
        matcher, _, text_mask, filters = _filtered(snap, request, parse_query(request.q)[0])
        # Any document citing a key of the chosen kinds is in the ref_kind filter,
        # so counting without it and keeping those kinds gives the same counts.
        mask = _combine(text_mask, (f for g, f in filters.items() if g != "ref_kind"))
        found = reference_counts(matcher, mask)
        chosen = set(request.ref_kind)
        listed = [r for r in found if not chosen or r.kind in chosen]
        listed.sort(key=lambda r: (-r.sections, r.key))
        documents = 0
        if listed:
            documents = int((mask & _citing(matcher, [r.key for r in listed])).sum())
    kinds: dict[str, int] = {}
    for ref in found:
        kinds[ref.kind] = kinds.get(ref.kind, 0) + 1
    return ReferenceResult(request, tuple(listed), kinds, documents)


def _citing(matcher: Matcher, keys: list[str]) -> np.ndarray:
    arrays = cited_keys(matcher)
    index = {v: i for i, v in enumerate(arrays.values)}
    out = np.zeros(matcher.arrays.size, dtype=bool)
    ends = np.append(arrays.starts[1:], len(arrays.pair_doc))
    for key in keys:
        i = index[index_key(key)]
        out[arrays.pair_doc[arrays.starts[i] : ends[i]]] = True
    return out


def iter_hits(index: Index, request: SearchRequest) -> Iterator[Hit]:
    """Yield every hit of a search in its order (all pages; snippets left empty).

    For exports: one snapshot is held while the caller consumes the hits, and
    stored fields are read one document at a time.
    """
    with index.reading() as snap:
        searcher = snap.searcher
        matcher, text_q, text_mask, filters = _filtered(snap, request, parse_query(request.q)[0])
        main = _combine(text_mask, filters.values())
        keys, scores = _order(matcher, text_q, request)
        docs = top(keys, main, 0, int(main.sum()))
        for d in docs:
            fields = stored_fields(searcher, d)
            yield Hit(
                **stored_common(fields),
                snippet="",
                snippet_text="",
                score=round(float(scores[d]), 4),
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
    snap,
    searcher: Searcher,
    matcher: Matcher,
    text_q: Query | None,
    main: np.ndarray,
    request: SearchRequest,
) -> tuple[Hit, ...]:
    start = (request.page - 1) * request.per_page
    stop = start + request.per_page
    if text_q is None:
        # No words: every score is 0, the order is the months' (one ranking per generation).
        sort = "oldest" if request.sort == "oldest" else "newest"
        docs = first_ranked(matcher.month_order(sort), main, start, stop)
        return tuple(_hit(stored_fields(searcher, d), 0.0, frozenset()) for d in docs)
    keys, scores = _order(matcher, text_q, request)
    docs = top(keys, main, start, stop)
    terms = _remembered(snap, "highlighted", text_q, lambda q: highlight_terms(q, searcher))
    return tuple(_hit(stored_fields(searcher, d), float(scores[d]), terms) for d in docs)


def _order(
    matcher: Matcher, text_q: Query | None, request: SearchRequest
) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the sort keys of the request's order and every document's score."""
    sort = "newest" if request.sort == "relevance" and text_q is None else request.sort
    scores = matcher.scores(text_q)
    if sort == "relevance":
        return [-scores], scores
    month = matcher.sort_key("month")
    keys = [-month if sort == "newest" else np.where(month < 0, month.max() + 1, month)]
    keys.append(-scores)
    return keys, scores


def _hit(fields: dict, score: float | None, terms: frozenset[str]) -> Hit:
    snippet, snippet_text = make_snippet(fields.get("text", ""), terms)
    return Hit(
        **stored_common(fields),
        snippet=snippet,
        snippet_text=snippet_text,
        score=round(score, 4) if isinstance(score, int | float) else 0.0,
    )
