"""Bulk ingest: bring an index in line with folders of report files, in one atomic commit.

A run finds the report files under the given paths, hashes them, and compares
the hashes with what the index holds for those files: only new and changed
files are parsed (in worker processes), files gone from the given paths are
removed, and everything goes into one writer, so readers see the old index or
the new one and an interrupted run changes nothing. When nothing changed,
nothing is written at all.

Rules worth knowing (the README repeats them):

- Sources are stored as absolute paths, the given paths resolved (a symbolic
  link found in a folder stays a file of that folder); hidden files and
  folders (names starting with ".") are skipped; links to folders are not followed.
- A file that fails (unreadable, damaged, over a limit, or a valid document
  that is not a monthly report) is reported with its reason and leaves the
  index as it was for that file: an earlier version stays indexed, even in a
  full rebuild.
- Two files that claim the same month are both kept, with a warning naming them.
- `full` rebuilds the index from scratch from the given paths only. An index
  built by another version of the schema is rebuilt the same way, with a notice.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ingest import reasons
from ingest.batch import Finished, Outcome, default_jobs, fewer_collections, parse_many
from ingest.models import Report
from ingest.pipeline import DEFAULT_LIMITS, Limits
from ingest.structure import NO_MONTH, NO_STRUCTURE
from search import (
    BuiltReports,
    Index,
    IndexCorrupt,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    IndexWriter,
    ReportBuilder,
    ReportInfo,
)

REPORT_SUFFIXES = frozenset({".pdf", ".html", ".htm"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
HIDDEN_PREFIX = "."
NOT_A_REPORT = reasons.NOT_A_REPORT

# Event kinds, in the order a run emits them.
NOTICE = "notice"
PLANNED = "planned"
# A file parsed and taken for the index (progress only: it is not in the index yet).
PARSED = "parsed"
FAILED = "failed"
# After the commit, for the files it put in (or took out of) the index.
REMOVED = "removed"
ADDED = "added"
UPDATED = "updated"
WARNING = "warning"


class BulkError(Exception):
    """A run that cannot start (a path that does not exist); nothing was changed."""


class DiskFull(BulkError):
    """The disk filled while the index was written: the run stopped, nothing was changed."""

    def __init__(self, index_path: str | os.PathLike):
        super().__init__(
            f"ingest stopped: no space left on device writing the index at {index_path}; "
            "nothing was changed"
        )


@dataclass(frozen=True)
class Event:
    """Something that happened during a run: a file's fate, a warning, or the plan.

    kind is one of NOTICE, PLANNED (count: files to parse), PARSED, FAILED
    (message: the reason), then, once the run has committed, REMOVED, ADDED,
    UPDATED, and WARNING. A run that stops before its commit (interrupted, a
    full disk) never says a file was added, updated or removed.
    """

    kind: str
    path: str | None = None
    message: str = ""
    count: int = 0


@dataclass
class IngestSummary:
    """What a run did; failed holds (path, reason) pairs."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        """Return the closing summary line."""
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)} in {self.seconds:.2f} s"
        )


EventHandler = Callable[[Event], None]


@dataclass
class _Plan:
    """What a run will do, from the files found and what the index holds."""

    parse: list[str]
    unchanged: list[str]
    remove: dict[str, str]


def find_report_files(roots: Iterable[str | os.PathLike]) -> list[str]:
    """Return the report files under the roots (folders walked, files taken as given).

    Paths are resolved and absolute, without duplicates, sorted. Raises BulkError
    for a root that does not exist.
    """
    found: set[str] = set()
    for root in resolve_roots(roots):
        if not os.path.isdir(root):  # a file, or a special file that fails by name
            found.add(root)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(HIDDEN_PREFIX)]
            for name in files:
                if not name.startswith(HIDDEN_PREFIX) and _is_report_name(name):
                    # Not resolved: a symbolic link is a file of this folder.
                    found.add(os.path.join(folder, name))
    return sorted(found)


def split_renditions(paths: list[str]) -> tuple[list[str], dict[str, str]]:
    """Set aside the HTML renditions of PDFs: `r.html` beside `r.pdf` is the same report.

    Returns (the files to index, {rendition: its PDF}). Indexing both would list
    every section twice; the PDF, the original, is the one kept.
    """
    pdfs = {
        os.path.splitext(path)[0]: path
        for path in paths
        if os.path.splitext(path)[1].lower() == ".pdf"
    }
    keep, renditions = [], {}
    for path in paths:
        stem, suffix = os.path.splitext(path)
        if suffix.lower() in HTML_SUFFIXES and stem in pdfs:
            renditions[path] = pdfs[stem]
        else:
            keep.append(path)
    return keep, renditions


def resolve_roots(roots: Iterable[str | os.PathLike]) -> list[str]:
    """Return the roots as resolved absolute paths; BulkError for one that does not exist."""
    out = []
    for root in roots:
        path = Path(root).resolve()
        if not path.exists():
            raise BulkError(f"{root}: no such file or folder")
        out.append(str(path))
    return out


def file_sha256(path: str) -> str:
    """Return the sha256 of a file's content, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def run_ingest(
    roots: Sequence[str | os.PathLike],
    index_path: str | os.PathLike,
    *,
    full: bool = False,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    on_event: EventHandler | None = None,
) -> IngestSummary:
    """Bring the index at index_path in line with the report files under roots.

    Incremental by sha256 unless full. Raises BulkError (a missing root),
    IndexBusy (another writer), IndexCorrupt (an unreadable index without full),
    with the index unchanged.
    """
    started = time.perf_counter()
    emit = on_event or _ignore
    summary = IngestSummary()
    run = _Run(Index(index_path), resolve_roots(roots), full, summary, emit)
    found, renditions = split_renditions(find_report_files(run.roots))
    for html, pdf in renditions.items():
        emit(Event(NOTICE, html, f"{html}: HTML rendition of {pdf}, which is indexed instead"))
    hashes = run.hash_all(found)
    indexed = run.read_index()
    plan = run.plan(found, hashes, indexed)
    if plan.parse or plan.remove or run.rebuild or not run.index.exists():
        try:
            run.write(found, hashes, indexed, plan, jobs or default_jobs(), limits)
        except DiskFull:
            raise
        except Exception as exc:
            # One line about the disk, not one failure per file (the writer has
            # removed its half-built generation on the way out).
            if reasons.is_disk_full(exc):
                raise DiskFull(run.index.path) from exc
            raise
    else:
        summary.unchanged = len(plan.unchanged)
    summary.seconds = time.perf_counter() - started
    return summary


