"""Parsing many files in worker processes, each file under a time limit.

Workers live for the whole batch (their start-up, imports included, is paid
once). The parent hands each idle worker one path at a time and watches the
clock: a worker whose file runs past the limit is killed and replaced, the
file reported, and the batch goes on. A worker that dies (a crash inside a
PDF library) is reported the same way.

A worker may also keep what it makes of its reports (a `Collector`, such as
the index's segment builder) and hand it over when told to finish. The work
a worker kept since its last finish dies with it (or is dropped when the
collector fails on a file): those files are parsed again by another worker,
and only the file that stopped it fails. A file lost that way twice fails too.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Protocol

from . import reasons
from .dates import warm_up
from .holds import hold
from .models import IngestError, Report
from .pipeline import DEFAULT_LIMITS, Limits, load_report

# Worker processes are started by a fork server: safe beside threads (a progress
# bar) in the parent, and cheap to replace after a kill.
START_METHOD = "forkserver"
# Modules the fork server imports before it forks any worker (the readers too: each
# worker would import them again with its first file).
PRELOAD = ["ingest.pipeline", "ingest.pdf", "ingest.html"]
# What a worker sends once its imports are done and it can take files.
READY = "ready"
# What the parent sends a worker to have its collector hand over what it kept
# (not a string: it can never be a path).
FINISH = ("finish",)
# A file whose kept work was lost with this many workers fails instead of going back.
MAX_LOSSES = reasons.MAX_LOSSES
LOST_TOO_OFTEN = reasons.LOST_TOO_OFTEN
# A worker's garbage collector thresholds (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (20_000, 10, 10)
# How long to wait for a killed worker to go away.
KILL_GRACE = 5.0


@dataclass(frozen=True)
class Outcome:
    """What became of one file: a report, or a one-line reason it failed."""

    path: str
    report: Report | None
    error: str | None
    seconds: float
    # The worker's collector failed on this file and dropped what it kept.
    dropped: bool = False
    # ...because the disk is full: the run's problem, not the file's.
    disk_full: bool = False


class Collector(Protocol):
    """What a worker does with each report it parses, kept in the worker until told to finish.

    Called with each (path, report); it must pickle (it is sent to the workers).
    """

    def __call__(self, path: str, report: Report) -> None: ...

    def finish(self) -> object:
        """Hand over (it must pickle) what was kept since the last finish, and start afresh."""

    def discard(self) -> None:
        """Drop what was kept since the last finish (called after a call failed)."""


@dataclass(frozen=True)
class Finished:
    """What a worker's collector handed over: the result of its finish() and the
    files (parsed by that worker since its previous finish) the result covers.
    error: a one-line reason when finish() failed."""

    result: object
    paths: tuple[str, ...]
    error: str | None = None
    disk_full: bool = False


def default_jobs() -> int:
    """The number of worker processes to use by default: one per CPU."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_one(path: str, limits: Limits, collector: Collector | None = None) -> Outcome:
    """Parse one file in this process (no time limit), then give the report to the collector."""
    hold(f"parse-{os.path.basename(path)}")
    start = time.perf_counter()
    try:
        report = load_report(path, limits)
    except IngestError as exc:
        return Outcome(path, None, exc.reason, time.perf_counter() - start)
    if collector is not None:
        try:
            collector(path, report)
        except Exception as exc:  # the caller's code failing on this report
            reason = reasons.CANNOT_PREPARE.format(error=f"{type(exc).__name__}: {exc}")
            collector.discard()  # what it kept may be half-changed: start afresh
            seconds = time.perf_counter() - start
            full = reasons.is_disk_full(exc)
            return Outcome(path, None, reason, seconds, dropped=True, disk_full=full)
    return Outcome(path, report, None, time.perf_counter() - start)


def _work(conn: Connection, limits: Limits, collector: Collector | None) -> None:
    """A worker's loop: say it is ready, then parse each path it is sent.

    Ctrl-C is the parent's to handle (it stops the workers); a worker whose
    parent is gone (killed) leaves quietly.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Library start-up is paid before the first file, not inside its time limit.
    warm_up()
    try:
        with fewer_collections():
            conn.send(READY)
            while (message := conn.recv()) is not None:
                if message == FINISH:
                    conn.send(_finish(collector))
                else:
                    conn.send(parse_one(message, limits, collector))
    except (EOFError, OSError):
        return


def _finish(collector: Collector) -> Finished:
    """Run a collector's finish(); the parent fills in the paths."""
    try:
        return Finished(collector.finish(), ())
    except Exception as exc:  # the caller's code failing (a full disk, say)
        return Finished(None, (), f"{type(exc).__name__}: {exc}", reasons.is_disk_full(exc))


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Leave what exists now out of garbage collection, and collect less often, until done.

    Parsing, and taking parsed reports in, makes many short-lived objects: this
    makes a worker about 15% faster.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Hold back SIGINT while worker processes start.

    The fork server (and so every worker forked from it) starts with the
    signal mask of the process that started it: with SIGINT blocked it never
    sees a Ctrl-C, not even in the moments before a worker ignores it. A Ctrl-C
    that came meanwhile reaches this process when the block ends.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _Worker:
    def __init__(self, context, limits: Limits, collector: Collector | None) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, limits, collector), daemon=True)
        with _sigint_blocked():
            self.process.start()
        child.close()
        self.ready = False
        self.path: str | None = None
        self.started = 0.0
        self.deadline = 0.0
        # Files whose work the worker's collector keeps, and whether
        # it was told to finish and has not answered yet.
        self.kept: list[str] = []
        self.finishing = False

    @property
    def busy(self) -> bool:
        return self.path is not None or self.finishing

    def give(self, path: str, seconds: float) -> None:
        self.path, self.started = path, time.perf_counter()
        self.deadline = self.started + seconds
        self.conn.send(path)

    def finish(self, seconds: float) -> None:
        # Finishing may take as long as the files it covers may each take to parse.
        self.finishing, self.started = True, time.perf_counter()
        self.deadline = self.started + seconds * len(self.kept)
        self.conn.send(FINISH)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(KILL_GRACE)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(KILL_GRACE)
        if self.process.is_alive():
            self.kill()


