"""The index on disk: build, update, swap.

Layout of an index directory:

    LOCK         flock()ed by the one writer; the kernel drops it when the
                 writer dies, so a killed ingest never leaves a stale lock
    CURRENT      {"generation": 7, "schema": 1}, replaced with os.replace
    gen-000007/  the Whoosh index readers use, and its history store
                 (history.sqlite and its parts, see search/history.py)
    gen-000006/  the previous one, kept for readers that opened it just before the swap

A writer never touches the generation readers use. It hard-links (or copies)
the current generation's files into a new directory (Whoosh never rewrites a
file it has written, nor a history part; the small history.sqlite is copied),
commits there, fsyncs, and only then points CURRENT at it. A writer killed at
any moment leaves CURRENT on the old, complete generation; the next writer
deletes the half-built directory.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.index import EmptyIndexError, FileIndex
from whoosh.searching import Searcher

from ingest.holds import hold
from ingest.models import Report

from . import health
from .builder import BuiltReports, ReportBuilder, reports_per_segment
from .codec import create_index, open_index, read_everything
from .documents import slugify
from .errors import (
    WHOOSH_ERRORS,
    IndexBusy,
    IndexCorrupt,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    SearchError,
)
from .history import (
    HISTORY_FILE,
    HistoryReader,
    HistoryWriter,
    is_copied_store_file,
    is_store_file,
    report_rows,
)
from .models import ReportInfo
from .schema import KIND_REPORT, SCHEMA, SCHEMA_VERSION
from .segment import ReportSegmentWriter, SegmentBuilder, checked_docs

LOCK_FILE = "LOCK"
POINTER_FILE = "CURRENT"
# In CURRENT: the generation was committed with a manifest (search/health.py).
MANIFEST_KEY = "manifest"
GENERATION_PREFIX = "gen-"
# A reader may lose the race with a writer deleting an old generation; it retries.
READ_RETRIES = 5
# Whoosh's temporary TOC files and its own lock never belong to a new generation, and each
# generation writes its own manifest (the history store says which of its files are copied).
_NOT_LINKED = re.compile(r"\.toc\.|LOCK|^" + re.escape(health.MANIFEST))

# How often a watching server worker looks at CURRENT for a new generation (seconds).
WATCH_INTERVAL = 0.05

_held_lock_fds: set[int] = set()


def _drop_inherited_locks() -> None:
    # A forked worker (a parsing pool) must not keep a dead writer's lock alive.
    for fd in list(_held_lock_fds):
        with suppress(OSError):
            os.close(fd)
    _held_lock_fds.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@dataclass
class Snapshot:
    """One generation of the index, open for reading; `cache` lives as long as it does."""

    searcher: Searcher
    generation: int
    cache: dict = field(default_factory=dict)


class _Reader:
    """One generation open for reading, shared by every thread of the process.

    Its files are mapped (see codec.MappedStorage), so its pages are the
    kernel's, shared with every other process reading the generation. It is
    closed when a newer generation has replaced it and its last user is done.
    """

    def __init__(self, generation: int, searcher: Searcher, cache: dict):
        self.generation = generation
        self.searcher = searcher
        self.cache = cache
        self.users = 0
        self.retired = False

    def close(self) -> None:
        with suppress(Exception):
            self.searcher.close()


class Index:
    """A report index in a directory; readers and one writer at a time."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        # One reader of the current generation, shared by every thread (opening
        # one costs more than many searches); opened under the lock, so a swap
        # seen by many threads at once opens the new generation once.
        self._reader: _Reader | None = None
        self._reader_lock = threading.Lock()
        self._open_lock = threading.Lock()
        # Each thread's connection to the history store of the generation it last read.
        self._local = threading.local()
        # Generations read without a manifest (written before manifests were kept):
        # whatever Whoosh raises reading one means it is damaged.
        self._unverified: set[int] = set()

    def close(self) -> None:
        """Close the reader kept open (the index stays usable; searches in flight finish first)."""
        with self._reader_lock:
            reader, self._reader = self._reader, None
            if reader is not None:
                self._retire(reader)

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False) -> Index:
        """Open the index at path; with create, make an empty one if there is none."""
        index = cls(path)
        if not index.exists():
            if not create:
                raise IndexMissing(f"no index at {index.path}")
            with index.writer():
                pass
        index._pointer()
        return index

    def exists(self) -> bool:
        """Return whether a generation has been committed at this path."""
        return (self.path / POINTER_FILE).exists()

    @contextmanager
    def reading(self, warm: bool = True) -> Iterator[Snapshot]:
        """The current generation, open for reading (a consistent snapshot).

        A generation this process opens is first made ready for searches
        (`warm`), unless the caller only reads stored fields (warm=False).

        The snapshot's cache is shared by every search of the generation in
        this process; a new generation's cache starts with "previous", the
        cache of the one it replaced, from which what did not change is taken.
        """
        reader = self._acquire(warm)
        try:
            yield Snapshot(reader.searcher, reader.generation, reader.cache)
        except SearchError:
            raise
        except Exception as exc:
            self._raise_unreadable(reader.generation, exc)
            if isinstance(exc, WHOOSH_ERRORS):
                raise IndexCorrupt(f"cannot read index at {self.path}: {exc}") from exc
            raise
        finally:
            self._release(reader)

    def _acquire(self, warm: bool = True) -> _Reader:
        """The reader of the current generation (opened when the generation moved), in use.

        A generation is made ready (`_open_reader`) before any search reads it:
        the threads asking for it meanwhile wait, while searches still holding
        the previous one finish and release it.
        """
        generation = self._pointer()["generation"]
        with self._reader_lock:
            reader = self._reader
            if reader is not None and reader.generation == generation:
                reader.users += 1
                return reader
        with self._open_lock:  # one thread opens a generation; the others wait for it
            with self._reader_lock:
                previous = self._reader
                if previous is not None and previous.generation == generation:
                    previous.users += 1
                    return previous
            new = self._open_reader(generation, previous, warm)
            with self._reader_lock:
                self._reader = new
                if previous is not None:
                    self._retire(previous)
                new.users += 1
                return new

    def _open_reader(self, generation: int, previous: _Reader | None, warm: bool) -> _Reader:
        """Open a generation and build what every search of it reads (its arrays, facets).

        The new generation takes from the previous one what both share (see engine.Carry).
        """
        from .facets import warm_snapshot  # facets reads snapshots of this module

        _freeze_startup_objects()
        generation, searcher = self._open_generation(
            generation, self._open_searcher, only=_index_file
        )
        cache = {"previous": previous.cache} if previous is not None else {}
        try:
            if warm:
                warm_snapshot(Snapshot(searcher, generation, cache))
        except WHOOSH_ERRORS as exc:
            searcher.close()
            raise IndexCorrupt(f"cannot read index at {self.path}: {exc}") from exc
        except BaseException:
            searcher.close()
            raise
        return _Reader(generation, searcher, cache)

    def warm(self) -> int:
        """Make the current generation ready for searches and history pages now.

        Returns its number. Raises as a search would (IndexMissing, IndexDamaged...).
        """
        reader = self._acquire()
        self._release(reader)
        # The history pages' store too: its files are checked once per process, here.
        self.history()
        return reader.generation

    def watch(self, interval: float = WATCH_INTERVAL) -> threading.Thread:
        """Warm each new generation as soon as CURRENT names it, in a daemon thread.

        A server's worker calls it once: after an ingest its first user finds the
        new generation ready, or waits only for the rest of its warming.
        """
        thread = threading.Thread(target=self._watch, args=(interval,), daemon=True)
        thread.name = f"warm {self.path.name}"
        thread.start()
        return thread

    def _watch(self, interval: float) -> None:
        seen = None
        while True:
            time.sleep(interval)
            try:
                generation = self._pointer()["generation"]
                if generation != seen:
                    seen = self.warm()
            except Exception:  # noqa: BLE001 - a search reports the fault; keep watching
                seen = None

    def _release(self, reader: _Reader) -> None:
        with self._reader_lock:
            reader.users -= 1
            if reader.retired and not reader.users:
                reader.close()

    @staticmethod
    def _retire(reader: _Reader) -> None:
        # Called with the reader lock held.
        reader.retired = True
        if not reader.users:
            reader.close()

    @contextmanager
    def writer(self, rebuild: bool = False) -> Iterator[IndexWriter]:
        """Open the one writer: commits and swaps on success, discards on any exception.

        rebuild starts from an empty index (needed after a schema change).
        Raises IndexBusy at once if another writer holds the lock.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        with _WriteLock(self.path / LOCK_FILE):
            try:
                current = self._pointer(missing_ok=True, outdated_ok=rebuild)
            except IndexCorrupt:
                if not rebuild:
                    raise
                current = None  # a damaged pointer: a rebuild starts over, as for a new index
            old = current["generation"] if current else 0
            self._remove_generations(keep={old, self._previous_generation(old)})
            new_dir = self._gen_dir(old + 1)
            writer = None
            try:
                base = old if current and not rebuild else None
                ix = self._start_generation(new_dir, old if current else None, rebuild)
                history = HistoryWriter(
                    new_dir / HISTORY_FILE,
                    self._gen_dir(base) / HISTORY_FILE if base is not None else None,
                )
                writer = IndexWriter(ix, history)
                yield writer
                if current and not rebuild and not writer.changed:
                    writer.cancel()
                    shutil.rmtree(new_dir)
                    return
                writer.commit()
                health.write_manifest(new_dir)
                _sync_tree(new_dir)
                hold("commit")
            except BaseException:
                if writer is not None:
                    writer.cancel()
                shutil.rmtree(new_dir, ignore_errors=True)
                raise
            self._write_pointer(old + 1)
            hold("swapped")
            self._remove_generations(keep={old + 1, old})

    def add_report(self, report: Report, report_id: str | None = None) -> str:
        """Add or replace one report in its own commit; return its report id."""
        with self.writer() as writer:
            return writer.add_report(report, report_id)

    def remove_report(self, report_id: str) -> None:
        """Remove one report in its own commit."""
        with self.writer() as writer:
            writer.remove_report(report_id)

    def report_files(self) -> dict[str, ReportInfo]:
        """Return {source path: ReportInfo} of every indexed report (report documents only)."""
        with self.reading(warm=False) as snap:
            return {d["source"]: _report_info(d) for d in _report_fields(snap.searcher)}

    def stored_report(self, report_id: str) -> Report | None:
        """Return a report as it was indexed, or None if no report has that id."""
        return self.history().report(report_id)

    def history(self) -> HistoryReader:
        """This thread's reader of the current generation's history store."""
        generation = self._pointer()["generation"]
        held = getattr(self._local, "history", None)
        if held is not None and held.generation == generation:
            return held
        generation, reader = self._open_generation(
            generation,
            lambda g: HistoryReader(self._gen_dir(g) / HISTORY_FILE, g),
        )
        if generation in self._unverified:
            # No manifest vouches for it: served only once read whole (see _open_searcher).
            try:
                with self.reading():
                    pass
            except BaseException:
                reader.close()
                raise
        if held is not None:
            held.close()
        self._local.history = reader
        return reader

    def _open_searcher(self, generation: int) -> Searcher:
        try:
            searcher = open_index(str(self._gen_dir(generation)), SCHEMA).searcher()
            if generation in self._unverified:
                # Read whole once, so that every page and search alike sees its damage.
                read_everything(searcher)
            return searcher
        except EmptyIndexError as exc:
            raise FileNotFoundError(str(exc)) from exc
        except Exception as exc:
            self._raise_unreadable(generation, exc)
            if isinstance(exc, WHOOSH_ERRORS):
                raise IndexCorrupt(f"cannot read index at {self.path}: {exc}") from exc
            raise

    def _raise_unreadable(self, generation: int, exc: Exception) -> None:
        """Raise IndexDamaged if `generation` has no manifest and reading it raised `exc`."""
        if generation in self._unverified and not isinstance(exc, (SearchError, OSError)):
            name = type(exc).__name__
            if type(exc).__module__ != "builtins":
                name = f"{type(exc).__module__}.{name}"
            raise IndexDamaged(self._gen_dir(generation).name, f"unreadable: {name}") from exc

    def _read_everything(self, generation: int) -> None:
        """Read the whole of a generation no manifest vouches for; IndexDamaged if it fails."""
        try:
            with open_index(str(self._gen_dir(generation)), SCHEMA).searcher() as searcher:
                read_everything(searcher)
        except EmptyIndexError:
            return
        except FileNotFoundError:
            if self._gen_dir(generation).is_dir():
                raise IndexDamaged(self._gen_dir(generation).name, "files missing") from None
            raise
        except Exception as exc:
            self._raise_unreadable(generation, exc)
            raise

    def _open_generation(self, generation: int, opener, only=None):
        """Return (generation, opener(generation)), following CURRENT if a writer swaps it.

        A reader may lose the race with a writer deleting an old generation
        (FileNotFoundError): it retries on the generation CURRENT names now.
        only(name): the files the opener reads, whose checksums are checked.
        """
        tried: set[int] = set()
        pointer = self._pointer()
        for _ in range(READ_RETRIES):
            try:
                # Never read a damaged generation (search/health.py).
                self._check_generation(generation, pointer, only=only)
                return generation, opener(generation)
            except (FileNotFoundError, IndexDamaged) as exc:
                pointer = self._pointer()
                moved = pointer["generation"]
                if generation in tried or (isinstance(exc, IndexDamaged) and moved == generation):
                    # Not a writer swapping generations: this one is damaged.
                    if isinstance(exc, IndexDamaged):
                        raise
                    raise IndexDamaged(self._gen_dir(generation).name, "files missing") from exc
                tried.add(generation)
                generation = moved
        raise IndexCorrupt(f"index at {self.path} keeps changing under the reader")

    def check(self) -> health.Health:
        """Verify the current generation's files (sizes and checksums) and read its reports.

        Raises IndexMissing, IndexOutdated, IndexDamaged (or IndexCorrupt when
        Whoosh cannot read a generation written before manifests were kept).
        """
        pointer = self._pointer()
        found = self._check_generation(pointer["generation"], pointer, cached=False)
        if not found.verified:
            self._read_everything(pointer["generation"])
        self.report_files()
        return found

    def _check_generation(
        self, generation: int, pointer: dict, cached: bool = True, only=None
    ) -> health.Health:
        folder = self._gen_dir(generation)
        # A generation committed with a manifest is never read without one.
        required = pointer.get(MANIFEST_KEY, False) and pointer["generation"] == generation
        try:
            found = health.verify(folder, cached=cached, required=required, only=only)
        except FileNotFoundError:
            if not required or not folder.parent.is_dir():
                raise
            raise IndexDamaged(folder.name, "folder missing") from None
        if found.verified:
            self._unverified.discard(generation)
        else:
            self._unverified.add(generation)
        return found

    def _gen_dir(self, generation: int) -> Path:
        return self.path / f"{GENERATION_PREFIX}{generation:06d}"

    def _generations(self) -> list[int]:
        found = []
        for entry in self.path.iterdir():
            name = entry.name
            if name.startswith(GENERATION_PREFIX) and name[len(GENERATION_PREFIX) :].isdigit():
                found.append(int(name[len(GENERATION_PREFIX) :]))
        return sorted(found)

    def _previous_generation(self, generation: int) -> int:
        older = [g for g in self._generations() if g < generation]
        return older[-1] if older else 0

    def _remove_generations(self, keep: set[int]) -> None:
        for generation in self._generations():
            if generation not in keep:
                shutil.rmtree(self._gen_dir(generation), ignore_errors=True)

    def _pointer(self, missing_ok: bool = False, outdated_ok: bool = False) -> dict | None:
        try:
            pointer = json.loads((self.path / POINTER_FILE).read_text())
        except FileNotFoundError:
            if missing_ok:
                return None
            raise IndexMissing(f"no index at {self.path}") from None
        except (OSError, ValueError):
            raise IndexDamaged(POINTER_FILE, "unreadable") from None
        if not isinstance(pointer, dict) or not isinstance(pointer.get("generation"), int):
            raise IndexDamaged(POINTER_FILE, "unreadable")
        if pointer.get("schema") != SCHEMA_VERSION and not outdated_ok:
            raise IndexOutdated(
                f"index at {self.path} has schema {pointer.get('schema')}, this version "
                f"needs {SCHEMA_VERSION}: rebuild it"
            )
        return pointer

    def _write_pointer(self, generation: int) -> None:
        data = json.dumps({"generation": generation, "schema": SCHEMA_VERSION, MANIFEST_KEY: True})
        tmp = self.path / f"{POINTER_FILE}.tmp"
        with open(tmp, "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / POINTER_FILE)
        _fsync_dir(self.path)

    def _start_generation(self, new_dir: Path, base: int | None, rebuild: bool) -> FileIndex:
        try:
            if base is None or rebuild:
                new_dir.mkdir()
                return create_index(str(new_dir), SCHEMA)
            # Never build on a damaged one (nor on one Whoosh cannot read all of).
            if not self._check_generation(base, self._pointer()).verified:
                self._read_everything(base)
            _link_tree(self._gen_dir(base), new_dir)
            return open_index(str(new_dir), SCHEMA)
        except WHOOSH_ERRORS as exc:
            raise IndexCorrupt(f"cannot open index at {self.path}: {exc}") from exc


_startup_frozen = False


def _freeze_startup_objects() -> None:
    """Before a process reads its first generation, keep what it holds out of the collector.

    The objects alive then (the modules' functions, classes and tables, mostly) live
    as long as the process; left to the collector, each of its full passes walks them
    all again, and the first one, which a first search's allocations set off, was a
    tenth of that search. Frozen (`gc.freeze`), they are never walked; anything they
    let go of is still freed by reference counting.
    """
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.freeze()


class IndexWriter:
    """Adds and removes reports inside `Index.writer()`; nothing is visible until commit."""

    def __init__(self, ix: FileIndex, history: HistoryWriter):
        self._history = history
        try:
            with ix.searcher() as searcher:
                self._sources = {d["report"]: d["source"] for d in _report_fields(searcher)}
            self._writer = ReportSegmentWriter(ix)
        except WHOOSH_ERRORS as exc:
            raise IndexCorrupt(f"cannot open a writer: {exc}") from exc
        self._added: set[str] = set()
        self.changed = False

    def add_report(self, report: Report, report_id: str | None = None) -> str:
        """Add a report (replacing any with the same id); return the id used."""
        report_id = report_id or self.assign_id(report)
        if report_id in self._added:
            raise SearchError(f"report {report_id} added twice in one write")
        self.remove_report(report_id)
        try:
            docs = checked_docs(report, report_id)
            rows = report_rows(report, report_id, docs)
            self._writer.add_report(report, report_id, docs)
        except (*WHOOSH_ERRORS, ValueError) as exc:
            raise IndexCorrupt(f"cannot index {report.source}: {exc}") from exc
        self._history.add(rows)
        self._added.add(report_id)
        self._sources[report_id] = report.source
        return report_id

    def segment_builder(self, files: int = 0, workers: int = 1) -> ReportBuilder:
        """A builder that writes reports into segments of this write, from any process.

        Parsing workers each get a copy, index the reports they parse and write
        their own segments, `reports_per_segment` reports at a time for a write
        of `files` reports over `workers` workers; `add_built` lists each one.
        """
        segments = SegmentBuilder(self._writer.storage.folder, self._writer.indexname)
        return ReportBuilder(segments, reports_per_segment(files, workers))

    def add_built(self, built: BuiltReports) -> None:
        """List what a `segment_builder` wrote, replacing earlier versions of its reports."""
        for report_id, _ in built.reports:
            if report_id in self._added:
                raise SearchError(f"report {report_id} added twice in one write")
        for report_id, source in built.reports:
            self.remove_report(report_id)
            self._added.add(report_id)
            self._sources[report_id] = source
        try:
            self._writer.add_segment(built.segment.segment)
        except WHOOSH_ERRORS as exc:
            raise IndexCorrupt(f"cannot list a segment: {exc}") from exc
        for rows in built.history:
            self._history.add(rows)

    def remove_report(self, report_id: str) -> None:
        """Remove every document of a report (no error if it is not indexed)."""
        try:
            self._writer.delete_by_term("report", report_id)
        except WHOOSH_ERRORS as exc:
            raise IndexCorrupt(f"cannot remove {report_id}: {exc}") from exc
        self._history.remove(report_id)
        self._sources.pop(report_id, None)
        self.changed = True

    def assign_id(self, report: Report) -> str:
        """Return the report's stable id: its file's slug, made unique with its sha256."""
        for report_id, source in self._sources.items():
            if source == report.source:
                return report_id
        base = slugify(Path(report.source).stem) or "report"
        candidate = base if base not in self._sources else f"{base}-{report.sha256[:8]}"
        n = 2
        while candidate in self._sources:
            candidate = f"{base}-{report.sha256[:8]}-{n}"
            n += 1
        return candidate

    def reserve_id(self, source: str, sha256: str, report_id: str | None = None) -> str:
        """Hold an id for a file whose report is added later in this write; return it.

        report_id keeps a known id, else the file gets the id `assign_id` would
        give it now; a later `add_report` of that file's report uses the held id.
        Reserving every file first, in a fixed order, makes ids independent of
        the order in which parallel parses finish.
        """
        if report_id is None:
            report_id = self.assign_id(Report(None, "", source, sha256, 0))
        self._sources[report_id] = source
        return report_id

    def commit(self) -> None:
        """Write the new segments, table of contents and history store (by `Index.writer`)."""
        try:
            self._writer.commit()
        except WHOOSH_ERRORS as exc:
            raise IndexCorrupt(f"cannot commit: {exc}") from exc
        self._history.commit()

    def cancel(self) -> None:
        """Drop everything added since the writer opened (called by `Index.writer`)."""
        with suppress(*WHOOSH_ERRORS, OSError):
            self._writer.cancel()
        with suppress(Exception):
            self._history.cancel()


class _WriteLock:
    """An exclusive, non-blocking flock on a file; held only while the process lives."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> _WriteLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise IndexBusy(
                f"another writer (pid {holder}) is updating {self.path.parent}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        _held_lock_fds.add(fd)
        return self

    def __exit__(self, *exc_info) -> None:
        _held_lock_fds.discard(self.fd)
        os.ftruncate(self.fd, 0)
        os.close(self.fd)


def _index_file(name: str) -> bool:
    # What a searcher reads: every file but the history store's (whose reader checks all).
    return not is_store_file(name)


def _report_fields(searcher: Searcher) -> Iterator[dict]:
    return searcher.documents(kind=KIND_REPORT)


def _report_info(fields: dict) -> ReportInfo:
    return ReportInfo(
        id=fields["report"],
        month=fields.get("month"),
        title=fields.get("report_title", ""),
        source=fields["source"],
        sha256=fields["sha256"],
        pages=fields.get("pages", 0),
    )


def _link_tree(src: Path, dst: Path) -> None:
    dst.mkdir()
    for entry in src.iterdir():
        if entry.is_file() and not (
            _NOT_LINKED.search(entry.name) or is_copied_store_file(entry.name)
        ):
            try:
                os.link(entry, dst / entry.name)
            except OSError:
                shutil.copy2(entry, dst / entry.name)


def _sync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            fd = os.open(entry, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
