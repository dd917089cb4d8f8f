"""Every use of Whoosh's internals, for the one Whoosh version they were written for.

The engine reads postings and field lengths a block at a time, and the index
writer hands Whoosh's W3 codec whole blocks of postings; both go through
private parts of Whoosh (its posting blocks, column files, writer steps) that
a new Whoosh release may rename or re-encode. They all live here, behind a
small interface, and this module refuses to load under any Whoosh but the
pinned one (`pyproject.toml` pins `whoosh-reloaded` to WHOOSH_VERSION): a
renamed attribute would otherwise be an error on every search, and a changed
block format a silently wrong index. No other module of `search/` touches a
private Whoosh name or a Whoosh module below its public API
(tests/test_codec.py checks both).

What is here:

- `MappedStorage`: index files opened through `mmap`, read without a file
  position shared between threads, so one reader serves every thread of a
  process and the kernel shares the pages between processes;
- reading: `read_postings` (a term's document numbers and weights in one
  segment), `read_lengths` (a field's stored lengths in one segment),
  `segment_key` (a segment's identity across index generations), `stored_fields`
  (a hit's stored fields);
- postings arrays: `write_segment_arrays` writes, beside each segment Whoosh
  writes, one file (`<segment>.arr`) holding every term's document numbers
  and weights as flat arrays, and `segment_arrays` maps it: a term's postings
  are then two slices of the mapping, with nothing decoded (a segment without
  the file, written before it existed, is read through Whoosh's blocks); the
  file also keeps the month and WBS labels of the segment's report documents
  (`report_labels`), read in one go instead of each report's stored fields
  (a file written before it kept them has none: the stored fields are read);
- writing: `write_terms` (a field's terms, each term's posting blocks at once),
  `BlockSegmentWriter` (Whoosh's `SegmentWriter` fed documents in bulk and
  listing segments written elsewhere), `open_segment` / `close_segment` for
  segments written outside any writer, `encode_positions` / `encode_frequency`
  (posting values as the formats encode them) and `stored_length` (a field
  length as the codec reads it back).
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import threading
import zlib
from array import array
from collections.abc import Callable
from itertools import accumulate, chain
from pickle import dumps, loads

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.filedb.filetables import FileFormatError
from whoosh.filedb.filetables import _lengths as _HASH_LENGTHS
from whoosh.filedb.structfile import BufferFile
from whoosh.index import FileIndex
from whoosh.matching import FilterMatcher
from whoosh.reading import MultiReader, ReaderClosed, SegmentReader, TermNotFound
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import IndexingError, SegmentWriter

# The Whoosh release this module is written against (pinned in pyproject.toml).
WHOOSH_VERSION = "2.7.5"


class WhooshVersionError(ImportError):
    """The installed Whoosh is not the version the index code is written for."""


def check_version(found: str | None = None) -> None:
    """Raise WhooshVersionError unless the installed Whoosh is WHOOSH_VERSION."""
    found = whoosh.versionstring() if found is None else found
    if found != WHOOSH_VERSION:
        raise WhooshVersionError(
            f"dmreports needs whoosh-reloaded {WHOOSH_VERSION} (pinned in pyproject.toml), "
            f"found {found}: run `make setup` to install the pinned version"
        )


check_version()

# Errors Whoosh's storage, readers and writers raise (search.errors lists them all).
CODEC_ERRORS: tuple[type[Exception], ...] = (
    StorageError,
    FileFormatError,
    ReaderClosed,
    TermNotFound,
    IndexingError,
)

# zlib level of the posting blocks written: none. Most blocks hold a posting or
# two, which zlib makes no smaller, and compressing each one was a tenth of an
# ingest's indexing; each block records its own level, so readers of blocks
# written either way decode them alike.
POSTINGS_COMPRESSION = 0

# Bytes of the count before a posting's pickled positions.
_UINT_SIZE = len(pack_uint(0))

# Stored length byte -> length, as Whoosh decodes it.
_LENGTH_OF_BYTE = np.array([0.0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


# --- files ---------------------------------------------------------------------------


class _Cursor:
    """A read-only file over a mapping, its position kept per thread.

    Whoosh reads a posting block with seek() then read(); with one position
    per thread, threads sharing a reader never move each other's.
    """

    def __init__(self, mapped: mmap.mmap):
        self._map = mapped
        self._size = len(mapped)
        self._local = threading.local()

    def tell(self) -> int:
        return getattr(self._local, "pos", 0)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.tell(), os.SEEK_END: self._size}[whence]
        self._local.pos = base + offset
        return self._local.pos

    def read(self, size: int = -1) -> bytes:
        pos = self.tell()
        end = self._size if size is None or size < 0 else min(pos + size, self._size)
        self._local.pos = max(pos, end)
        return self._map[pos:end]

    def readline(self, size: int = -1) -> bytes:
        pos = self.tell()
        end = self._map.find(b"\n", pos)
        end = self._size if end < 0 else end + 1
        if size is not None and size >= 0:
            end = min(end, pos + size)
        self._local.pos = max(pos, end)
        return self._map[pos:end]

    def close(self) -> None:
        self._map.close()


class MappedFile(BufferFile):
    """One index file, mapped read-only: reads slice the mapping, nothing is copied whole."""

    def __init__(self, mapped: mmap.mmap, name: str):
        super().__init__(b"", name=name)
        self._buf = mapped
        self.file = _Cursor(mapped)


class MappedStorage(FileStorage):
    """A folder of index files, each opened by mapping it (shared, read-only pages).

    Whoosh opens a stored file once per reader and reads it with seek and read;
    here the kernel maps the file, every process reading the same generation
    shares its pages, and threads sharing one reader keep their own positions.
    """

    def open_file(self, name: str, **kwargs) -> BufferFile:
        with open(os.path.join(self.folder, name), "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return BufferFile(b"", name=name)
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(mapped, name)


def open_index(folder: str, schema) -> FileIndex:
    """Open the Whoosh index in a folder, its files mapped."""
    return FileIndex(MappedStorage(folder), schema=schema)


def create_index(folder: str, schema) -> FileIndex:
    """Create an empty Whoosh index in a folder."""
    return MappedStorage(folder).create_index(schema)


# --- reading -------------------------------------------------------------------------


def segment_key(segment_reader) -> tuple[str, int]:
    """A segment's identity in every generation that lists it: its name and size.

    Deletions are not part of it: the arrays read from a segment hold every
    document, and deleted ones are masked out by each generation.
    """
    segment = segment_reader.segment()
    if segment is None:  # the reader of an empty index
        return ("", 0)
    return (segment.segment_id(), segment_reader.doc_count_all())


def read_postings(segment_reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's postings in one segment: (document numbers, weights), deleted ones included."""
    mapped = segment_arrays(segment_reader)
    if mapped is not None:
        return mapped.postings(fieldname, text)
    return read_block_postings(segment_reader, fieldname, text)


