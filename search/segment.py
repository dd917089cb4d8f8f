"""Writing Whoosh segments fast, in the parsing workers.

Whoosh's own writer adds every posting of every document to a pool, sorts the
pool at commit, and then hands the codec one posting at a time, looking up the
document's field length in the column it has just written for each one. For
a first ingest that is most of the run. Here:

- `index_docs` does what `SegmentWriter.add_document` does for each of a
  report's documents: it analyzes every indexed field (one pass per value,
  see `schema.ReportText`) and works out the stored values, field lengths and
  column values, with the postings going straight to their term.
- `TermStore` replaces the pool: postings by field and term in document
  order, each term's postings going to the codec a block (up to 128
  postings) at a time, field lengths taken from memory.
- `SegmentBuilder` writes reports into segments of their own, in any
  process: each parsing worker of an ingest indexes the reports it parses and
  hands over finished segments, and the one writer (`ReportSegmentWriter`,
  Whoosh's `SegmentWriter` using the same pieces) lists them at its commit.

The files written are Whoosh's own (its W3 codec does the encoding), with the
same postings, weights, lengths and stored fields that Whoosh's writer gives;
tests/test_index_writer.py compares them term by term.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain

import numpy as np

from ingest.models import Report

from .codec import (
    ArraysCollector,
    BlockSegmentWriter,
    close_segment,
    encode_deltas,
    field_adder,
    open_segment,
    stored_values,
    write_segment_arrays,
    write_terms,
)
from .documents import VOCABULARY_FIELDS, report_docs, vocabulary_of
from .schema import (
    KIND_REPORT,
    SCHEMA,
    TOKEN_RE,
    ReportText,
    frequency_values,
    numbered,
    one_position_values,
)


def checked_docs(report: Report, report_id: str) -> list[dict]:
    """A report's index documents; ValueError for a field the schema does not know."""
    docs = list(report_docs(report, report_id, words=False))
    for doc in docs:
        for name in doc:
            if name not in SCHEMA:
                raise ValueError(f"no field named {name!r} in the index schema")
    return docs


def index_docs(docs: list[dict], pool: TermStore, pdw, docnum: int) -> int:
    """Add documents to a segment from `docnum` on: what Whoosh's add_document does.

    Every indexed field is analyzed and its postings go straight into the
    pool; stored values, field lengths and column values go to the
    per-document writer. Returns the number after the last document.
    """
    # Most short values (the report, its month, a kind) repeat in every document.
    short: dict[tuple[str, object], list] = {}
    # The tokens of the texts, for a report document without its words.
    tokens_seen: list[list[tuple[str, str, str]]] = []
    add_field, plans = pdw.add_field, _PLANS
    for doc in docs:
        if doc.get("kind") == KIND_REPORT and "words" not in doc:
            seen = dict.fromkeys(chain.from_iterable(tokens_seen))
            doc = {**doc, "words": vocabulary_of(seen)}
        pdw.start_doc(docnum)
        for name in sorted(doc):
            value = doc[name]
            if value is None:
                continue
            plan = plans.get(name) or _plan(name)
            field = plan.field
            length = 0
            if plan.indexed:
                terms = pool.terms(name)
                if plan.text and isinstance(value, str):
                    # The commonest case: its (term, position) pairs kept flat, grouped
                    # by term when the segment is written (see _Occurrences).
                    occurrences = pool.occurrences(name)
                    tokens, ids, poses = pool.analyzed(name, field, value, occurrences)
                    if plan.vocabulary:
                        tokens_seen.append(tokens)
                    occurrences.add(docnum, ids, poses)
                    length += len(ids) if plan.scorable else 0
                    items = ()
                elif isinstance(field, ReportText):
                    items = field.index(value)
                else:
                    items = short.get((name, value))
                    if items is None:
                        items = short[(name, value)] = list(field.index(value))
                for tbytes, freq, weight, vbytes in items:
                    if plan.scorable:
                        length += freq
                    entry = terms.get(tbytes)
                    if entry is None:
                        entry = terms[tbytes] = _Postings()
                    entry.ids.append(docnum)
                    entry.weights.append(weight)
                    entry.values.append(vbytes)
            add_field(name, field, value if plan.stored else None, length)
            if plan.column_type:
                pdw.add_column_value(name, plan.column_type, field.to_column_value(value))
        pdw.finish_doc()
        docnum += 1
    return docnum


