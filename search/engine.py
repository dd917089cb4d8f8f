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
from whoosh.query import (
    And,
    AndMaybe,
    AndNot,
    Every,
    MultiTerm,
    Not,
    NullQuery,
    Or,
    Phrase,
    Query,
    Require,
    Term,
)
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .codec import phrase_docs, read_field_postings, read_lengths, read_postings, segment_key
from .schema import SEARCH_KINDS

# Whoosh's BM25F defaults, which the index was always scored with.
B = BM25F().B
K1 = BM25F().K1
# Postings kept in memory per index generation (term -> arrays), least recently used out.
TERM_CACHE_SIZE = 20_000
# A facet is counted from the matched documents' own values when they are
# fewer than 1 in FEW_MATCHED documents, else from every (document, value) pair.
FEW_MATCHED = 8


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
    # What a facet's listing derives from values once per generation (facets.py).
    derived: dict = field(default_factory=dict)

    @classmethod
    def of(cls, values: list[str], docs: list[np.ndarray], size: int) -> FacetArrays:
        """The arrays of a field from each value's document numbers."""
        if not docs:
            empty = np.zeros(0, dtype=np.int32)
            return cls([], empty, empty.astype(np.int64))
        lengths = np.array([len(ids) for ids in docs], dtype=np.int64)
        return cls._of_pairs(values, np.concatenate(docs), lengths, size)

    @classmethod
    def of_field(
        cls,
        fields: list[tuple],
        offsets: list[int],
        size: int,
        live: np.ndarray | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> FacetArrays:
        """The arrays of a field from each segment's `codec.read_field_postings`.

        live: the live documents, where some are deleted (a value held only by
        deleted ones is dropped); skip: values left out.
        """
        if len(fields) == 1 and offsets[0] == 0:
            # One segment (a full ingest's): its terms are sorted and distinct already,
            # and its postings, one run per term, are the pairs by value as they are.
            terms, ids, lengths = fields[0]
            values, pair_doc, pair_value = list(terms), np.asarray(ids), None
        else:
            values = sorted(set().union(*(terms for terms, _, _ in fields)))
            index = {value: i for i, value in enumerate(values)}
            pair_value = np.concatenate(
                [np.zeros(0, dtype=np.int32)]
                + [
                    np.repeat(np.array([index[t] for t in terms], dtype=np.int32), counts)
                    for terms, _, counts in fields
                ]
            )
            pair_doc = np.concatenate(
                [np.zeros(0, dtype=np.int32)]
                + [
                    ids.astype(np.int32) + offset
                    for (_, ids, _), offset in zip(fields, offsets, strict=True)
                ]
            )
            # By value, then by document (segments come in document order).
            order = np.argsort(pair_value, kind="stable")
            pair_value, pair_doc = pair_value[order], pair_doc[order]
            lengths = np.bincount(pair_value, minlength=len(values))
        if live is None:  # the pairs of live documents are all the pairs
            kept = np.asarray(lengths) > 0
        else:
            if pair_value is None:
                pair_value = _value_of_pairs(len(values), lengths)
            kept = np.bincount(pair_value[live[pair_doc]], minlength=len(values)) > 0
        if skip:
            kept &= np.array([value not in skip for value in values], dtype=bool)
        if kept.all():  # the usual case: no pair to drop
            return cls._of_pairs(values, pair_doc, lengths, size)
        if not kept.any():
            return cls.of([], [], size)
        if pair_value is None:
            pair_value = _value_of_pairs(len(values), lengths)
        kept_pairs = kept[pair_value]
        lengths = np.bincount(pair_value[kept_pairs], minlength=len(values))[kept]
        return cls._of_pairs(
            [v for v, k in zip(values, kept.tolist(), strict=True) if k],
            pair_doc[kept_pairs],
            lengths,
            size,
        )

    @classmethod
    def _of_pairs(
        cls, values: list[str], pair_doc: np.ndarray, lengths: np.ndarray, size: int
    ) -> FacetArrays:
        pair_doc = pair_doc.astype(np.int32, copy=False)
        pair_value = _value_of_pairs(len(values), lengths)
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
        counted_at, counted = self.counted(mask, matched)
        names = map(self.values.__getitem__, counted_at.tolist())
        return dict(zip(names, counted.tolist(), strict=True))

    def counted(
        self, mask: np.ndarray, matched: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(indices into values, counts) of the values counted > 0, in the order of values."""
        if not self.values:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
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
        return counted_at, counted[counted_at]


def _value_of_pairs(count: int, lengths) -> np.ndarray:
    """The value of each pair, where each of `count` values' pairs are one run of its length."""
    return np.repeat(np.arange(count, dtype=np.int32), lengths)


@dataclass
class Arrays:
    """Whole-index arrays of one generation; built lazily, shared by every search of it.

    segments: the generation's segment readers, each with the document number
    its documents start at, and keys their identities (codec.segment_key);
    live: the documents not deleted; segment_values: what `by_segment` read;
    carry: what the previous generation's arrays give this one (None for the
    first generation a process opens).
    """

    size: int
    searchable: np.ndarray
    segments: list[tuple[object, int]]
    carry: Carry | None = None
    keys: list[tuple] = field(default_factory=list)
    live: np.ndarray | None = None
    segment_values: dict[tuple, object] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    terms: OrderedDict = field(default_factory=OrderedDict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    facets: dict[str, FacetArrays] = field(default_factory=dict)
    sort_keys: dict[str, np.ndarray] = field(default_factory=dict)
    norms: dict[str, np.ndarray] = field(default_factory=dict)

    def assemble(self, key, read) -> tuple[np.ndarray, np.ndarray | None]:
        """Whole-index (document numbers, weights) from each segment's, cached under key.

        read(i) gives segment i's own (document numbers, weights or None). A
        segment the previous generation also had is not read again: its part
        of the previous generation's arrays is taken (the key looked up there).
        """
        with self.lock:
            found = self.terms.get(key)
            if found is not None:
                self.terms.move_to_end(key)
                return found
        old = self.carry.take(key) if self.carry is not None else None
        if old is None:
            found = _concat([(offset, *read(i)) for i, (_, offset) in enumerate(self.segments)])
        else:
            found = self.carry.derive(old, self.segments, read)
        with self.lock:
            self.terms[key] = found
            if len(self.terms) > TERM_CACHE_SIZE:
                self.terms.popitem(last=False)
        return found

    def by_segment(self, name: str, read) -> list:
        """read(segment reader) of every segment, each kept (under name) while the segment is.

        What a segment gives must not depend on its deletions (`live` masks them).
        """
        previous = self.carry.previous.segment_values if self.carry is not None else {}
        out = []
        for (segment, _), key in zip(self.segments, self.keys, strict=True):
            value = self.segment_values.get((name, key))
            if value is None:
                value = previous.get((name, key))
                if value is None:
                    value = read(segment)
                self.segment_values[(name, key)] = value
            out.append(value)
        return out

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Every document's stored length of a field (as Whoosh decodes it)."""
        found = self.lengths.get(fieldname)
        if found is None:
            old = self.carry.previous.lengths.get(fieldname) if self.carry is not None else None
            found = np.zeros(self.size)
            for i, (segment, offset) in enumerate(self.segments):
                count = segment.doc_count_all()
                kept = self.carry.kept.get(i) if old is not None else None
                if kept is None:
                    found[offset : offset + count] = read_lengths(segment, fieldname)
                else:
                    found[offset : offset + count] = old[kept : kept + count]
            self.lengths[fieldname] = found
        return found


class Carry:
    """What a generation takes from the previous one: the arrays of the segments both have.

    kept: {segment index in this generation: its first document number in the
    previous one}; runs: (first document here, first there, count) of each run
    of segments kept next to each other; fresh: the segments new here.
    """

    def __init__(self, previous: Arrays, segments: list[tuple[object, int]]):
        self.previous = previous
        previous.carry = None  # one generation back at most
        old = {
            key: offset for key, (_, offset) in zip(previous.keys, previous.segments, strict=True)
        }
        self.kept: dict[int, int] = {}
        self.runs: list[list[int]] = []
        self.fresh: list[int] = []
        for i, (segment, offset) in enumerate(segments):
            start = old.get(segment_key(segment))
            if start is None:
                self.fresh.append(i)
                continue
            self.kept[i] = start
            count = segment.doc_count_all()
            run = self.runs[-1] if self.runs else None
            if run and run[0] + run[2] == offset and run[1] + run[2] == start:
                run[2] += count
            else:
                self.runs.append([offset, start, count])

    def take(self, key) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The previous generation's arrays under key (dropped there: this one keeps them)."""
        with self.previous.lock:
            return self.previous.terms.pop(key, None)

    def derive(self, old, segments, read) -> tuple[np.ndarray, np.ndarray | None]:
        """This generation's arrays from the previous one's and reads of the new segments."""
        ids, weights = old
        if len(self.runs) == 1 and self.runs[0][0] == self.runs[0][1] == 0:
            # The usual update: old segments in place, new ones after them.
            count = self.runs[0][2]
            cut = np.searchsorted(ids, count)
            parts = [(0, ids[:cut], None if weights is None else weights[:cut])]
        else:
            parts = []
            for here, there, count in self.runs:
                lo, hi = np.searchsorted(ids, [there, there + count])
                part_weights = None if weights is None else weights[lo:hi]
                parts.append((here, ids[lo:hi] - there, part_weights))
        for i in self.fresh:
            parts.append((segments[i][1], *read(i)))
        parts.sort(key=lambda part: part[0])
        return _concat(parts)


def arrays_for(searcher: Searcher, cache: dict) -> Arrays:
    """Return the generation's arrays (cache is the index generation's shared dict).

    cache["previous"], when set, is the previous generation's cache: the
    arrays of the segments both generations have are taken from it.
    """
    arrays = cache.get("arrays")
    if arrays is None:
        with cache.setdefault("arrays lock", threading.Lock()):
            arrays = cache.get("arrays")
            if arrays is None:
                previous = (cache.pop("previous", None) or {}).get("arrays")
                arrays = cache["arrays"] = _build(searcher, previous)
    return arrays


def warm(searcher: Searcher, cache: dict, facet_fields, lengths=(), sort_fields=()) -> Arrays:
    """Make a generation ready before it answers: its arrays, facets, lengths and sort keys.

    What a first search would otherwise build on its way (see `Matcher.facet`).
    """
    arrays = arrays_for(searcher, cache)
    matcher = Matcher(searcher, arrays)
    for fieldname, skip in facet_fields:
        matcher.facet(fieldname, skip)
    for fieldname in lengths:
        matcher.norms(fieldname)
    for fieldname in sort_fields:
        matcher.sort_key(fieldname)
    return arrays


def _build(searcher: Searcher, previous: Arrays | None) -> Arrays:
    reader = searcher.reader()
    size = reader.doc_count_all()
    segments = list(reader.leaf_readers())
    carry = Carry(previous, segments) if previous is not None else None
    searchable = np.zeros(size, dtype=bool)
    keys = [segment_key(segment) for segment, _ in segments]
    arrays = Arrays(size, searchable, segments, carry, keys=keys)
    matcher = Matcher(searcher, arrays)
    for kind in SEARCH_KINDS:
        arrays.searchable[matcher.postings("kind", kind)[0]] = True
    arrays.live = np.ones(size, dtype=bool)
    for segment, offset in segments:
        if segment.has_deletions():
            live = np.zeros(segment.doc_count_all(), dtype=bool)
            live[np.fromiter(segment.all_doc_ids(), dtype=np.int64)] = True
            arrays.live[offset : offset + len(live)] = live
    arrays.searchable &= arrays.live
    return arrays


class Matcher:
    """Evaluate parsed queries against one generation's arrays."""

    def __init__(self, searcher: Searcher, arrays: Arrays):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.arrays = arrays

    # --- postings ----------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (document numbers, weights) of a term; empty arrays if it is absent."""
        segments = self.arrays.segments

        def read(i: int) -> tuple[np.ndarray, np.ndarray]:
            return read_postings(segments[i][0], fieldname, text)

        return self.arrays.assemble((fieldname, text), read)

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
        # Phrases and other positional queries: a phrase of adjacent words is matched
        # on the mapped positions (codec.phrase_docs); anything else, or a segment
        # without them, by Whoosh checking positions (slowly). The documents found
        # are kept, segment by segment, like a term's postings.
        leaves = self.searcher.leaf_searchers()
        words = [_str(w) for w in q.words] if isinstance(q, Phrase) and q.slop == 1 else None

        def read(i: int) -> tuple[np.ndarray, None]:
            if words is not None:
                found = phrase_docs(self.arrays.segments[i][0], q.fieldname, words)
                if found is not None:
                    return found, None
            return np.fromiter(leaves[i][0].docs_for_query(q), dtype=np.int64), None

        mask = np.zeros(self.arrays.size, dtype=bool)
        mask[self.arrays.assemble(("query", repr(q)), read)[0]] = True
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
        elif isinstance(q, Every) or q is NullQuery:
            return
        elif isinstance(q, Not | MultiTerm):
            # Whoosh scores a pattern, a range or the documents a NOT keeps as a constant.
            out[self.mask(q)] += boost
        else:
            # A phrase scores its words' BM25F in the documents it matches (not elsewhere).
            part = np.zeros(self.arrays.size, dtype=np.float64)
            for fieldname, text in q.iter_all_terms():
                self._add_term(fieldname, _str(text), part, boost)
            matched = self.mask(q)
            out[matched] += part[matched]

    def _add_term(self, fieldname: str, text: str, out: np.ndarray, boost: float) -> None:
        ids, weights = self.postings(fieldname, text)
        if not len(ids):
            return
        if not self.searcher.schema[fieldname].scorable:
            out[ids] += boost * weights
            return
        idf = self.searcher.idf(fieldname, text)
        # boost * idf * (weights * (K1 + 1)) / (weights + norms), in that order (the
        # same floats), in two arrays the length of the postings instead of five.
        part = weights * (K1 + 1)
        part *= boost * idf
        below = self.norms(fieldname)[ids]
        below += weights
        part /= below
        out[ids] += part

    def norms(self, fieldname: str) -> np.ndarray:
        """BM25F's length part of every document's score in a field (one array per generation)."""
        found = self.arrays.norms.get(fieldname)
        if found is None:
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            lengths = self.lengths(fieldname)
            found = self.arrays.norms[fieldname] = K1 * ((1 - B) + B * lengths / avgfl)
        return found

    def lengths(self, fieldname: str) -> np.ndarray:
        """Return every document's stored length of a field (as Whoosh decodes it)."""
        return self.arrays.field_lengths(fieldname)

    # --- facets and sorting ------------------------------------------------------

    def facet(self, fieldname: str, skip: frozenset[str] = frozenset()) -> FacetArrays:
        """Return a field's (document, value) pairs, skipping some values."""
        found = self.arrays.facets.get(fieldname)
        if found is None:
            found = self._facet_of_field(fieldname, skip)
        if found is None:
            values, docs = [], []
            for term in self.reader.field_terms(fieldname):
                if term in skip:
                    continue
                ids = self.postings(fieldname, term)[0]
                # Postings keep deleted documents (masked by each search): a value
                # held only by deleted ones is no value of this generation.
                if len(ids) and self.arrays.live[ids].any():
                    docs.append(ids)
                    values.append(term)
            found = self.arrays.facets[fieldname] = FacetArrays.of(values, docs, self.arrays.size)
        return found

    def _whole_field(self, fieldname: str) -> list[tuple] | None:
        """`codec.read_field_postings` of each segment, in order; None when one has no arrays."""
        fields = [read_field_postings(segment, fieldname) for segment, _ in self.arrays.segments]
        return None if any(field is None for field in fields) else fields

    def _facet_of_field(self, fieldname: str, skip: frozenset[str]) -> FacetArrays | None:
        """A facet's arrays from each segment's whole field at once (None: a segment has no
        arrays file); the values `facet` keeps, in its order."""
        fields = self._whole_field(fieldname)
        if fields is None:
            return None
        live = self.arrays.live
        offsets = [offset for _, offset in self.arrays.segments]
        found = FacetArrays.of_field(
            fields, offsets, self.arrays.size, live=None if live.all() else live, skip=skip
        )
        self.arrays.facets[fieldname] = found
        return found

    def month_order(self, sort: str) -> np.ndarray:
        """Every document by month, "newest" or "oldest" first (none last), ties by number.

        The order of a search without words (all scores 0), as `top` gives it.
        """
        key = f"month order:{sort}"
        found = self.arrays.sort_keys.get(key)
        if found is None:
            month = self.sort_key("month")
            ranks = -month if sort == "newest" else np.where(month < 0, month.max() + 1, month)
            found = self.arrays.sort_keys[key] = np.argsort(ranks, kind="stable")
        return found

    def sort_key(self, fieldname: str) -> np.ndarray:
        """Return each document's rank by a single-valued field (-1 where it has none)."""
        found = self.arrays.sort_keys.get(fieldname)
        if found is None:
            found = np.full(self.arrays.size, -1, dtype=np.int64)
            segments = self.arrays.segments
            fields = self._whole_field(fieldname)
            if fields is not None:  # each segment's field at once
                ranks = {t: i for i, t in enumerate(sorted(set().union(*(f[0] for f in fields))))}
                for (terms, ids, counts), (_, offset) in zip(fields, segments, strict=True):
                    rank = np.array([ranks[t] for t in terms], dtype=np.int64)
                    found[ids.astype(np.int64) + offset] = np.repeat(rank, counts)
            else:
                for rank, term in enumerate(self.reader.field_terms(fieldname)):
                    found[self.postings(fieldname, term)[0]] = rank
            self.arrays.sort_keys[fieldname] = found
        return found


def first_ranked(order: np.ndarray, mask: np.ndarray, start: int, stop: int) -> list[int]:
    """The masked documents ranked start..stop in a ranking of every document (`order`)."""
    found: list[np.ndarray] = []
    count, at, chunk = 0, 0, 4096
    while at < len(order) and count < stop:
        part = order[at : at + chunk]
        chosen = part[mask[part]]
        found.append(chosen)
        count += len(chosen)
        at += chunk
        chunk *= 4
    if not found:
        return []
    return np.concatenate(found)[start:stop].tolist()


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


def _concat(parts) -> tuple[np.ndarray, np.ndarray | None]:
    """Join (first document number, ids, weights or None) parts, in order, into one pair."""
    parts = [(offset, ids, weights) for offset, ids, weights in parts if len(ids)]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if len(parts) == 1 and parts[0][0] == 0:
        return parts[0][1], parts[0][2]
    ids = np.concatenate([part_ids + offset for offset, part_ids, _ in parts])
    if parts[0][2] is None:
        return ids, None
    return ids, np.concatenate([weights for _, _, weights in parts])


def _reduce(op, masks: list[np.ndarray], size: int) -> np.ndarray:
    if not masks:
        return np.zeros(size, dtype=bool)
    out = masks[0].copy()
    for mask in masks[1:]:
        op(out, mask, out=out)
    return out


def _str(text) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text
