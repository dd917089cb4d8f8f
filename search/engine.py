"""Matching, ranking and facet counting over whole-index arrays.

Whoosh stores the index and parses the query; answering it document by
document in Python costs time in proportion to every matching document, so a
common word over a thousand reports took most of a second. Here each term's
postings are read once per index generation into NumPy arrays (document
numbers and weights), and a query becomes a few vector operations:

- a query tree becomes a boolean mask over all documents (AND, OR, NOT on masks);
- relevance is Whoosh's own BM25F (same idf, average lengths, stored lengths
  and boosted weights), summed over the query's positive terms as Whoosh sums it;
- each facet is one `bincount` over (document, value) pairs under a mask.

Phrases and other positional queries are matched by Whoosh (only the
documents holding all their words are checked), then used as masks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.query import (
    And,
    AndMaybe,
    AndNot,
    Every,
    MultiTerm,
    Not,
    NullQuery,
    Or,
    Query,
    Require,
    Term,
)
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .schema import SEARCH_KINDS

# Whoosh's BM25F defaults, which the index was always scored with.
B = BM25F().B
K1 = BM25F().K1
# Postings kept in memory per index generation (term -> arrays), least recently used out.
TERM_CACHE_SIZE = 20_000
# A facet is counted from the matched documents' own values when they are
# fewer than 1 in FEW_MATCHED documents, else from every (document, value) pair.
FEW_MATCHED = 8
# Stored length byte -> length, as Whoosh decodes it.
_LENGTH_OF_BYTE = np.array([0.0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


@dataclass
class FacetArrays:
    """One facet field's postings, two ways.

    By value: the documents carrying values[i] are pair_doc[starts[i]:starts[i + 1]]
    (a query matching many documents sums each value's run of pairs).
    By document: document d carries the values doc_values[doc_starts[d]:doc_starts[d + 1]]
    (a query matching few documents looks at only theirs); doc_value holds the one
    value of each document instead (len(values) where it has none) when no
    document has two.
    """

    values: list[str]
    pair_doc: np.ndarray
    starts: np.ndarray
    doc_value: np.ndarray | None = None
    doc_starts: np.ndarray | None = None
    doc_values: np.ndarray | None = None

    @classmethod
    def of(cls, values: list[str], docs: list[np.ndarray], size: int) -> FacetArrays:
        """The arrays of a field from each value's document numbers."""
        if not docs:
            empty = np.zeros(0, dtype=np.int32)
            return cls([], empty, empty.astype(np.int64))
        lengths = np.array([len(ids) for ids in docs], dtype=np.int64)
        pair_doc = np.concatenate(docs).astype(np.int32)
        pair_value = np.repeat(np.arange(len(values), dtype=np.int32), lengths)
        out = cls(values, pair_doc, np.concatenate(([0], np.cumsum(lengths)[:-1])))
        per_doc = np.bincount(pair_doc, minlength=size)
        if per_doc.max() == 1:
            out.doc_value = np.full(size, len(values), dtype=np.int32)
            out.doc_value[pair_doc] = pair_value
        else:
            order = np.argsort(pair_doc, kind="stable")
            out.doc_values = pair_value[order]
            out.doc_starts = np.concatenate(([0], np.cumsum(per_doc)))
        return out

    def counts(self, mask: np.ndarray, matched: np.ndarray | None = None) -> dict[str, int]:
        """Return {value: number of masked documents carrying it} for values counted > 0.

        matched: the mask's document numbers (np.flatnonzero), when the caller has them.
        """
        if not self.values:
            return {}
        size = len(self.values)
        few = matched is not None and len(matched) * FEW_MATCHED < len(mask)
        if self.doc_value is not None and matched is not None:
            counted = np.bincount(self.doc_value[matched], minlength=size + 1)[:size]
        elif few and self.doc_starts is not None:
            starts, ends = self.doc_starts[matched], self.doc_starts[matched + 1]
            runs = ends - starts
            # The positions of the matched documents' values, run after run.
            offsets = np.repeat(starts - np.cumsum(runs) + runs, runs)
            at = offsets + np.arange(len(offsets))
            counted = np.bincount(self.doc_values[at], minlength=size)
        else:
            # Each value's documents are one run of pairs: one sum per run.
            pairs = mask[self.pair_doc].view(np.uint8)
            counted = np.add.reduceat(pairs, self.starts, dtype=np.int64)
        counted_at = np.flatnonzero(counted)
        names = map(self.values.__getitem__, counted_at.tolist())
        return dict(zip(names, counted[counted_at].tolist(), strict=True))


@dataclass
class Arrays:
    """Whole-index arrays of one generation; built lazily, shared by every search of it."""

    size: int
    searchable: np.ndarray
    lock: threading.Lock = field(default_factory=threading.Lock)
    terms: OrderedDict = field(default_factory=OrderedDict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    facets: dict[str, FacetArrays] = field(default_factory=dict)
    sort_keys: dict[str, np.ndarray] = field(default_factory=dict)


def arrays_for(searcher: Searcher, cache: dict) -> Arrays:
    """Return the generation's arrays (cache is the index generation's shared dict)."""
    arrays = cache.get("arrays")
    if arrays is None:
        with cache.setdefault("arrays lock", threading.Lock()):
            arrays = cache.get("arrays")
            if arrays is None:
                arrays = cache["arrays"] = _build(searcher)
    return arrays


def _build(searcher: Searcher) -> Arrays:
    reader = searcher.reader()
    size = reader.doc_count_all()
    searchable = np.zeros(size, dtype=bool)
    for kind in SEARCH_KINDS:
        searchable[_read_postings(reader, "kind", kind)[0]] = True
    live = np.zeros(size, dtype=bool)
    live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
    return Arrays(size=size, searchable=searchable & live)


class Matcher:
    """Evaluate parsed queries against one generation's arrays."""

    def __init__(self, searcher: Searcher, arrays: Arrays):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.arrays = arrays

    # --- postings ----------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (document numbers, weights) of a term; empty arrays if it is absent."""
        key = (fieldname, text)
        terms = self.arrays.terms
        with self.arrays.lock:
            found = terms.get(key)
            if found is not None:
                terms.move_to_end(key)
                return found
        found = _read_postings(self.reader, fieldname, text)
        with self.arrays.lock:
            terms[key] = found
            if len(terms) > TERM_CACHE_SIZE:
                terms.popitem(last=False)
        return found

    def term_mask(self, fieldname: str, text: str) -> np.ndarray:
        """Return the mask of the documents holding a term."""
        mask = np.zeros(self.arrays.size, dtype=bool)
        mask[self.postings(fieldname, text)[0]] = True
        return mask

    # --- matching ----------------------------------------------------------------

    def mask(self, q: Query | None) -> np.ndarray:
        """Return the mask of the documents a query matches (None matches all)."""
        if q is None or isinstance(q, Every):
            return np.ones(self.arrays.size, dtype=bool)
        if isinstance(q, Term):
            return self.term_mask(q.fieldname, _str(q.text))
        if isinstance(q, And | Require):
            return _reduce(np.logical_and, [self.mask(s) for s in q.children()], self.arrays.size)
        if isinstance(q, Or):
            return _reduce(np.logical_or, [self.mask(s) for s in q.children()], self.arrays.size)
        if isinstance(q, AndNot):
            return self.mask(q.a) & ~self.mask(q.b)
        if isinstance(q, AndMaybe):
            return self.mask(q.a)
        if isinstance(q, Not):
            return ~self.mask(q.query)
        if q is NullQuery or isinstance(q, type(NullQuery)):
            return np.zeros(self.arrays.size, dtype=bool)
        if isinstance(q, MultiTerm):
            mask = np.zeros(self.arrays.size, dtype=bool)
            for fieldname, text in q.expanded_terms(self.reader):
                mask[self.postings(fieldname, _str(text))[0]] = True
            return mask
        # Phrases and other positional queries: Whoosh checks positions (slowly, so
        # the documents found are kept for the generation, like a term's postings).
        key = ("query", repr(q))
        with self.arrays.lock:
            ids = self.arrays.terms.get(key)
        if ids is None:
            ids = (np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64), None)
            with self.arrays.lock:
                self.arrays.terms[key] = ids
        mask = np.zeros(self.arrays.size, dtype=bool)
        mask[ids[0]] = True
        return mask

    # --- ranking -----------------------------------------------------------------

    def scores(self, q: Query | None) -> np.ndarray:
        """Return every document's BM25F score for the query's positive terms."""
        out = np.zeros(self.arrays.size, dtype=np.float64)
        if q is not None:
            self._add_scores(q, out, 1.0)
        return out

    def _add_scores(self, q: Query, out: np.ndarray, boost: float) -> None:
        boost *= getattr(q, "boost", 1.0)
        if isinstance(q, Term):
            self._add_term(q.fieldname, _str(q.text), out, boost)
        elif isinstance(q, AndNot | AndMaybe | Require):
            self._add_scores(q.a, out, boost)
            if isinstance(q, AndMaybe):
                self._add_scores(q.b, out, boost)
        elif isinstance(q, And | Or):
            for sub in q.children():
                self._add_scores(sub, out, boost)
        elif isinstance(q, Not | Every) or q is NullQuery:
            return
        elif isinstance(q, MultiTerm):
            # Whoosh scores a pattern or range as a constant.
            out[self.mask(q)] += boost
        else:
            for fieldname, text in q.iter_all_terms():
                self._add_term(fieldname, _str(text), out, boost)

    def _add_term(self, fieldname: str, text: str, out: np.ndarray, boost: float) -> None:
        ids, weights = self.postings(fieldname, text)
        if not len(ids):
            return
        if not self.searcher.schema[fieldname].scorable:
            out[ids] += boost * weights
            return
        idf = self.searcher.idf(fieldname, text)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        lengths = self.lengths(fieldname)[ids]
        out[ids] += (
            boost * idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl))
        )

    def lengths(self, fieldname: str) -> np.ndarray:
        """Return every document's stored length of a field (as Whoosh decodes it)."""
        found = self.arrays.lengths.get(fieldname)
        if found is None:
            found = self.arrays.lengths[fieldname] = _read_lengths(self.reader, fieldname)
        return found

    # --- facets and sorting ------------------------------------------------------

    def facet(self, fieldname: str, skip: frozenset[str] = frozenset()) -> FacetArrays:
        """Return a field's (document, value) pairs, skipping some values."""
        found = self.arrays.facets.get(fieldname)
        if found is None:
            values, docs = [], []
            for term in self.reader.field_terms(fieldname):
                if term in skip:
                    continue
                ids = self.postings(fieldname, term)[0]
                if len(ids):
                    docs.append(ids)
                    values.append(term)
            found = self.arrays.facets[fieldname] = FacetArrays.of(values, docs, self.arrays.size)
        return found

    def sort_key(self, fieldname: str) -> np.ndarray:
        """Return each document's rank by a single-valued field (-1 where it has none)."""
        found = self.arrays.sort_keys.get(fieldname)
        if found is None:
            found = np.full(self.arrays.size, -1, dtype=np.int64)
            for rank, term in enumerate(self.reader.field_terms(fieldname)):
                found[self.postings(fieldname, term)[0]] = rank
            self.arrays.sort_keys[fieldname] = found
        return found