def read_field_postings(segment_reader, fieldname: str):
    """Every term of a field in one segment, in order, with the document numbers of its
    postings: (terms, ids of all the terms' postings one after another, count per term).

    From the mapped arrays (a field's terms are one run of keys); None when the
    segment has no arrays file.
    """
    mapped = segment_arrays(segment_reader)
    return mapped.field_postings(fieldname) if mapped is not None else None


def phrase_docs(segment_reader, fieldname: str, words: list[str]) -> np.ndarray | None:
    """The documents of one segment holding the words next to each other, in order.

    From the mapped positions; None when the segment has no arrays file with positions.
    """
    mapped = segment_arrays(segment_reader)
    return mapped.phrase_docs(fieldname, words) if mapped is not None else None


def read_block_postings(segment_reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's postings decoded from Whoosh's own posting blocks (no arrays file read)."""
    if (fieldname, text) not in segment_reader:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    matcher = segment_reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):  # deletions: masked out by the caller
        matcher = matcher.child
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


def read_everything(searcher) -> None:
    """Read every stored document, posting list, field length and column of an index.

    For a generation no manifest vouches for: whatever Whoosh raises on a
    damaged file (struct.error, EOFError, TypeError, a bare Exception...)
    comes out of here, before anything is built on it.
    """
    for segment_reader, _offset in searcher.reader().leaf_readers():
        for docnum in range(segment_reader.doc_count_all()):
            segment_reader.stored_fields(docnum)
        for fieldname in segment_reader.indexed_field_names():
            for text in segment_reader.lexicon(fieldname):
                read_postings(segment_reader, fieldname, text)
            if segment_reader.schema[fieldname].scorable:
                read_lengths(segment_reader, fieldname)
        for fieldname in segment_reader.schema.names():
            if segment_reader.has_column(fieldname):
                list(segment_reader.column_reader(fieldname))


def stored_fields(searcher, docnum: int) -> dict:
    """A document's stored fields (a new dict each call), as `searcher.stored_fields` gives
    them, without its check of each field against the schema: an index of another
    schema is rebuilt, never read (search/indexer.py), so every stored field is one of
    the schema's. That check was a third of reading a hit's fields.
    """
    reader = searcher.reader()
    if isinstance(reader, MultiReader):
        segmentnum, docnum = reader._segment_and_docnum(docnum)
        reader = reader.readers[segmentnum]
    if type(reader) is not SegmentReader:
        return reader.stored_fields(docnum)
    if reader.is_closed:
        raise ReaderClosed
    return reader._perdoc.stored_fields(docnum)


def read_lengths(segment_reader, fieldname: str) -> np.ndarray:
    """Every document's stored length of a field in one segment, as Whoosh decodes it."""
    count = segment_reader.doc_count_all()
    if not count:
        return np.zeros(0)
    column = segment_reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.zeros(count)
    # One byte a document, written up to the last document with a length.
    written = min(column._count, count)
    codes = np.zeros(count, dtype=np.uint8)
    codes[:written] = np.frombuffer(column._dbfile.get(column._basepos, written), dtype=np.uint8)
    return _LENGTH_OF_BYTE[codes]


# --- postings arrays ----------------------------------------------------------------

# The file beside a segment's own files holding its postings as flat arrays.
ARRAYS_EXT = ".arr"
_ARRAYS_MAGIC = b"dmreports postings arrays 1\n"
# name -> NumPy dtype of each array in the file, in file order.
_ARRAYS = {"keys": "u1", "key_starts": "<i8", "starts": "<i8", "ids": "<u4", "weights": "<f4"}
# The positions of the fields that keep them: posting j's positions are
# positions[pos_starts[j]:pos_starts[j + 1]] (no run for postings of other fields).
_POSITION_ARRAYS = {"pos_starts": "<u4", "positions": "<u4"}
# The segment's report documents: their numbers, and one JSON text holding each one's
# month and WBS labels (`PostingArrays.report_labels`); a file written before they
# were kept lacks both.
_REPORT_ARRAYS = {"report_docs": "<u4", "report_facts": "u1"}
# Bytes before the first array: the magic line, then the layout as one JSON line.
_ARRAYS_HEADER = 512
_EMPTY_IDS = np.zeros(0, dtype=np.uint32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)


class PostingArrays:
    """One segment's postings, mapped: term i (keys sorted as b"field\\0term") holds the
    documents ids[starts[i]:starts[i + 1]] with the same slice of weights."""

    def __init__(self, path: str):
        self._path = path
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            end = self._map.find(b"\n", len(_ARRAYS_MAGIC))
            if self._map[: len(_ARRAYS_MAGIC)] != _ARRAYS_MAGIC or end < 0:
                raise FileFormatError(f"{path} is not a postings arrays file")
            layout = json.loads(self._map[len(_ARRAYS_MAGIC) : end])
            arrays = {}
            for name, dtype in (_ARRAYS | _POSITION_ARRAYS | _REPORT_ARRAYS).items():
                if name not in layout:
                    continue
                offset, count = layout[name]
                arrays[name] = np.frombuffer(self._map, dtype=dtype, count=count, offset=offset)
        except (ValueError, KeyError, TypeError) as exc:
            raise FileFormatError(f"{path} is damaged: {exc}") from exc
        self._keys = memoryview(arrays["keys"])
        self._key_starts = memoryview(arrays["key_starts"])
        self._starts = arrays["starts"]
        self._ids = arrays["ids"]
        self._weights = arrays["weights"]
        self._pos_starts = arrays.get("pos_starts")
        self._positions = arrays.get("positions")
        self._report_docs = arrays.get("report_docs")
        self._report_facts = arrays.get("report_facts")
        self._count = len(self._key_starts) - 1

    def _key(self, i: int) -> bytes:
        return bytes(self._keys[self._key_starts[i] : self._key_starts[i + 1]])

    def find(self, fieldname: str, text: str | bytes) -> int:
        """The index of a term, or -1."""
        tbytes = text if isinstance(text, bytes) else text.encode("utf-8")
        key = fieldname.encode("utf-8") + b"\0" + tbytes
        i = bisect.bisect_left(_Keys(self), key)
        return i if i < self._count and self._key(i) == key else -1

    def postings(self, fieldname: str, text: str | bytes) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, weights) of a term; empty arrays when the segment lacks it."""
        i = self.find(fieldname, text)
        if i < 0:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        start, end = int(self._starts[i]), int(self._starts[i + 1])
        return self._ids[start:end], self._weights[start:end].astype(np.float64)

    def field_postings(self, fieldname: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(terms, their postings' document numbers one term after another, count per term)."""
        prefix = fieldname.encode("utf-8") + b"\0"
        keys = _Keys(self)
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix[:-1] + b"\x01", lo)
        bounds = np.asarray(self._key_starts[lo : hi + 1]).tolist()
        blob = bytes(self._keys[bounds[0] : bounds[-1]])
        base, skip = bounds[0], len(prefix)
        terms = [
            blob[start - base + skip : end - base].decode("utf-8")
            for start, end in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        starts = self._starts[lo : hi + 1]
        ids = self._ids[int(starts[0]) : int(starts[-1])] if len(terms) else _EMPTY_IDS
        return terms, ids, np.diff(starts)

    def phrase_docs(self, fieldname: str, words: list[str]) -> np.ndarray | None:
        """The documents holding the words at consecutive positions (a phrase of slop 1).

        None when the file keeps no positions. Deleted documents are included.
        """
        if self._positions is None:
            return None
        found = None
        for k, word in enumerate(words):
            i = self.find(fieldname, word)
            if i < 0:
                return _EMPTY_IDS
            start, end = int(self._starts[i]), int(self._starts[i + 1])
            runs = self._pos_starts[start : end + 1].astype(np.int64)
            counts = np.diff(runs)
            poses = self._positions[runs[0] : runs[-1]].astype(np.int64)
            docs = np.repeat(self._ids[start:end].astype(np.int64), counts)
            # Where the phrase would start if this word is its k-th.
            keep = poses >= k
            keys = (docs[keep] << 32) + poses[keep] - k
            found = keys if found is None else np.intersect1d(found, keys, assume_unique=True)
            if not len(found):
                return _EMPTY_IDS
        if found is None:
            return _EMPTY_IDS
        # Each document once, in order: np.unique's answer, without the import of
        # numpy.ma its first call in a process makes (tens of milliseconds).
        docs = np.sort(found >> 32)
        return docs[np.concatenate(([True], docs[1:] != docs[:-1]))]

    def report_labels(self) -> list[tuple[int, str, dict[str, str]]] | None:
        """(document number, month, WBS labels) of each report document, in document order.

        Deleted documents are included. None when the file was written without them.
        Reports with the same labels share one dict (never to be changed).
        """
        if self._report_docs is None or self._report_facts is None:
            return None
        try:
            facts = json.loads(self._report_facts.tobytes())
            labels, months, which = facts["labels"], facts["months"], facts["which"]
            docs = self._report_docs.tolist()
            return [(d, m, labels[w]) for d, m, w in zip(docs, months, which, strict=True)]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise FileFormatError(f"{self._path} is damaged: {exc}") from exc


class _Keys:
    """A PostingArrays' sorted keys as a sequence (for bisect)."""

    def __init__(self, arrays: PostingArrays):
        self._arrays = arrays

    def __len__(self) -> int:
        return self._arrays._count

    def __getitem__(self, i: int) -> bytes:
        return self._arrays._key(i)


class ArraysCollector:
    """Gathers a segment's postings, term after term in key order, for `write_segment_arrays`."""

    def __init__(self) -> None:
        self.keys = bytearray()
        self.key_starts = array("q", [0])
        self.starts = array("q", [0])
        self.ids = array("I")
        self.weights = array("f")
        self.pos_starts = array("I", [0])
        self.positions = array("I")
        self._decoded: dict[bytes, tuple[int, ...]] = {}

    def add(self, fieldname: str, tbytes: bytes, ids, weights, values=None) -> None:
        """Add one term's postings (terms must come in order of field name, then term).

        values: the postings' encoded positions, for a field that keeps them.
        """
        self.keys += fieldname.encode("utf-8") + b"\0" + tbytes
        self.key_starts.append(len(self.keys))
        self.ids.extend(ids if isinstance(ids, array) and ids.typecode == "I" else array("I", ids))
        self.weights.extend(weights if isinstance(weights, array) else array("f", weights))
        self.starts.append(len(self.ids))
        runs, positions, decoded = self.pos_starts, self.positions, self._decoded
        end = runs[-1]
        if values is None:
            runs.extend([end] * len(ids))
            return
        # Most values recur (one position, the same few): each is decoded once.
        for value in set(values).difference(decoded):
            decoded[value] = decode_positions(value)
        found = list(map(decoded.__getitem__, values))
        positions.extend(chain.from_iterable(found))
        ends = accumulate(map(len, found), initial=end)
        next(ends)  # the run of the last term's end
        runs.extend(ends)

    def add_field(
        self, fieldname: str, terms, term_starts, ids, weights, pos_starts=None, positions=None
    ) -> None:
        """Add a whole field's postings at once (terms in order, after the fields before it).

        Term i holds postings term_starts[i]:term_starts[i + 1] of the arrays
        ids and weights; for a field keeping positions, posting j's are
        positions[pos_starts[j]:pos_starts[j + 1]].
        """
        prefix = fieldname.encode("utf-8") + b"\0"
        keys, key_starts = self.keys, self.key_starts
        for tbytes in terms:
            keys += prefix + tbytes
            key_starts.append(len(keys))
        base = len(self.ids)
        self.starts.frombytes((np.asarray(term_starts[1:], dtype="<i8") + base).tobytes())
        self.ids.frombytes(np.asarray(ids, dtype="<u4").tobytes())
        self.weights.frombytes(np.asarray(weights, dtype="<f4").tobytes())
        end = self.pos_starts[-1]
        if pos_starts is None:
            self.pos_starts.frombytes(np.full(len(ids), end, dtype="<u4").tobytes())
            return
        runs = np.asarray(pos_starts[1:], dtype=np.int64) + end
        self.pos_starts.frombytes(runs.astype("<u4").tobytes())
        self.positions.frombytes(np.asarray(positions, dtype="<u4").tobytes())


def arrays_file(segment) -> str:
    """The name of a segment's postings arrays file."""
    return segment.make_filename(ARRAYS_EXT)


def write_segment_arrays(
    folder: str, segment, collected: ArraysCollector, reports: list[tuple[int, str, str]]
) -> None:
    """Write a segment's postings arrays file into the index folder.

    reports: (document number, month, WBS labels as stored: a JSON object's text) of
    each report document, in document order; each distinct labels text is kept once.
    """
    distinct: dict[str, int] = {}
    which = [distinct.setdefault(labels, len(distinct)) for _, _, labels in reports]
    facts = {
        "labels": [json.loads(text) for text in distinct],
        "months": [month for _, month, _ in reports],
        "which": which,
    }
    report_facts = json.dumps(facts, ensure_ascii=False).encode("utf-8")
    report_docs = array("I", [docnum for docnum, _, _ in reports])
    parts = {
        "keys": bytes(collected.keys),
        "key_starts": collected.key_starts.tobytes(),
        "starts": collected.starts.tobytes(),
        "ids": collected.ids.tobytes(),
        "weights": collected.weights.tobytes(),
        "pos_starts": collected.pos_starts.tobytes(),
        "positions": collected.positions.tobytes(),
        "report_docs": report_docs.tobytes(),
        "report_facts": report_facts,
    }
    counts = {
        "keys": len(collected.keys),
        "key_starts": len(collected.key_starts),
        "starts": len(collected.starts),
        "ids": len(collected.ids),
        "weights": len(collected.weights),
        "pos_starts": len(collected.pos_starts),
        "positions": len(collected.positions),
        "report_docs": len(report_docs),
        "report_facts": len(report_facts),
    }
    layout, offset = {}, _ARRAYS_HEADER
    for name, data in parts.items():
        layout[name] = [offset, counts[name]]
        offset = -(-(offset + len(data)) // 8) * 8  # each array starts 8-byte aligned
    header = _ARRAYS_MAGIC + json.dumps(layout).encode() + b"\n"
    with open(os.path.join(folder, arrays_file(segment)), "wb") as f:
        f.write(header)
        for name, data in parts.items():
            f.write(b"\0" * (layout[name][0] - f.tell()))
            f.write(data)


_mapped_lock = threading.Lock()


def report_labels(segment_reader) -> list[tuple[int, str, dict[str, str]]] | None:
    """`PostingArrays.report_labels` of a segment; None when its arrays file has none."""
    mapped = segment_arrays(segment_reader)
    return mapped.report_labels() if mapped is not None else None


def segment_arrays(segment_reader) -> PostingArrays | None:
    """The mapped postings arrays of a segment reader's segment (None when it has none).

    Opened once per segment reader, kept on it.
    """
    found = getattr(segment_reader, "_dm_arrays", False)
    if found is not False:
        return found
    with _mapped_lock:
        found = getattr(segment_reader, "_dm_arrays", False)
        if found is False:
            found = None
            # The reader of an empty index has neither segment nor storage.
            segment = segment_reader.segment()
            folder = getattr(getattr(segment_reader, "_storage", None), "folder", None)
            if segment is not None and folder is not None:
                path = os.path.join(folder, arrays_file(segment))
                if os.path.exists(path) and os.path.getsize(path):
                    found = PostingArrays(path)
            segment_reader._dm_arrays = found
    return found


# --- writing -------------------------------------------------------------------------


def stored_length(length: int) -> int:
    """A field length as the codec reads it back (stored in one byte; 0 when none)."""
    lbyte = length_to_byte(length) if length else 0
    return byte_to_length(lbyte) if lbyte else 0


def field_adder(perdocwriter, lengths: dict[str, dict[int, int]]) -> Callable:
    """perdocwriter.add_field(name, field, stored value, length), keeping the length.

    lengths: {field: {document number: length}}, each length as the codec
    reads it back (from a one-byte column), filled in as fields are added.
    What W3's per-document writer's add_field does is done here: the
    stored value kept, the length's byte added to the field's length column
    and the length to the field's total, each length's byte worked out once.
    """
    if type(perdocwriter) is not W3PerDocWriter:
        raise TypeError(f"not a W3 per-document writer: {perdocwriter!r}")
    columns, totals, bytes_of = perdocwriter._colwriters, perdocwriter._fieldlengths, {}

    def add_field(fieldname: str, fieldobj, value, length) -> None:
        if value is not None:
            perdocwriter._storedfields[fieldname] = value
        if not length:
            return
        found = bytes_of.get(length)
        if found is None:
            lbyte = length_to_byte(length)
            found = bytes_of[length] = (lbyte, byte_to_length(lbyte) if lbyte else 0)
        lbyte, stored = found
        lenfield = _lenfield(fieldname)
        column = columns.get(lenfield)
        if column is None:
            perdocwriter._create_column(lenfield, LENGTHS_COLUMN)
            column = columns[lenfield]
        docnum = perdocwriter._docnum
        column.add(docnum, lbyte)
        totals[fieldname] += length
        if stored:
            held = lengths.get(fieldname)
            if held is None:
                held = lengths[fieldname] = {}
            held[docnum] = stored

    return add_field


def stored_values(perdocwriter) -> dict:
    """The stored values added so far to the per-document writer's open document
    (read before its finish_doc, which writes and clears them)."""
    if type(perdocwriter) is not W3PerDocWriter:
        raise TypeError(f"not a W3 per-document writer: {perdocwriter!r}")
    return perdocwriter._storedfields


def encode_frequency(freq: int) -> bytes:
    """A posting's value in a Frequency field."""
    return pack_uint(freq)


def decode_positions(value: bytes) -> tuple[int, ...]:
    """The positions of a posting's value in a Positions field (`encode_positions` undone)."""
    if not value:
        return ()
    if not value.endswith(b"."):  # as Whoosh's Positions.decode_positions: the pickle's STOP
        value += b"."
    return tuple(accumulate(loads(value[_UINT_SIZE:])))


def encode_positions(poses: list[int]) -> bytes:
    """A posting's value in a Positions field: the count, then the pickled deltas."""
    return encode_deltas([b - a for a, b in zip([0, *poses], poses, strict=False)])


def encode_deltas(deltas: list[int]) -> bytes:
    """`encode_positions` of the positions whose deltas (the first from 0) these are."""
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def write_terms(
    fieldwriter, terms: list[bytes], term_starts, ids, weights, values, lengths
) -> None:
    """Write a field's terms (started by start_field) to a W3 field writer, in order.

    Term i holds postings term_starts[i]:term_starts[i + 1] of ids and
    weights (arrays) and values (a list of encoded values); lengths:
    {document number: field length as stored} of the field. Writes what
    start_term, add (per posting) and finish_term write: the same posting
    blocks, bytes for bytes, and the same term infos, with the blocks'
    bounds and statistics worked out for the whole field at once.
    """
    if not terms:
        return
    postwriter = fieldwriter._postwriter
    limit, comp = postwriter._blocklimit, postwriter._compression
    ids = np.asarray(ids, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float32)
    starts = np.asarray(term_starts, dtype=np.int64)
    if postwriter._inlinelimit > 1 or postwriter._byteids:
        # Postings a term info would inline: Whoosh's own steps, a block at a time.
        id_list, weight_list, bounds = ids.tolist(), weights.tolist(), starts.tolist()
        for i, tbytes in enumerate(terms):
            a, b = bounds[i], bounds[i + 1]
            fieldwriter.start_term(tbytes)
            _buffer_postings(postwriter, id_list[a:b], weight_list[a:b], values[a:b], lengths)
            fieldwriter.finish_term()
        return
    # Each term's blocks: `limit` postings each, the last one what is left.
    counts = np.diff(starts)
    nblocks = -(-counts // limit)
    block_term = np.repeat(np.arange(len(terms)), nblocks)
    first_block = np.concatenate(([0], np.cumsum(nblocks)))
    within = np.arange(int(first_block[-1])) - first_block[:-1][block_term]
    block_start = starts[:-1][block_term] + within * limit
    block_end = np.minimum(block_start + limit, starts[1:][block_term])
    # Document numbers as each block stores them: deltas from the block's start.
    deltas = ids.copy()
    deltas[1:] -= ids[:-1]
    deltas[block_start] = ids[block_start]
    # Each block's shortest and longest field length (no length: None and 0).
    doc_lengths = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    if lengths:
        known = np.fromiter(lengths, dtype=np.int64, count=len(lengths))
        inside = known < len(doc_lengths)
        doc_lengths[known[inside]] = np.fromiter(lengths.values(), np.int64, len(lengths))[inside]
    posting_lengths = doc_lengths[ids]
    none = np.iinfo(np.int64).max
    block_min = np.minimum.reduceat(
        np.where(posting_lengths > 0, posting_lengths, none), block_start
    )
    block_max = np.maximum.reduceat(posting_lengths, block_start)
    # Their bytes, as length_to_byte gives them (0 for no length).
    min_byte, max_byte = _length_bytes(block_min, none).tolist(), _length_bytes(block_max).tolist()
    block_min, block_max = block_min.tolist(), block_max.tolist()
    block_maxweight = np.maximum.reduceat(weights, block_start).tolist()
    # What _mini_weights keeps of a block: None when all are 1.0, one when all are alike.
    all_one = np.logical_and.reduceat(weights == 1.0, block_start).tolist()
    all_same = np.logical_and.reduceat(
        weights == np.repeat(weights[block_start], block_end - block_start), block_start
    ).tolist()
    fixedsize = fieldwriter._format.fixed_value_size()
    if fixedsize is not None and fixedsize == 0:
        values = None
    elif not all(values):
        values = [v if v else None for v in values]
    id_list, delta_list, weight_list = ids.tolist(), deltas.tolist(), weights.tolist()
    block_start, block_end, first_block = (
        block_start.tolist(),
        block_end.tolist(),
        first_block.tolist(),
    )
    postfile, tindex = fieldwriter._postfile, fieldwriter._tindex
    fieldid = pack_ushort(fieldwriter._fieldid)
    pack_info = W3TermInfo._struct.pack
    # What tindex.add does for each term (OrderedHashWriter.add), the offsets counted here.
    tfile, hashfn, buckets, positions = tindex.dbfile, tindex.hashfn, tindex.buckets, tindex.index
    offset, tpos, lastkey = postfile.tell(), tfile.tell(), tindex.lastkey
    # The field's posting blocks and terms table rows, each file written once.
    blocks, rows = [], []
    byte_of: dict[int, int] = {}
    for i, tbytes in enumerate(terms):
        parts = [WHOOSH3_HEADER_MAGIC]
        total, minlength, maxlength, maxweight = 0, None, 0, 0
        last = first_block[i + 1] - 1
        for b in range(first_block[i], last + 1):
            start, end = block_start[b], block_end[b]
            block_weights = weight_list[start:end]
            shortest = block_min[b] if block_min[b] != none else None
            longest = block_max[b]
            top = max(0, block_maxweight[b])
            # What W3TermInfo.add_block gathers.
            total += sum(block_weights)
            minlength = shortest if minlength is None else min(minlength, shortest)
            maxlength = max(maxlength, longest)
            maxweight = max(maxweight, top)
            # What W3PostingsWriter._write_block writes.
            if all_one[b]:
                mini_weights = None
            elif all_same[b]:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if values is None:
                mini_values = None
            else:
                block_values = values[start:end]
                if None in block_values:
                    block_values = [v for v in block_values if v is not None]
                mini_values = _mini_values(block_values, fixedsize)
            data = dumps((tuple(delta_list[start:end]), mini_weights, mini_values), 2)
            if comp:
                data = zlib.compress(data, comp)
            info = dumps(
                (
                    end - start,
                    id_list[end - 1],
                    top,
                    comp,
                    min_byte[b],
                    max_byte[b],
                ),
                2,
            )
            size = len(info) + len(data)
            parts += (pack_int(-size if b == last else size), info, data)
        written = b"".join(parts)
        blocks.append(written)
        for length in (minlength, maxlength):
            if length not in byte_of:
                byte_of[length] = length_to_byte(length)
        terminfo = pack_info(
            0,
            total,
            block_end[last] - block_start[first_block[i]],
            byte_of[minlength],
            byte_of[maxlength],
            maxweight,
            id_list[block_start[first_block[i]]],
            id_list[block_end[last] - 1],
        )
        terminfo += pack_long(offset) + pack_int(len(written))
        offset += len(written)
        key = fieldid + tbytes
        if key <= lastkey:
            raise ValueError(f"Keys must increase: {lastkey!r}..{key!r}")
        row = _HASH_LENGTHS.pack(len(key), len(terminfo)) + key + terminfo
        rows.append(row)
        positions.append(tpos)
        h = hashfn(key)
        buckets[h & 255].append((h, tpos))
        tpos += len(row)
        lastkey = tindex.lastkey = key
    postfile.write(b"".join(blocks))
    tfile.write(b"".join(rows))


# Length -> its byte (length_to_byte), as an array: the lengths each byte begins.
_BYTE_STARTS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


def _length_bytes(lengths: np.ndarray, none: int | None = None) -> np.ndarray:
    """length_to_byte of each length (`none` standing for None, whose byte is 0)."""
    found = np.searchsorted(_BYTE_STARTS, lengths, side="left")
    found = np.where(lengths >= 106374, 255, found)
    return found if none is None else np.where(lengths == none, 0, found)


def _mini_values(values: list[bytes], fixedsize):
    # As W3PostingsWriter._mini_values.
    if fixedsize is None or fixedsize < 0:
        return tuple(values)
    if fixedsize == 0:
        return None
    return b"".join(values)


def _buffer_postings(postwriter, ids, weights, values: list[bytes], lengths: dict) -> None:
    """Set a W3 postings writer's block buffers to one term's postings, a block at a time.

    Sets the buffers and statistics `add_posting` would have built one
    posting at a time; the writer then encodes each block itself. The last
    block is left buffered for `finish_postings` (called by finish_term).
    """
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


class BlockSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with postings of its own and segments written elsewhere.

    pool: the writer's postings (what merging old segments adds to, through
    its `add`); wrap_perdoc wraps the per-document writer; flush(fieldwriter,
    pool, perdocwriter, folder, segment) writes the postings when the new
    segment is finished.
    Segments are not compound: each file is mapped on its own by readers.
    """

    def __init__(self, ix, pool, wrap_perdoc: Callable, flush: Callable, **kwargs):
        super().__init__(ix, codec=index_codec(), compound=False, **kwargs)
        self._built: list = []
        self._flush = flush
        self.pool = pool
        self.perdocwriter = wrap_perdoc(self.perdocwriter)

    def add_segment(self, segment) -> None:
        """List a segment written elsewhere (see `open_segment`) in this write's commit."""
        self._check_state()
        self._built.append(segment)

    def add_docs(self, add: Callable[[object, object, int], int]) -> None:
        """Add documents: add(pool, perdocwriter, first number) returns the next number."""
        self._check_state()
        self.docnum = add(self.pool, self.perdocwriter, self.docnum)
        self._added = True

    def commit(self, mergetype=None, optimize=None, merge=None) -> None:
        """SegmentWriter.commit, listing the added segments too."""
        self._check_state()
        segments = self._merge_segments(mergetype, optimize, merge) + self._built
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        folder, segment = self.storage.folder, self.newsegment
        self._flush(self.fieldwriter, self.pool, self.perdocwriter, folder, segment)
        self.fieldwriter.close()


def index_codec() -> W3Codec:
    """The W3 codec with the settings every segment of the index is written with."""
    return W3Codec(compression=POSTINGS_COMPRESSION)


def open_segment(folder: str, indexname: str, wrap_perdoc: Callable) -> tuple:
    """Start a new segment in an index folder: (storage, segment, perdocwriter, fieldwriter)."""
    storage = FileStorage(folder)
    codec = index_codec()
    segment = codec.new_segment(storage, indexname)
    perdocwriter = wrap_perdoc(codec.per_document_writer(storage, segment))
    return storage, segment, perdocwriter, codec.field_writer(storage, segment)


def close_segment(segment, doc_count: int):
    """Mark a segment written by `open_segment` finished with doc_count documents."""
    segment.set_doc_count(doc_count)
    return segment
