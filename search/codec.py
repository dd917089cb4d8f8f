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
  `segment_key` (a segment's identity across index generations);
- writing: `write_postings` (one term's postings, a block at a time),
  `BlockSegmentWriter` (Whoosh's `SegmentWriter` fed documents in bulk and
  listing segments written elsewhere), `open_segment` / `close_segment` for
  segments written outside any writer, `encode_positions` / `encode_frequency`
  (posting values as the formats encode them) and `stored_length` (a field
  length as the codec reads it back).
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Callable
from pickle import dumps

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3LeafMatcher, _lenfield
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.filedb.filetables import FileFormatError
from whoosh.filedb.structfile import BufferFile
from whoosh.index import FileIndex
from whoosh.matching import FilterMatcher
from whoosh.reading import ReaderClosed, TermNotFound
from whoosh.system import pack_uint
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


# --- writing -------------------------------------------------------------------------


def stored_length(length: int) -> int:
    """A field length as the codec reads it back (stored in one byte; 0 when none)."""
    lbyte = length_to_byte(length) if length else 0
    return byte_to_length(lbyte) if lbyte else 0


def encode_frequency(freq: int) -> bytes:
    """A posting's value in a Frequency field."""
    return pack_uint(freq)


def encode_positions(poses: list[int]) -> bytes:
    """A posting's value in a Positions field: the count, then the pickled deltas."""
    deltas = [b - a for a, b in zip([0, *poses], poses, strict=False)]
    return pack_uint(len(poses)) + dumps(deltas, 2)


def write_postings(fieldwriter, ids, weights, values: list[bytes], lengths: dict) -> None:
    """Give a W3 field writer one term's postings (started by start_term) a block at a time.

    Sets the block buffers and statistics `add_posting` would have built one
    posting at a time; the writer then encodes each block itself. The last
    block is left buffered for `finish_postings` (called by finish_term).
    lengths: {document number: field length as stored} of the term's field.
    """
    postwriter = fieldwriter._postwriter
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
    pool, perdocwriter) writes the postings when the new segment is finished.
    Segments are not compound: each file is mapped on its own by readers.
    """

    def __init__(self, ix, pool, wrap_perdoc: Callable, flush: Callable, **kwargs):
        super().__init__(ix, codec=W3Codec(), compound=False, **kwargs)
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
        self._flush(self.fieldwriter, self.pool, self.perdocwriter)
        self.fieldwriter.close()


def open_segment(folder: str, indexname: str, wrap_perdoc: Callable) -> tuple:
    """Start a new segment in an index folder: (storage, segment, perdocwriter, fieldwriter)."""
    storage = FileStorage(folder)
    codec = W3Codec()
    segment = codec.new_segment(storage, indexname)
    perdocwriter = wrap_perdoc(codec.per_document_writer(storage, segment))
    return storage, segment, perdocwriter, codec.field_writer(storage, segment)


def close_segment(segment, doc_count: int):
    """Mark a segment written by `open_segment` finished with doc_count documents."""
    segment.set_doc_count(doc_count)
    return segment