@dataclass
class _Queue:
    """Files still to parse, and those to parse again because a worker died with their work."""

    pending: list[str]
    again: set[str] = field(default_factory=set)
    losses: dict[str, int] = field(default_factory=dict)

    def lost(self, worker: _Worker) -> list[str]:
        """Put back the files whose work the worker kept; return those lost too often."""
        given_up = []
        for path in worker.kept:
            self.losses[path] = self.losses.get(path, 0) + 1
            if self.losses[path] >= MAX_LOSSES:
                given_up.append(path)
            else:
                self.again.add(path)
                self.pending.append(path)
        worker.kept = []
        return given_up


def parse_many(
    paths: Iterable[str],
    jobs: int,
    limits: Limits = DEFAULT_LIMITS,
    collector: Collector | None = None,
    finish_every: int | None = None,
) -> Iterator[Outcome | Finished]:
    """Parse files in `jobs` worker processes; yields outcomes as files finish.

    collector: what each worker does with the reports it parses (such as
    indexing them), so that work runs in parallel too; a failure in it is a
    failure of the file. It keeps its work in the worker: each worker is told
    to finish once it has parsed finish_every files (if given) since its last
    finish, and once no file is left for it; each finish is yielded as
    `Finished`. A finish may take as long as its files' parses may. A file
    whose kept work was lost (its worker died or was stopped, or the collector
    failed on a later file) is parsed again, and its outcome is not yielded a
    second time unless it fails then; lost MAX_LOSSES times, it fails.
    """
    queue = _Queue(list(paths))
    queue.pending.reverse()
    if not queue.pending:
        return
    collects = collector is not None
    context = multiprocessing.get_context(START_METHOD)
    # The fork server imports the parsers once; each worker (and each replacement
    # of a killed one) is a fork of it, ready in milliseconds.
    context.set_forkserver_preload(PRELOAD + ([collector.__module__] if collector else []))
    count = max(1, min(jobs, len(queue.pending)))
    workers = [_Worker(context, limits, collector) for _ in range(count)]

    def next_task(index: int) -> None:
        worker = workers[index]
        due = finish_every is not None and len(worker.kept) >= finish_every
        try:
            if worker.kept and (due or not queue.pending):
                worker.finish(limits.seconds)
            elif queue.pending:
                worker.give(queue.pending.pop(), limits.seconds)
        except OSError:  # the worker died after its last answer: its task goes back
            if worker.path is not None:
                queue.pending.append(worker.path)
            worker.path, worker.finishing = None, False
            lost.extend(replace(index))

    def replace(index: int) -> list[str]:
        """Replace a worker; return the files lost with it too often to try again."""
        workers[index].kill()
        given_up = queue.lost(workers[index])
        workers[index] = _Worker(context, limits, collector)
        return given_up

    # Files lost with their workers too often: they fail.
    lost: list[str] = []

    try:
        while queue.pending or lost or any(w.busy or w.kept for w in workers):
            while lost:
                yield Outcome(lost.pop(), None, LOST_TOO_OFTEN, 0.0)
            for index, worker in enumerate(workers):
                if worker.ready and not worker.busy:
                    next_task(index)
            waiting = [w for w in workers if w.busy or not w.ready]
            if not waiting:
                continue
            deadlines = [w.deadline for w in waiting if w.busy]
            timeout = max(0.0, min(deadlines) - time.perf_counter()) if deadlines else None
            ready = wait([w.conn for w in waiting], timeout=timeout)
            for index, worker in enumerate(workers):
                elapsed = time.perf_counter() - worker.started
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        if not worker.busy:
                            raise RuntimeError("parser worker processes cannot start") from None
                        if worker.path is not None:
                            code = worker.process.exitcode
                            reason = reasons.CRASHED.format(code=code)
                            yield Outcome(worker.path, None, reason, elapsed)
                        lost.extend(replace(index))
                        continue
                    if message == READY:
                        worker.ready = True
                        continue
                    if isinstance(message, Finished):
                        worker.finishing = False
                        kept, worker.kept = tuple(worker.kept), []
                        next_task(index)
                        yield Finished(message.result, kept, message.error, message.disk_full)
                        continue
                    worker.path = None
                    if message.dropped:
                        lost.extend(queue.lost(worker))
                    elif collects and message.report is not None:
                        worker.kept.append(message.path)
                    next_task(index)  # the worker goes on while the caller takes this one
                    if message.path in queue.again and message.report is not None:
                        continue  # its outcome was yielded before its work was lost
                    yield message
                elif worker.busy and time.perf_counter() >= worker.deadline:
                    path = worker.path
                    lost.extend(replace(index))
                    if path is not None:
                        reason = reasons.TIME_LIMIT.format(seconds=limits.seconds)
                        yield Outcome(path, None, reason, elapsed)
    except BaseException:
        # Stopped (Ctrl-C, or the caller gave up): the workers go at once,
        # whatever they are parsing.
        for worker in workers:
            worker.kill()
        raise
    else:
        for worker in workers:
            worker.stop()