@dataclass(frozen=True)
class _Plan:
    """What index_docs needs to know of a schema field, looked up once."""

    field: object
    indexed: bool
    scorable: bool
    # Text values analyzed in one pass (`ReportText.analyzes_tokens`).
    text: bool
    stored: bool
    column_type: object
    # Its tokens make the report document's words.
    vocabulary: bool


_PLANS: dict[str, _Plan] = {}


def _plan(name: str) -> _Plan:
    field = SCHEMA[name]
    plan = _PLANS[name] = _Plan(
        field,
        field.indexed,
        field.scorable,
        isinstance(field, ReportText) and field.analyzes_tokens,
        field.stored,
        field.column_type,
        name in VOCABULARY_FIELDS,
    )
    return plan


# Text values at most this long are analyzed once per segment (see TermStore.analyzed).
_SHORT_VALUE = 200


class _Postings:
    __slots__ = ("ids", "weights", "values")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []


class _Occurrences:
    """A field's (term, position) pairs from analyzed text values, flat, as they came.

    terms: {term bytes: id}; ids and positions: one entry a pair; docs and
    counts: each value's document and number of pairs. Nothing is grouped by
    term until the segment is written (`grouped`), with NumPy, all at once.
    """

    __slots__ = ("terms", "token_ids", "ids", "positions", "docs", "counts")

    def __init__(self) -> None:
        self.terms: dict[bytes, int] = {}
        # {token: the ids of the terms it indexes as}
        self.token_ids: dict[tuple[str, str, str], tuple[int, ...]] = {}
        self.ids = array("I")
        self.positions = array("I")
        self.docs = array("I")
        self.counts = array("I")

    def analyze(self, analyzer, tokens: list[tuple[str, str, str]]) -> tuple[array, Sequence[int]]:
        """A value's pairs from its tokens (TOKEN_RE.findall): their term ids, their positions.

        As `ReportAnalyzer.occurrences`, each distinct token's term ids worked out once.
        """
        cache = self.token_ids
        found = list(map(cache.get, tokens))
        if None in found:
            new = list(set(tokens).difference(cache))
            known = self.terms
            for groups, terms in zip(new, analyzer.token_terms(new), strict=True):
                for tbytes in terms:
                    if tbytes not in known:
                        known[tbytes] = len(known)
                cache[groups] = tuple(map(known.__getitem__, terms))
            found = list(map(cache.__getitem__, tokens))
        ids, positions = numbered(found, analyzer.stop)
        return array("I", ids), positions

    def add(self, docnum: int, ids: array, positions) -> None:
        """Add one value's pairs (documents in order, each field's value once a document)."""
        if ids:
            self.ids.extend(ids)
            self.positions.extend(positions)
            self.docs.append(docnum)
            self.counts.append(len(ids))

    def grouped(self, field: ReportText) -> _Grouped:
        """The postings, terms in order, each term's documents in order."""
        by_id = list(self.terms)  # ids were given in insertion order
        count = len(by_id)
        order = sorted(range(count), key=by_id.__getitem__)
        rank = np.empty(count, dtype=np.int64)
        rank[order] = np.arange(count)
        term = rank[np.frombuffer(self.ids, dtype=np.uint32)]
        doc = np.repeat(
            np.frombuffer(self.docs, dtype=np.uint32), np.frombuffer(self.counts, dtype=np.uint32)
        )
        pos = np.frombuffer(self.positions, dtype=np.uint32)
        # Stable: each posting's positions stay in the order they came, ascending.
        by_term = np.argsort(term, kind="stable")
        term, doc, pos = term[by_term], doc[by_term], pos[by_term]
        first = np.ones(len(term), dtype=bool)
        first[1:] = (term[1:] != term[:-1]) | (doc[1:] != doc[:-1])
        starts = np.flatnonzero(first)
        pos_starts = np.append(starts, len(term))
        freqs = np.diff(pos_starts)
        term_starts = np.searchsorted(term[starts], np.arange(count + 1))
        weights = (freqs * float(field.format.field_boost)).astype(np.float32)
        terms = [by_id[i] for i in order]
        if field.keeps_positions:
            single = freqs == 1
            values = np.empty(len(starts), dtype=object)
            values[single] = one_position_values(pos[starts[single]].tolist())
            values = values.tolist()
            # Each posting's positions as deltas, the first from 0 (as Positions encodes them).
            deltas = pos.astype(np.int64)
            deltas[1:] -= deltas[:-1].copy()
            deltas[starts] = pos[starts]
            deltas, bounds = deltas.tolist(), pos_starts.tolist()
            for j in np.flatnonzero(~single).tolist():
                values[j] = encode_deltas(deltas[bounds[j] : bounds[j + 1]])
            return _Grouped(terms, term_starts, doc[starts], weights, values, pos_starts, pos)
        values = frequency_values(freqs.tolist())
        return _Grouped(terms, term_starts, doc[starts], weights, values)


