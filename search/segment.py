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
from contextlib import suppress
from dataclasses import dataclass

from ingest.models import Report

from .codec import (
    ArraysCollector,
    BlockSegmentWriter,
    close_segment,
    open_segment,
    stored_length,
    write_postings,
    write_segment_arrays,
)
from .documents import VOCABULARY_FIELDS, report_docs, vocabulary_of
from .schema import KIND_REPORT, SCHEMA, TOKEN_RE, ReportText


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
    # The distinct tokens of the texts, for a report document without its words.
    tokens_seen: dict[tuple[str, str, str], None] = {}
    for doc in docs:
        if doc.get("kind") == KIND_REPORT and "words" not in doc:
            doc = {**doc, "words": vocabulary_of(tokens_seen)}
        pdw.start_doc(docnum)
        for name in sorted(doc):
            value = doc[name]
            if value is None:
                continue
            field = SCHEMA[name]
            length = 0
            if field.indexed:
                terms = pool.terms(name)
                scorable = field.scorable
                if (
                    isinstance(field, ReportText)
                    and isinstance(value, str)
                    and field.analyzes_tokens
                ):
                    # The commonest case, its postings added as they are made.
                    tokens, found = pool.analyzed(name, field, value)
                    if name in VOCABULARY_FIELDS:
                        tokens_seen.update(dict.fromkeys(tokens))
                    added = _add_found(terms, docnum, field, found)
                    length += added if scorable else 0
                    items = ()
                elif isinstance(field, ReportText):
                    items = field.index(value)
                else:
                    items = short.get((name, value))
                    if items is None:
                        items = short[(name, value)] = list(field.index(value))
                for tbytes, freq, weight, vbytes in items:
                    if scorable:
                        length += freq
                    entry = terms.get(tbytes)
                    if entry is None:
                        entry = terms[tbytes] = _Postings()
                    entry.ids.append(docnum)
                    entry.weights.append(weight)
                    entry.values.append(vbytes)
            pdw.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                pdw.add_column_value(name, field.column_type, field.to_column_value(value))
        pdw.finish_doc()
        docnum += 1
    return docnum


def _add_found(terms: dict, docnum: int, field: ReportText, found: dict) -> int:
    """Add the postings of one value of a field (`ReportText.index_tokens`); return its length.

    found: the value's {term bytes: positions} (`ReportAnalyzer.encoded_positions`).
    """
    boost, encode = field.format.field_boost, field.value_encoder
    length = 0
    for tbytes, poses in found.items():
        freq = len(poses)
        length += freq
        entry = terms.get(tbytes)
        if entry is None:
            entry = terms[tbytes] = _Postings()
        entry.ids.append(docnum)
        entry.weights.append(float(freq) * boost)
        entry.values.append(encode(poses))
    return length


# Text values at most this long are analyzed once per segment (see TermStore.analyzed).
_SHORT_VALUE = 200


class _Postings:
    __slots__ = ("ids", "weights", "values")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []


class TermStore:
    """A segment's postings in memory, by field and term, in document order.

    Stands in for Whoosh's PostingPool: `add` takes the pool's items (what
    merging an old segment gives); `index_docs` fills `terms(field)` directly.
    """

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, _Postings]] = {}
        self._analyzed: dict[tuple[str, str], tuple[list, dict[bytes, list[int]]]] = {}

    def analyzed(self, name: str, field: ReportText, value: str) -> tuple[list, dict]:
        """A text value's tokens and {term bytes: positions}, short values analyzed once.

        Titles and WBS labels recur in every report; the results are only read.
        """
        key = (name, value)
        found = self._analyzed.get(key)
        if found is None:
            tokens = TOKEN_RE.findall(value)
            found = (tokens, field.analyzer.encoded_positions(tokens))
            if len(value) <= _SHORT_VALUE:
                self._analyzed[key] = found
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

    def cleanup(self) -> None:
        self.fields.clear()
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
        self.reports: list[tuple[int, str, str]] = []
        self._facts: dict[str, object] = {}
        self._docnum = 0

    def __getattr__(self, name: str):
        return getattr(self._pdw, name)

    def start_doc(self, docnum: int) -> None:
        self._docnum = docnum
        self._facts.clear()
        self._pdw.start_doc(docnum)

    def add_field(self, fieldname: str, fieldobj, value, length) -> None:
        self._pdw.add_field(fieldname, fieldobj, value, length)
        if fieldname in _REPORT_FACTS and value is not None:
            self._facts[fieldname] = value
        # The codec reads lengths back from a one-byte column: as stored.
        stored = stored_length(length)
        if stored:
            self.lengths.setdefault(fieldname, {})[self._docnum] = stored

    def finish_doc(self) -> None:
        self._pdw.finish_doc()
        facts = self._facts
        if facts.get("kind") == KIND_REPORT:
            # As stored: what reading the document's stored fields gives.
            labels = facts.get("labels") or "{}"
            self.reports.append((self._docnum, facts.get("month") or "", labels))


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
    _write_terms(fieldwriter, pool, perdocwriter.lengths, SCHEMA)
    write_segment_arrays(folder, segment, _collect(pool), perdocwriter.reports)


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
    _write_terms(done.fieldwriter, done.pool, done.perdocwriter.lengths, schema)
    done.fieldwriter.close()
    write_segment_arrays(folder, done.segment, _collect(done.pool), done.perdocwriter.reports)
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


def _collect(pool: TermStore) -> ArraysCollector:
    """A segment's postings as the engine maps them (see codec.write_segment_arrays)."""
    collected = ArraysCollector()
    for fieldname in sorted(pool.fields):
        terms = pool.fields[fieldname]
        field = SCHEMA[fieldname]
        positional = field.format is not None and field.format.supports("positions")
        for tbytes in sorted(terms):
            postings = terms[tbytes]
            values = postings.values if positional else None
            collected.add(fieldname, tbytes, postings.ids, postings.weights, values)
    return collected


def _write_terms(fieldwriter, pool: TermStore, lengths: dict[str, dict[int, int]], schema) -> None:
    """Give the field writer every term's postings, fields and terms in order."""
    for fieldname in sorted(pool.fields):
        terms = pool.fields[fieldname]
        fieldwriter.start_field(fieldname, schema[fieldname])
        field_lengths = lengths.get(fieldname, {})
        for tbytes in sorted(terms):
            fieldwriter.start_term(tbytes)
            postings = terms[tbytes]
            write_postings(
                fieldwriter, postings.ids, postings.weights, postings.values, field_lengths
            )
            fieldwriter.finish_term()
        fieldwriter.finish_field()
