"""Writing Whoosh segments fast: reports packed in parsing workers, postings written per term.

Whoosh's own writer adds every posting of every document to a pool, sorts the
pool at commit, and then hands the codec one posting at a time, looking up the
document's field length in the column it has just written for each one. For
a first ingest that is most of the run. Here:

- `pack_report` (run in a parsing worker) does what `SegmentWriter.add_document`
  does for each of a report's documents: it analyzes every indexed field and
  works out the stored values, field lengths and column values, and groups the
  postings by field and term.
- `ReportSegmentWriter` is Whoosh's `SegmentWriter` with the pool replaced by
  `TermStore`: a packed report is added with one list extension per term,
  and at commit each term's postings go to the codec a block (up to 128
  postings) at a time, field lengths taken from memory.

The files written are Whoosh's own (its W3 codec does the encoding), with the
same postings, weights, lengths and stored fields that Whoosh's writer gives;
tests/test_index_writer.py compares the two writers term by term.
"""

from __future__ import annotations

from array import array
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from whoosh.codec.whoosh3 import W3Codec
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from ingest.models import Report

from .documents import report_docs
from .schema import SCHEMA, ReportText

# (field name, stored value or None, field length) for each field a document has.
DocFields = tuple[tuple[str, object, int], ...]
# (field name, column value) for each column a document fills.
DocColumns = tuple[tuple[str, object], ...]
# One term's postings: document numbers (in the report), weights, encoded values.
TermPostings = tuple[list[int], list[float], list[bytes]]


@dataclass(frozen=True)
class PackedReport:
    """A report's documents as a segment writer takes them (see `pack_report`)."""

    report_id: str
    docs: tuple[tuple[DocFields, DocColumns], ...]
    postings: dict[str, dict[bytes, TermPostings]]


def pack_report(report: Report, report_id: str) -> PackedReport:
    """Analyze a report's documents for the index: what Whoosh's add_document works out.

    Raises ValueError for a document field the schema does not know.
    """
    docs = []
    postings: dict[str, dict[bytes, TermPostings]] = {}
    # Most short values (the report, its month, a kind) repeat in every document.
    short: dict[tuple[str, object], list] = {}
    for docnum, doc in enumerate(report_docs(report, report_id)):
        fields, columns = [], []
        for name in sorted(doc):
            value = doc[name]
            if value is None:
                continue
            if name not in SCHEMA:
                raise ValueError(f"no field named {name!r} in the index schema")
            field = SCHEMA[name]
            length = 0
            if field.indexed:
                terms = postings.setdefault(name, {})
                scorable = field.scorable
                if isinstance(field, ReportText):
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
                        terms[tbytes] = ([docnum], [weight], [vbytes])
                    else:
                        entry[0].append(docnum)
                        entry[1].append(weight)
                        entry[2].append(vbytes)
            fields.append((name, value if field.stored else None, length))
            if field.column_type:
                columns.append((name, field.to_column_value(value)))
        docs.append((tuple(fields), tuple(columns)))
    return PackedReport(report_id, tuple(docs), postings)


class ReportPacker:
    """`pack_report` for the files of one ingest run, by path (what a parsing worker runs).

    ids: the report id reserved for each path.
    """

    def __init__(self, ids: dict[str, str]):
        self.ids = ids

    def __call__(self, path: str, report: Report) -> PackedReport:
        return pack_report(report, self.ids[path])


class _Postings:
    __slots__ = ("ids", "weights", "values")

    def __init__(self) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values: list[bytes] = []


class TermStore:
    """A segment's postings in memory, by field and term, in document order.

    Stands in for Whoosh's PostingPool: `add` takes the pool's items (what
    merging an old segment gives), `add_report` a packed report's postings.
    """

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, _Postings]] = {}

    def _postings(self, fieldname: str, tbytes: bytes) -> _Postings:
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        entry = terms.get(tbytes)
        if entry is None:
            entry = terms[tbytes] = _Postings()
        return entry

    def add(self, item: tuple) -> None:
        """Add one (field name, term bytes, document number, weight, value) posting."""
        fieldname, tbytes, docnum, weight, vbytes = item
        entry = self._postings(fieldname, tbytes)
        if entry.ids and docnum <= entry.ids[-1]:
            raise ValueError(f"posting of document {docnum} added out of order")
        entry.ids.append(docnum)
        entry.weights.append(weight)
        entry.values.append(vbytes)

    def add_report(self, postings: dict[str, dict[bytes, TermPostings]], base: int) -> None:
        """Add a packed report's postings, its documents numbered from base."""
        for fieldname, terms in postings.items():
            for tbytes, (ids, weights, values) in terms.items():
                entry = self._postings(fieldname, tbytes)
                if entry.ids and base + ids[0] <= entry.ids[-1]:
                    raise ValueError(f"postings of document {base + ids[0]} added out of order")
                entry.ids.extend([base + docnum for docnum in ids])
                entry.weights.extend(weights)
                entry.values.extend(values)

    def cleanup(self) -> None:
        self.fields.clear()


class _LengthRecorder:
    """The per-document writer, remembering each document's field lengths as stored."""

    def __init__(self, perdocwriter, lengths: dict[str, dict[int, int]]):
        self._pdw = perdocwriter
        self._lengths = lengths
        self._docnum = 0

    def __getattr__(self, name: str):
        return getattr(self._pdw, name)

    def start_doc(self, docnum: int) -> None:
        self._docnum = docnum
        self._pdw.start_doc(docnum)

    def add_field(self, fieldname: str, fieldobj, value, length) -> None:
        self._pdw.add_field(fieldname, fieldobj, value, length)
        if length:
            # The codec reads lengths back from a one-byte column: as stored.
            lbyte = length_to_byte(length)
            if lbyte:
                self._lengths.setdefault(fieldname, {})[self._docnum] = byte_to_length(lbyte)


class ReportSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter taking packed reports, writing postings a block at a time."""

    def __init__(self, ix, compound: bool = True, **kwargs):
        super().__init__(ix, codec=W3Codec(), compound=compound, **kwargs)
        self._compound = compound
        # Segments finished before the commit, in order (see finish_segment).
        self._finished: list[Future] = []
        self._background: ThreadPoolExecutor | None = None
        self._lengths: dict[str, dict[int, int]] = {}
        self.pool = TermStore()
        self.perdocwriter = _LengthRecorder(self.perdocwriter, self._lengths)

    def finish_segment(self, background: bool = False) -> None:
        """Close the segment of the documents added so far, and start another.

        The commit lists finished segments (in order, before the last one) and
        writes only what was added after them; until then nothing is visible.
        background: write the finished segment in a thread, so the caller goes
        on (taking parsed reports off the workers) meanwhile.
        """
        self._check_state()
        if not self._added:
            return
        done = _Open(
            self.newsegment,
            self.perdocwriter,
            self.fieldwriter,
            self.pool,
            self._lengths,
            self.docnum,
            self.compound,
        )
        self.newsegment = self.codec.new_segment(self.storage, self.indexname)
        self.compound = self._compound and self.newsegment.should_assemble()
        self.docnum = self.docbase
        self._lengths = {}
        self.pool = TermStore()
        self.perdocwriter = _LengthRecorder(
            self.codec.per_document_writer(self.storage, self.newsegment), self._lengths
        )
        self.fieldwriter = self.codec.field_writer(self.storage, self.newsegment)
        self._added = False
        if background:
            if self._background is None:
                self._background = ThreadPoolExecutor(1, thread_name_prefix="segment-writer")
            self._finished.append(self._background.submit(self._write_segment, done))
        else:
            written: Future = Future()
            written.set_result(self._write_segment(done))
            self._finished.append(written)

    def _write_segment(self, done: _Open):
        # What _finalize_segment does, for a segment the writer has moved on from.
        done.perdocwriter.close()
        _write_terms(done.fieldwriter, done.pool, done.lengths, self.schema)
        done.fieldwriter.close()
        done.pool.cleanup()
        done.segment.set_doc_count(done.docnum)
        if done.compound:
            done.segment.create_compound_file(self.storage)
            done.segment.compound = True
        return done.segment

    def commit(self, mergetype=None, optimize=None, merge=None) -> None:
        """SegmentWriter.commit, listing the finished segments too."""
        self._check_state()
        finished = [future.result() for future in self._finished]
        segments = self._merge_segments(mergetype, optimize, merge) + finished
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def cancel(self) -> None:
        """SegmentWriter.cancel, once no segment is being written in the background."""
        self._stop_background()
        super().cancel()

    def _finish(self) -> None:
        self._stop_background()
        super()._finish()

    def _stop_background(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None

    def add_packed(self, packed: PackedReport) -> None:
        """Add a packed report's documents (see `pack_report`)."""
        self._check_state()
        pdw, schema = self.perdocwriter, self.schema
        base = self.docnum
        for fields, columns in packed.docs:
            pdw.start_doc(self.docnum)
            for name, stored, length in fields:
                pdw.add_field(name, schema[name], stored, length)
            for name, value in columns:
                pdw.add_column_value(name, schema[name].column_type, value)
            pdw.finish_doc()
            self.docnum += 1
        self.pool.add_report(packed.postings, base)
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        _write_terms(self.fieldwriter, self.pool, self._lengths, self.schema)
        self.fieldwriter.close()


@dataclass(frozen=True)
class _Open:
    """A segment's writers and postings, handed from the writer to whoever finishes it."""

    segment: object
    perdocwriter: _LengthRecorder
    fieldwriter: object
    pool: TermStore
    lengths: dict[str, dict[int, int]]
    docnum: int
    compound: bool


def _write_terms(fieldwriter, pool: TermStore, lengths: dict[str, dict[int, int]], schema) -> None:
    """Give the field writer every term's postings, fields and terms in order."""
    for fieldname in sorted(pool.fields):
        terms = pool.fields[fieldname]
        fieldwriter.start_field(fieldname, schema[fieldname])
        field_lengths = lengths.get(fieldname, {})
        for tbytes in sorted(terms):
            fieldwriter.start_term(tbytes)
            _write_postings(fieldwriter._postwriter, terms[tbytes], field_lengths)
            fieldwriter.finish_term()
        fieldwriter.finish_field()


def _write_postings(postwriter, postings: _Postings, lengths: dict[int, int]) -> None:
    """Give a W3 postings writer one term's postings a block at a time.

    Sets the block buffers and statistics `add_posting` would have built one
    posting at a time; the writer then encodes each block itself. The last
    block is left buffered for `finish_postings` (called by finish_term).
    """
    ids, weights, values = postings.ids, postings.weights, postings.values
    limit = postwriter._blocklimit
    count = len(ids)
    for start in range(0, count, limit):
        end = min(start + limit, count)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        postwriter._ids = block_ids
        postwriter._weights = block_weights
        postwriter._values = [v for v in values[start:end] if v]
        postwriter._maxweight = max(0, max(block_weights))
        block_lengths = [n for n in map(lengths.get, block_ids) if n]
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths) if block_lengths else 0
        if end < count:
            postwriter._write_block()