class _Run:
    """One ingest run's state: the index, the roots, the summary being filled."""

    def __init__(
        self,
        index: Index,
        roots: list[str],
        full: bool,
        summary: IngestSummary,
        emit: EventHandler,
    ) -> None:
        self.index = index
        self.roots = roots
        self.rebuild = full
        self.summary = summary
        self.emit = emit

    def fail(self, path: str, reason: str) -> None:
        self.summary.failed.append((path, reason))
        self.emit(Event(FAILED, path, reason))

    def warn(self, message: str, path: str | None = None) -> None:
        self.summary.warnings.append(message)
        self.emit(Event(WARNING, path, message))

    def hash_all(self, found: list[str]) -> dict[str, str]:
        """Return {path: sha256} of the files that can be read; the others fail here."""
        hashes = {}
        for path in found:
            try:
                # Never opened unless it is a regular file: opening a FIFO blocks.
                special = reasons.special_file(os.stat(path).st_mode)
                if special:
                    self.fail(path, special)
                    continue
                hashes[path] = file_sha256(path)
            except OSError as exc:
                self.fail(path, reasons.SYSTEM_ERROR.format(strerror=exc.strerror or exc))
        return hashes

    def read_index(self) -> dict[str, ReportInfo] | None:
        """Return what the index holds by source, {} if none, None if it must be rebuilt."""
        try:
            # Verified first: a generation without a manifest is read whole (a
            # damaged one is never built on, nor reported unchanged).
            self.index.check()
            return self.index.report_files()
        except IndexOutdated as exc:
            self.emit(Event(NOTICE, message=f"{exc}; rebuilding it from the given paths"))
        except IndexMissing:
            return {}
        except IndexDamaged as exc:
            if not self.rebuild:
                raise  # never build on a damaged generation; the message says how to rebuild
            self.emit(Event(NOTICE, message=f"{exc.summary}; rebuilding it from the given paths"))
        except IndexCorrupt as exc:
            if not self.rebuild:
                raise IndexCorrupt(f"{exc}; run with --full to rebuild it") from exc
            self.emit(Event(NOTICE, message=f"{exc}; rebuilding it from the given paths"))
        except Exception as exc:
            # A rebuild reads nothing it does not need: an index too damaged for
            # Whoosh to read (one written before manifests were kept) is rebuilt too.
            if not self.rebuild:
                raise
            message = f"index unreadable ({type(exc).__name__}); rebuilding it from the given paths"
            self.emit(Event(NOTICE, message=message))
        self.rebuild = True
        return None

    def plan(
        self, found: list[str], hashes: dict[str, str], indexed: dict[str, ReportInfo] | None
    ) -> _Plan:
        """Decide which files to parse, which are unchanged, which indexed ones to remove."""
        indexed = indexed or {}
        present = set(found)
        parse, unchanged = [], []
        for path in found:
            if path not in hashes:
                continue
            info = indexed.get(path)
            if self.rebuild or info is None or info.sha256 != hashes[path]:
                parse.append(path)
            else:
                unchanged.append(path)
        remove = {
            source: info.id
            for source, info in sorted(indexed.items())
            if source not in present and (self.rebuild or _under(source, self.roots))
        }
        return _Plan(parse, unchanged, remove)

    def write(
        self,
        found: list[str],
        hashes: dict[str, str],
        indexed: dict[str, ReportInfo] | None,
        plan: _Plan,
        jobs: int,
        limits: Limits,
    ) -> None:
        """Remove, parse and add inside one writer; check months once it committed."""
        readable = indexed is not None
        with self.index.writer(rebuild=self.rebuild) as writer:
            if readable:
                # What the index holds cannot change while this writer holds the lock.
                indexed = self.read_index() or {}
                plan = self.plan(found, hashes, indexed)
            indexed = indexed or {}
            self.summary.unchanged = len(plan.unchanged)
            for report_id in plan.remove.values():
                if not self.rebuild:
                    writer.remove_report(report_id)
                self.summary.removed += 1
            ids = self._reserve_ids(writer, found, hashes, indexed, plan)
            parsed = self._parse(writer, plan.parse, ids, indexed, jobs, limits)
            kept = self._carry_over(writer, found, indexed) if self.rebuild else {}
        # Committed: now the index holds what these lines say.
        for source in plan.remove:
            self.emit(Event(REMOVED, source))
        for path in sorted(parsed):
            self.emit(Event(UPDATED if path in indexed else ADDED, path))
        if self.rebuild:
            final = {**kept, **parsed}
        else:
            final = {s: i.month for s, i in indexed.items() if s not in plan.remove}
            final.update(parsed)
        self._check_months(final, parsed=set(parsed))

    def _reserve_ids(
        self,
        writer: IndexWriter,
        found: list[str],
        hashes: dict[str, str],
        indexed: dict[str, ReportInfo],
        plan: _Plan,
    ) -> dict[str, str]:
        # Known files keep their ids; new ones get theirs in path order, not finishing order.
        ids = {}
        for path in found:
            if path in indexed and (path in plan.parse or path not in hashes):
                ids[path] = writer.reserve_id(path, indexed[path].sha256, indexed[path].id)
        for path in plan.parse:
            if path not in ids:
                ids[path] = writer.reserve_id(path, hashes[path])
        return ids

    def _parse(
        self,
        writer: IndexWriter,
        paths: list[str],
        ids: dict[str, str],
        indexed: dict[str, ReportInfo],
        jobs: int,
        limits: Limits,
    ) -> dict[str, str | None]:
        """Parse the files, each worker indexing its reports; return {path: month} added."""
        self.emit(Event(PLANNED, count=len(paths)))
        # {path: month} of the reports taken; each must reach a written segment.
        taken: dict[str, str | None] = {}
        built: set[str] = set()
        builder = writer.segment_builder(len(paths), jobs)
        indexer = _WorkerIndexer(builder, {path: ids[path] for path in paths})
        batch = builder.reports_per_segment
        # closing(): stopped half-way (Ctrl-C, a full disk), the workers go at once.
        with fewer_collections(), closing(parse_many(paths, jobs, limits, indexer, batch)) as items:
            for item in items:
                if isinstance(item, Finished):
                    self._list_segment(writer, item)
                    built.update(item.paths)
                elif self._take(item, indexed, taken):
                    taken[item.path] = item.report.month
        for path in sorted(set(taken) - built):  # never expected: parse_many parses lost work again
            self._retract(path, indexed, taken, reasons.LOST_WITH_WORKER)
        return taken

    def _list_segment(self, writer: IndexWriter, finished: Finished) -> None:
        if finished.disk_full:
            raise DiskFull(self.index.path)
        if finished.error:
            raise IndexCorrupt(f"cannot write a segment: {finished.error}")
        if finished.result is not None:
            writer.add_built(finished.result)

    def _take(self, outcome: Outcome, indexed: dict[str, ReportInfo], taken: dict) -> bool:
        path, report = outcome.path, outcome.report
        if outcome.disk_full:
            raise DiskFull(self.index.path)
        if report is None:
            if path in taken:  # parsed again after its worker died, and failed this time
                self._retract(path, indexed, taken, outcome.error or _NO_REASON)
            elif all(p != path for p, _ in self.summary.failed):  # not failed already
                # (a file that is not a report, then lost with its worker, comes back)
                self.fail(path, outcome.error or _NO_REASON)
            return False
        if NO_STRUCTURE in report.warnings:
            self.fail(path, NOT_A_REPORT)
            return False
        if path in indexed:
            self.summary.updated += 1
        else:
            self.summary.added += 1
        self.emit(Event(PARSED, path))
        if NO_MONTH in report.warnings:
            self.warn(f"{path}: {NO_MONTH}", path)
        return True

    def _retract(self, path: str, indexed: dict[str, ReportInfo], taken: dict, reason: str) -> None:
        # A file reported added whose report did not reach the index after all.
        del taken[path]
        if path in indexed:
            self.summary.updated -= 1
        else:
            self.summary.added -= 1
        self.fail(path, reason)

    def _carry_over(
        self, writer: IndexWriter, found: list[str], indexed: dict[str, ReportInfo]
    ) -> dict[str, str | None]:
        """In a rebuild, put back the indexed version of every found file that failed."""
        failed = {path for path, _ in self.summary.failed}
        kept: dict[str, str | None] = {}
        for path in found:
            info = indexed.get(path)
            if path in failed and info is not None:
                report = self.index.stored_report(info.id)
                if report is not None:
                    writer.add_report(report, info.id)
                    kept[path] = info.month
        return kept

    def _check_months(self, final: dict[str, str | None], parsed: set[str]) -> None:
        """Warn about every month that a file parsed in this run shares with another file."""
        by_month: dict[str, list[str]] = {}
        for source, month in sorted(final.items()):
            if month:
                by_month.setdefault(month, []).append(source)
        for month, sources in sorted(by_month.items()):
            if len(sources) > 1 and parsed.intersection(sources):
                self.warn(
                    f"{len(sources)} files claim month {month} (all kept): {', '.join(sources)}"
                )


class _WorkerIndexer:
    """What each parsing worker does with a report: index it into its own segments.

    A file that is not a monthly report is left out here, as `_take` fails it.
    """

    def __init__(self, builder: ReportBuilder, ids: dict[str, str]):
        self.builder = builder
        self.ids = ids

    def __call__(self, path: str, report: Report) -> None:
        if NO_STRUCTURE not in report.warnings:
            self.builder.add(report, self.ids[path])

    def finish(self) -> BuiltReports | None:
        return self.builder.finish()

    def discard(self) -> None:
        self.builder.discard()


def _is_report_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in REPORT_SUFFIXES


def _under(source: str, roots: list[str]) -> bool:
    return any(source == root or source.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


_NO_REASON = reasons.CANNOT_PARSE.format(error="no reason given")


def _ignore(event: Event) -> None:
    return None
