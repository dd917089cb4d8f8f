"""Parsing many files in worker processes, each file under a time limit.

Workers live for the whole batch (their start-up, imports included, is paid
once). The parent hands each idle worker one path at a time and watches the
clock: a worker whose file runs past the limit is killed and replaced, the
file reported, and the batch goes on. A worker that dies (a crash inside a
PDF library) is reported the same way.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from .dates import warm_up
from .models import IngestError, Report
from .pipeline import DEFAULT_LIMITS, Limits, load_report

# Worker processes are started by a fork server: safe beside threads (a progress
# bar) in the parent, and cheap to replace after a kill.
START_METHOD = "forkserver"
# A function of a file's path and its parsed report, run in the worker after the parse.
Prepare = Callable[[str, Report], object]
# Modules the fork server imports before it forks any worker.
PRELOAD = ["ingest.pipeline"]
# What a worker sends once its imports are done and it can take files.
READY = "ready"
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
    # What the caller's `prepare` made of the report in the worker (see parse_many).
    prepared: object = None


def default_jobs() -> int:
    """The number of worker processes to use by default: one per CPU."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_one(path: str, limits: Limits, prepare: Prepare | None = None) -> Outcome:
    """Parse one file in this process (no time limit), then prepare the report if asked."""
    start = time.perf_counter()
    try:
        report = load_report(path, limits)
    except IngestError as exc:
        return Outcome(path, None, exc.reason, time.perf_counter() - start)
    prepared = None
    if prepare is not None:
        try:
            prepared = prepare(path, report)
        except Exception as exc:  # the caller's code failing on this report
            reason = f"cannot be prepared for the index ({type(exc).__name__}: {exc})"
            return Outcome(path, None, reason, time.perf_counter() - start)
    return Outcome(path, report, None, time.perf_counter() - start, prepared)


def _work(conn: Connection, limits: Limits, prepare: Prepare | None) -> None:
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
            while (path := conn.recv()) is not None:
                conn.send(parse_one(path, limits, prepare))
    except (EOFError, OSError):
        return


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


class _Worker:
    def __init__(self, context, limits: Limits, prepare: Prepare | None) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, limits, prepare), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.path: str | None = None
        self.started = 0.0

    def give(self, path: str) -> None:
        self.path, self.started = path, time.perf_counter()
        self.conn.send(path)

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


def parse_many(
    paths: Iterable[str],
    jobs: int,
    limits: Limits = DEFAULT_LIMITS,
    prepare: Prepare | None = None,
) -> Iterator[Outcome]:
    """Parse files in `jobs` worker processes; yields outcomes as files finish.

    prepare: a picklable callable the workers apply to each (path, report),
    such as the index's analysis of the report, so that work runs in parallel
    too; its result, which must pickle, comes back as Outcome.prepared. A
    failure in it is a failure of the file.
    """
    pending = list(paths)
    pending.reverse()
    if not pending:
        return
    context = multiprocessing.get_context(START_METHOD)
    # The fork server imports the parsers once; each worker (and each replacement
    # of a killed one) is a fork of it, ready in milliseconds.
    context.set_forkserver_preload(PRELOAD + ([prepare.__module__] if prepare else []))
    workers = [_Worker(context, limits, prepare) for _ in range(max(1, min(jobs, len(pending))))]
    try:
        while pending or any(w.path for w in workers):
            for worker in workers:
                if worker.ready and worker.path is None and pending:
                    worker.give(pending.pop())
            waiting = [w for w in workers if w.path or not w.ready]
            deadlines = [w.started + limits.seconds for w in waiting if w.path]
            timeout = max(0.0, min(deadlines) - time.perf_counter()) if deadlines else None
            ready = wait([w.conn for w in waiting], timeout=timeout)
            for index, worker in enumerate(workers):
                elapsed = time.perf_counter() - worker.started
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        if worker.path is None:
                            raise RuntimeError("parser worker processes cannot start") from None
                        code = worker.process.exitcode
                        reason = f"parser crashed (exit code {code})"
                        yield Outcome(worker.path, None, reason, elapsed)
                        worker.kill()
                        workers[index] = _Worker(context, limits, prepare)
                        continue
                    if message == READY:
                        worker.ready = True
                        continue
                    worker.path = None
                    if pending:  # the worker parses on while the caller takes this one
                        worker.give(pending.pop())
                    yield message
                elif worker.path and elapsed >= limits.seconds:
                    path = worker.path
                    worker.kill()
                    workers[index] = _Worker(context, limits, prepare)
                    reason = f"parse exceeded the time limit ({limits.seconds:g} s)"
                    yield Outcome(path, None, reason, elapsed)
    finally:
        for worker in workers:
            worker.stop()