class _Grouped:
    """A field's postings grouped by term: term i's are postings term_starts[i]:term_starts[i+1].

    Posting j's positions (fields keeping them) are positions[pos_starts[j]:pos_starts[j + 1]].
    """

    def __init__(self, terms, term_starts, ids, weights, values, pos_starts=None, positions=None):
        self.terms = terms
        self.term_starts = term_starts
        self.ids = ids
        self.weights = weights
        self.values = values
        self.pos_starts = pos_starts
        self.positions = positions

    def items(self):
        """(term bytes, ids, weights, values) of each term, in order."""
        ids, weights, values = self.ids.tolist(), self.weights.tolist(), self.values
        bounds = self.term_starts.tolist()
        for i, tbytes in enumerate(self.terms):
            start, end = bounds[i], bounds[i + 1]
            yield tbytes, ids[start:end], weights[start:end], values[start:end]

    def collect(self, collected: ArraysCollector, fieldname: str) -> None:
        collected.add_field(
            fieldname,
            self.terms,
            self.term_starts,
            self.ids,
            self.weights,
            self.pos_starts,
            self.positions,
        )

    def postings(self) -> dict[bytes, _Postings]:
        """The same postings by term."""
        out = {}
        for tbytes, ids, weights, values in self.items():
            entry = out[tbytes] = _Postings()
            entry.ids.extend(ids)
            entry.weights.extend(weights)
            entry.values.extend(values)
        return out


class _Terms:
    """A field's postings from a dict of them by term (what `TermStore.add` gathers)."""

    def __init__(self, terms: dict[bytes, _Postings], positional: bool):
        self.terms = sorted(terms)
        self.positional = positional
        ids, weights, self.values = array("I"), array("f"), []
        starts = [0]
        for tbytes in self.terms:
            postings = terms[tbytes]
            ids.extend(postings.ids)
            weights.extend(postings.weights)
            self.values.extend(postings.values)
            starts.append(len(ids))
        self.term_starts = np.array(starts, dtype=np.int64)
        self.ids = np.array(ids, dtype=np.uint32)
        self.weights = np.array(weights, dtype=np.float32)

    def collect(self, collected: ArraysCollector, fieldname: str) -> None:
        ids, weights, values = self.ids, self.weights, self.values
        if not self.positional:
            collected.add_field(fieldname, self.terms, self.term_starts, ids, weights)
            return
        bounds = self.term_starts.tolist()
        for i, tbytes in enumerate(self.terms):
            start, end = bounds[i], bounds[i + 1]
            collected.add(
                fieldname,
                tbytes,
                ids[start:end].tolist(),
                weights[start:end].tolist(),
                values[start:end],
            )


def _merged(terms: dict[bytes, _Postings], more: dict[bytes, _Postings]) -> dict:
    # Each term's postings of both, in document order (a document is in one or the other).
    out = dict(terms)
    for tbytes, entry in more.items():
        held = out.get(tbytes)
        if held is None:
            out[tbytes] = entry
            continue
        both = list(zip(held.ids, held.weights, held.values, strict=True))
        both += zip(entry.ids, entry.weights, entry.values, strict=True)
        both.sort(key=lambda posting: posting[0])
        merged = out[tbytes] = _Postings()
        for docnum, weight, value in both:
            merged.ids.append(docnum)
            merged.weights.append(weight)
            merged.values.append(value)
    return out