def top(order_keys: list[np.ndarray], mask: np.ndarray, start: int, stop: int) -> list[int]:
    """Return the document numbers ranked start..stop among the masked ones.

    order_keys are sort keys, most significant first, each ascending; ties go
    to the lower document number, as in Whoosh.
    """
    candidates = np.flatnonzero(mask)
    if start >= len(candidates):
        return []
    keys = [key[candidates] for key in order_keys]
    if stop < len(candidates) // 4 and keys:
        # Only the best `stop` need sorting: partition on the first key.
        cut = np.partition(keys[0], stop - 1)[stop - 1]
        keep = keys[0] <= cut
        candidates = candidates[keep]
        keys = [key[keep] for key in keys]
    order = np.lexsort([candidates, *reversed(keys)])
    return [int(d) for d in candidates[order[start:stop]]]


def _read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Read a term's postings from every segment into (document numbers, weights)."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for segment, offset in reader.leaf_readers():
        if (fieldname, text) not in segment:
            continue
        matcher = segment.postings(fieldname, text)
        if isinstance(matcher, FilterMatcher):  # deletions: masked out later
            matcher = matcher.child
        seg_ids, seg_weights = _drain(matcher)
        ids.append(seg_ids + offset)
        weights.append(seg_weights)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(ids), np.concatenate(weights)


def _drain(matcher) -> tuple[np.ndarray, np.ndarray]:
    ids: list = []
    weights: list = []
    if isinstance(matcher, W3LeafMatcher):
        # A block at a time: Whoosh decodes each block's ids and weights as arrays.
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def _read_lengths(reader, fieldname: str) -> np.ndarray:
    parts = []
    for segment, _offset in reader.leaf_readers():
        count = segment.doc_count_all()
        column = segment._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            parts.append(np.zeros(count))
            continue
        codes = np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)
        parts.append(_LENGTH_OF_BYTE[codes])
    return np.concatenate(parts) if parts else np.zeros(0)


def _reduce(op, masks: list[np.ndarray], size: int) -> np.ndarray:
    if not masks:
        return np.zeros(size, dtype=bool)
    out = masks[0].copy()
    for mask in masks[1:]:
        op(out, mask, out=out)
    return out


def _str(text) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text
