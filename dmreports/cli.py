"""The `dmreports` command: each command checks its options, makes one library call, prints."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import click

from dmreports import bulk
from dmreports.config import PROJECT_ROOT, index_path, instance_path
from dmreports.entry import EXIT_INTERRUPTED, INTERRUPTED, stop_now
from ingest.batch import default_jobs
from ingest.models import IngestError
from ingest.pipeline import DEFAULT_LIMITS, Limits, load_report
from ingest.structure import NO_STRUCTURE
from search import (
    FACETS,
    MAX_PER_PAGE,
    SORTS,
    Index,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    SearchError,
    SearchRequest,
)
from search import search as run_search

EXIT_FAILED_FILES = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


class _Commands(click.Group):
    """The command group: a usage error is one line, not click's usage block.

    `dmreports search --sort up` prints `dmreports search: Invalid value for
    '--sort': ... (see `dmreports search --help`)` and exits 2.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        prog_name = prog_name or self.name  # `dmreports`, however Python was started
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            path = exc.ctx.command_path if exc.ctx is not None else prog_name
            click.echo(f"{path}: {exc.format_message()} (see `{path} --help`)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"{prog_name}: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            _fail(INTERRUPTED, EXIT_INTERRUPTED)
        sys.exit(status if isinstance(status, int) else 0)


@click.group(
    cls=_Commands, name="dmreports", context_settings={"help_option_names": ["-h", "--help"]}
)
def main() -> None:
    """Search the LSST Data Management monthly reports."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--indent", default=2, show_default=True, help="JSON indentation (0: one line).")
def parse(file: str, indent: int) -> None:
    """Parse one report (PDF or HTML) and print it as JSON.

    Example: dmreports parse corpus/lsst-dm-monthly-report-2017-10.pdf
    """
    try:
        report = load_report(file)
    except IngestError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    for warning in report.warnings:
        if warning == NO_STRUCTURE:
            click.echo(f"{file}: warning: {warning}", err=True)
    click.echo(json.dumps(report.to_dict(), indent=indent or None, ensure_ascii=False))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--index",
    "index_dir",
    help="Index folder (default: $DMREPORTS_INDEX, else "
    "<instance>/index; instance: $DMREPORTS_INSTANCE, else instance/).",
)
@click.option("--full", is_flag=True, help="Rebuild the index from scratch from these paths.")
@click.option("--jobs", type=click.IntRange(min=1), help="Parser processes [default: one per CPU].")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_LIMITS.seconds,
    show_default=True,
    help="Seconds one file may take to parse before it is stopped.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMITS.pages,
    show_default=True,
    help="Pages a PDF may have.",
)
@click.option(
    "--max-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_LIMITS.megabytes,
    show_default=True,
    help="Megabytes a file may have.",
)
def ingest(
    paths: tuple[Path, ...],
    index_dir: str | None,
    full: bool,
    jobs: int | None,
    time_limit: float,
    max_pages: int,
    max_mb: float,
) -> None:
    """Index the PDF and HTML reports in folders (and files); only changes are processed.

    Unchanged files are skipped, changed ones replaced, files gone from PATHS
    removed. Exit status: 0, 1 if a file failed, 2 on a usage or index error,
    3 if another ingest holds the index, 130 when interrupted.

    Example: dmreports ingest corpus/ --index instance/index
    """
    limits = Limits(seconds=time_limit, pages=max_pages, megabytes=max_mb)
    roots = list(paths) or [DEFAULT_CORPUS]
    signal.signal(signal.SIGINT, _interrupt_once)
    try:
        with _IngestLog(progress=sys.stderr.isatty()) as log:
            summary = bulk.run_ingest(
                roots, index_path(index_dir), full=full, jobs=jobs, limits=limits, on_event=log
            )
    except IndexBusy as exc:
        _fail(f"index busy: {exc}", EXIT_BUSY)
    except (IndexDamaged, bulk.DiskFull) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except (SearchError, bulk.BulkError, OSError, RuntimeError) as exc:
        _fail(f"ingest failed, index unchanged: {exc}", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        # The workers are stopped and the half-built generation removed by now.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _fail(INTERRUPTED, EXIT_INTERRUPTED)
    click.echo(summary.line())
    sys.exit(EXIT_FAILED_FILES if summary.failed else 0)


def _interrupt_once(signum, frame) -> None:
    """Ctrl-C during an ingest: unwind (stopping the workers, removing the half-built
    generation); a second Ctrl-C while that runs ends the process at once."""
    signal.signal(signal.SIGINT, stop_now)
    raise KeyboardInterrupt


class _IngestLog:
    """Shows an ingest's events: a progress bar on a terminal, plain lines otherwise."""

    def __init__(self, progress: bool) -> None:
        self.progress = None
        self.task = None
        if progress:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.progress = Progress(
                "{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _IngestLog:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, event: bulk.Event) -> None:
        if event.kind == bulk.PLANNED:
            if self.progress is not None:
                self.task = self.progress.add_task("parsing", total=event.count)
            return
        if event.kind in (bulk.PARSED, bulk.FAILED) and self.task is not None:
            self.progress.advance(self.task)
        if event.kind == bulk.PARSED:
            return
        if event.kind == bulk.FAILED:
            self._err(f"FAILED {event.path}: {event.message}")
        elif event.kind in (bulk.WARNING, bulk.NOTICE):
            self._err(f"{event.kind}: {event.message}")
        elif self.progress is None:
            click.echo(f"{event.kind} {event.path}")

    def _err(self, line: str) -> None:
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            click.echo(line, err=True)


def _fail(message: str, status: int) -> None:
    click.echo(message, err=True)
    sys.exit(status)


@contextmanager
def _index_errors() -> Iterator[None]:
    """A missing, outdated or damaged index (or a bad request): one line, exit 2."""
    try:
        yield
    except IndexOutdated as exc:
        _fail(f"{exc} with `dmreports ingest --full`", EXIT_BAD_INPUT)
    except IndexMissing as exc:
        _fail(f"{exc}: build it with `dmreports ingest`", EXIT_BAD_INPUT)
    except SearchError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


@main.command("search")
@click.argument("query", default="")
@click.option("--index", "index_dir", help="Index folder (default as for ingest).")
@click.option("--wbs", multiple=True, help="WBS element, e.g. 02C.06 (repeat: any of them).")
@click.option("--month", multiple=True, help="Month YYYY-MM (repeat: any of them).")
@click.option("--year", multiple=True, help="Year YYYY (repeat: any of them).")
@click.option("--part", multiple=True, help="accomplishments, planned or recruitment.")
@click.option("--kind", multiple=True, help="section or milestone.")
@click.option("--ref-kind", multiple=True, help="Cites a jira, milestone, document or technote.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option(
    "--per-page",
    type=int,
    default=10,
    show_default=True,
    help=f"Hits per page (at most {MAX_PER_PAGE}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print hits and facets as JSON.")
def search_command(
    query: str,
    index_dir: str | None,
    sort: str,
    page: int,
    per_page: int,
    as_json: bool,
    **facets: tuple[str, ...],
) -> None:
    """Search the index and print the hits (or JSON with hits and facet counts).

    Example: dmreports search "image differencing" --month 2017-10 --part planned
    """
    with _index_errors():
        request = SearchRequest(q=query, sort=sort, page=page, per_page=per_page, **facets)
        result = run_search(Index.open(index_path(index_dir)), request)
    if as_json:
        click.echo(json.dumps(_result_json(result), indent=2, ensure_ascii=False))
        return
    for line in _result_lines(result):
        click.echo(line)


def _result_json(result) -> dict:
    request = result.request
    return {
        "query": request.q,
        "total": result.total,
        "page": request.page,
        "per_page": request.per_page,
        "pages": result.pages,
        "sort": request.sort,
        "suggestion": result.suggestion,
        "notice": result.notice,
        "hits": [asdict(hit) for hit in result.hits],
        "facets": {
            name: [asdict(value) for value in facet.values]
            for name, facet in result.facets.items()
            if name in FACETS
        },
    }


def _result_lines(result) -> list[str]:
    request = result.request
    lines = []
    if result.notice:
        lines.append(f"note: {result.notice}")
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    shown = f", page {request.page} of {result.pages}" if result.pages > 1 else ""
    lines.append(f"{result.total} hit{'s' if result.total != 1 else ''}{shown}")
    for hit in result.hits:
        where = hit.wbs or (hit.milestone_id and "milestone") or "-"
        page = f"p. {hit.page}" if hit.page else ""
        title = hit.title
        if hit.milestone_id:
            title = f"{hit.milestone_id}: {title}" + (f" (due {hit.due})" if hit.due else "")
        lines.append("  ".join(filter(None, (hit.month or "-", where, hit.part, title, page))))
        if hit.snippet_text:
            lines.append(f"    {' '.join(hit.snippet_text.split())}")
    return lines


@main.command()
@click.option("--index", "index_dir", help="Index folder (default as for ingest).")
def check(index_dir: str | None) -> None:
    """Verify the index: every file of its current generation against the sizes and
    checksums written when it was committed, then read every report's record.

    Exit status: 0 when the index is sound, 2 when it is damaged or missing
    (the line says how to rebuild it).

    Example: dmreports check --index instance/index
    """
    index = Index(index_path(index_dir))
    with _index_errors():
        found = index.check()
        reports = len(index.report_files())
    size = f"{found.bytes / 1e6:.1f} MB"
    what = f"{found.files} files, {size}, {reports} report{'s' if reports != 1 else ''}"
    if found.verified:
        click.echo(f"index ok: {found.generation} ({what}; sizes and checksums verified)")
    else:
        click.echo(
            f"index ok: {found.generation} ({what}; read, but not verified: it was written "
            "before checksums were kept, and the next ingest that changes it adds them)"
        )


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8


@main.command()
@click.option("--index", "index_dir", help="Index folder (default as for ingest).")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, help="Port."
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=DEFAULT_THREADS,
    show_default=True,
    help="Requests served at once.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Server processes  [default: one per CPU]",
)
def serve(index_dir: str | None, host: str, port: int, threads: int, workers: int | None) -> None:
    """Serve the search UI and JSON API with waitress (the app only reads the index).

    Example: dmreports serve --index instance/index --host 127.0.0.1 --port 8000
    """
    from dmreports import server
    from web import create_app

    folder = index_path(index_dir)
    if not Index(folder).exists():
        click.echo(f"{folder}: no index yet; pages answer 503 until `dmreports ingest`", err=True)
    app = create_app(folder, instance_path=instance_path())
    workers = workers or default_jobs()
    try:
        sockets = server.listen(host, port, workers)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else exc  # not "(while attempting...)"
        click.echo(f"cannot listen on {host}:{port}: {reason}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    port = sockets[0].getsockname()[1]
    click.echo(
        f"serving {folder} on http://{host}:{port}/ with {workers} worker processes (Ctrl-C stops)",
        err=True,
    )
    server.serve(app, sockets, threads)