class TermStore:
    """A segment's postings in memory, by field and term, in document order.

    Stands in for Whoosh's PostingPool: `add` takes the pool's items (what
    merging an old segment gives); `index_docs` fills `terms(field)` directly,
    and `occurrences(field)` with the (term, position) pairs of text values.
    """

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, _Postings]] = {}
        self.flat: dict[str, _Occurrences] = {}
        self._analyzed: dict[tuple[str, str], tuple[list, array, Sequence[int]]] = {}

    def analyzed(
        self, name: str, field: ReportText, value: str, occurrences: _Occurrences
    ) -> tuple[list, array, Sequence[int]]:
        """A text value's tokens, its pairs' term ids and their positions.

        The pairs are `ReportAnalyzer.occurrences`, terms numbered by `occurrences`.

        Short values are analyzed once: titles and WBS labels recur in every
        report. The results are only read.
        """
        key = (name, value)
        found = self._analyzed.get(key)
        if found is None:
            tokens = TOKEN_RE.findall(value)
            found = (tokens, *occurrences.analyze(field.analyzer, tokens))
            if len(value) <= _SHORT_VALUE:
                self._analyzed[key] = found
        return found

    def occurrences(self, fieldname: str) -> _Occurrences:
        """A field's (term, position) pairs (documents must be added in order)."""
        found = self.flat.get(fieldname)
        if found is None:
            found = self.flat[fieldname] = _Occurrences()
        return found

    def terms(self, fieldname: str) -> dict[bytes, _Postings]:
        """A field's postings by term (documents must be added in order)."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        return terms

    def add(self, item: tuple) -> None:
        """Add one (field name, term bytes, document number, weight, value) posting."""
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self.terms(fieldname)
        entry = terms.get(tbytes)
        if entry is None:
            entry = terms[tbytes] = _Postings()
        if entry.ids and docnum <= entry.ids[-1]:
            raise ValueError(f"posting of document {docnum} added out of order")
        entry.ids.append(docnum)
        entry.weights.append(weight)
        entry.values.append(vbytes)

    def field_names(self) -> list[str]:
        """The fields given a value, in order."""
        return sorted(set(self.fields) | set(self.flat))

    def postings(self, fieldname: str) -> _Grouped | _Terms:
        """A field's postings, terms in order."""
        field = SCHEMA[fieldname]
        terms = self.fields.get(fieldname) or {}
        flat = self.flat.get(fieldname)
        if flat is not None and flat.terms:
            grouped = flat.grouped(field)
            if not terms:
                return grouped
            terms = _merged(terms, grouped.postings())
        positional = field.format is not None and field.format.supports("positions")
        return _Terms(terms, positional)

    def cleanup(self) -> None:
        self.fields.clear()
        self.flat.clear()
        self._analyzed.clear()


# The stored fields of a report document the arrays file keeps (see `_LengthRecorder`).
_REPORT_FACTS = frozenset({"kind", "month", "labels"})


class _LengthRecorder:
    """The per-document writer, remembering each document's field lengths as stored,
    and the month and WBS labels of each report document.

    lengths: {field: {document number: length}}, as the codec will read them back;
    reports: (document number, month, labels text) of the report documents, in order.
    Both index_docs and Whoosh's merge of old segments write through it.
    """

    def __init__(self, perdocwriter):
        self._pdw = perdocwriter
        self.lengths: dict[str, dict[int, int]] = {}
        # add_field(name, field, stored value, length) records the length too.
        self.add_field = field_adder(perdocwriter, self.lengths)
        self.reports: list[tuple[int, str, str]] = []
        self._docnum = 0

    def __getattr__(self, name: str):
        return getattr(self._pdw, name)

    def start_doc(self, docnum: int) -> None:
        self._docnum = docnum
        self._pdw.start_doc(docnum)

    def finish_doc(self) -> None:
        facts = stored_values(self._pdw)
        if facts.get("kind") == KIND_REPORT:
            # As stored: what reading the document's stored fields gives.
            labels = facts.get("labels") or "{}"
            self.reports.append((self._docnum, facts.get("month") or "", labels))
        self._pdw.finish_doc()


class ReportSegmentWriter(BlockSegmentWriter):
    """Whoosh's SegmentWriter taking whole reports, writing postings a block at a time."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, TermStore(), _LengthRecorder, _flush_terms, **kwargs)

    def add_report(self, report: Report, report_id: str, docs: list[dict] | None = None) -> None:
        """Add a report's documents; ValueError, before any is added, for an unknown field.

        docs: the report's `checked_docs`, when the caller has made them already.
        """
        docs = checked_docs(report, report_id) if docs is None else docs
        self.add_docs(lambda pool, pdw, docnum: index_docs(docs, pool, pdw, docnum))


def _flush_terms(
    fieldwriter, pool: TermStore, perdocwriter: _LengthRecorder, folder: str, segment
) -> None:
    grouped = _write_terms(fieldwriter, pool, perdocwriter.lengths, SCHEMA)
    write_segment_arrays(folder, segment, _collect(grouped), perdocwriter.reports)


@dataclass
class _Open:
    """An open segment's writers and postings (a `SegmentBuilder`'s)."""

    segment: object
    perdocwriter: _LengthRecorder
    fieldwriter: object
    pool: TermStore
    docnum: int


def _write_open(schema, folder: str, done: _Open):
    """Write a segment's terms and postings, close its files; return the segment."""
    done.perdocwriter.close()
    grouped = _write_terms(done.fieldwriter, done.pool, done.perdocwriter.lengths, schema)
    done.fieldwriter.close()
    write_segment_arrays(folder, done.segment, _collect(grouped), done.perdocwriter.reports)
    done.pool.cleanup()
    return close_segment(done.segment, done.docnum)


@dataclass(frozen=True)
class BuiltSegment:
    """A segment a `SegmentBuilder` wrote: the segment and (report id, source) of its reports."""

    segment: object
    reports: tuple[tuple[str, str], ...]


class SegmentBuilder:
    """Writes reports into new segments of an index folder, without its writer's lock.

    Made by the one `IndexWriter` (see `IndexWriter.segment_builder`) and
    pickled into parsing workers: each worker indexes the reports it parses
    and writes its own segments, and the writer lists them at commit. Nothing
    is visible until then, and the writer's cancel discards the folder.
    """

    def __init__(self, folder: str, indexname: str):
        self.folder = folder
        self.indexname = indexname
        self._open: _Open | None = None
        self._reports: list[tuple[str, str]] = []

    def __getstate__(self) -> dict:
        return {"folder": self.folder, "indexname": self.indexname}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def add(self, report: Report, report_id: str, docs: list[dict] | None = None) -> None:
        """Index a report into the open segment (started on first use).

        Raises ValueError, before anything is added, for a document field the
        schema does not know. docs: the report's `checked_docs`, when the
        caller has made them already.
        """
        docs = checked_docs(report, report_id) if docs is None else docs
        done = self._open or self._start()
        done.docnum = index_docs(docs, done.pool, done.perdocwriter, done.docnum)
        self._reports.append((report_id, report.source))

    def finish(self) -> BuiltSegment | None:
        """Write the open segment to the folder; None when no report was added since the last."""
        done, self._open = self._open, None
        reports, self._reports = tuple(self._reports), []
        if done is None:
            return None
        return BuiltSegment(_write_open(SCHEMA, self.folder, done), reports)

    def discard(self) -> None:
        """Drop the open segment (after an add failed half-way); its files are never listed.

        Its writers are closed, as far as they can be, so no file is left open;
        Whoosh deletes the files of unlisted segments at the next commit.
        """
        done, self._open, self._reports = self._open, None, []
        if done is not None:
            for writer in (done.perdocwriter, done.fieldwriter):
                with suppress(Exception):  # a writer left half-way may not close cleanly
                    writer.close()

    def _start(self) -> _Open:
        _, segment, perdocwriter, fieldwriter = open_segment(
            self.folder, self.indexname, _LengthRecorder
        )
        self._open = _Open(segment, perdocwriter, fieldwriter, TermStore(), 0)
        return self._open


def _collect(grouped: dict) -> ArraysCollector:
    """A segment's postings as the engine maps them (see codec.write_segment_arrays)."""
    collected = ArraysCollector()
    for fieldname, postings in grouped.items():
        postings.collect(collected, fieldname)
    return collected


def _write_terms(fieldwriter, pool: TermStore, lengths: dict[str, dict[int, int]], schema) -> dict:
    """Give the field writer every term's postings, fields and terms in order.

    Returns {field name: its postings} of every field, for `_collect`.
    """
    grouped = {}
    for fieldname in pool.field_names():
        postings = grouped[fieldname] = pool.postings(fieldname)
        fieldwriter.start_field(fieldname, schema[fieldname])
        field_lengths = lengths.get(fieldname, {})
        write_terms(
            fieldwriter,
            postings.terms,
            postings.term_starts,
            postings.ids,
            postings.weights,
            postings.values,
            field_lengths,
        )
        fieldwriter.finish_field()
    return grouped
