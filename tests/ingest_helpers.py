"""Helpers shared by the bulk-ingest tests: run the CLI, fingerprint an index state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from search import MAX_PER_PAGE, Index, SearchRequest, health, search
from tests.conftest import ROOT

CLI_TIMEOUT = 180
SUMMARY_PATTERN = (
    r"added {added}, updated {updated}, removed {removed}, "
    r"unchanged {unchanged}, failed {failed} in \d+\.\d\d s"
)


def cli(*args: str | os.PathLike, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """Start `python -m dmreports ARGS` from the project folder (not waited for)."""
    options = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) | kwargs
    return subprocess.Popen(
        [sys.executable, "-m", "dmreports", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        **options,
    )


def run_cli(*args: str | os.PathLike, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m dmreports ARGS` to the end and return its status and output."""
    return subprocess.run(
        [sys.executable, "-m", "dmreports", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def summary_re(added=0, updated=0, removed=0, unchanged=0, failed=0) -> str:
    """The regular expression of an ingest's closing summary line with these counts."""
    counts = dict(added=added, updated=updated, removed=removed, unchanged=unchanged)
    return SUMMARY_PATTERN.format(**counts, failed=failed)


def state(index_dir: Path) -> tuple:
    """What one search (one index snapshot) sees: every milestone row, and the month counts.

    Returns (total, sorted (doc id, month, due) of the rows, month facet counts).
    """
    request = SearchRequest(kind=["milestone"], per_page=MAX_PER_PAGE)
    result = search(Index.open(index_dir), request)
    assert result.total <= MAX_PER_PAGE, "too many rows for one page: use fewer reports"
    rows = tuple(sorted((hit.id, hit.month, hit.due) for hit in result.hits))
    months = tuple((v.value, v.count) for v in result.facets["month"].values)
    return result.total, rows, months


def generation(index_dir: Path) -> str:
    """The index's CURRENT pointer, as written."""
    return (Path(index_dir) / "CURRENT").read_text()


class KeepMonths:
    """A batch collector (ingest.batch.Collector): keeps (file name, month) in the
    worker until told to finish."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, str | None]] = []

    def __call__(self, path: str, report) -> None:
        self.kept.append((Path(path).name, report.month))

    def finish(self) -> list[tuple[str, str | None]]:
        kept, self.kept = self.kept, []
        return kept

    def discard(self) -> None:
        self.kept = []


class KeepMonthsFailingOnBad(KeepMonths):
    """KeepMonths that fails on files whose name starts with "bad" (after keeping a
    half-made entry, as a collector failing half-way would)."""

    def __call__(self, path: str, report) -> None:
        super().__call__(path, report)
        if Path(path).name.startswith("bad"):
            raise ValueError("half-way")


def write_long_pdf(path: Path) -> Path:
    """A valid 300-page PDF full of text: its parse takes well over a second."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    for page in range(300):
        c.setFont("Helvetica", 9)
        for line in range(60):
            c.drawString(40, 750 - line * 12, f"Page {page} line {line} " + "lorem ipsum " * 9)
        c.showPage()
    c.save()
    return path


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# A run that never reaches its hold point fails the test after this long (a safety
# net only: the tests wait for the hold point itself, never for time to pass).
HOLD_TIMEOUT = 120


class Holds:
    """Hold points (ingest/holds.py) of the runs started with `env`: the test stops a run
    where it wants, knows it is there, and lets it go on (or not)."""

    def __init__(self, folder: Path) -> None:
        from ingest.holds import HOLD_ENV

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.env = {HOLD_ENV: str(folder)}

    def at(self, name: str, keep: bool = True) -> None:
        """Stop runs at hold point `name`; keep: they stay there until `release`."""
        os.mkfifo(self.folder / name)
        if keep:
            os.mkfifo(self.folder / f"{name}.release")

    def reached(self, name: str, process: subprocess.Popen) -> int:
        """Wait until a process of the run is held at `name`; return that process's pid."""
        import threading

        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append((self.folder / name).read_text()))
        reader.start()
        deadline = time.monotonic() + HOLD_TIMEOUT
        # Joined a second at a time only to notice a run that ended without getting there.
        while reader.is_alive() and process.poll() is None and time.monotonic() < deadline:
            reader.join(1.0)
        if reader.is_alive():
            # An end of file after whatever the run wrote: unblocks the reader.
            with open(os.open(self.folder / name, os.O_WRONLY | os.O_NONBLOCK), "w"):
                pass
            reader.join()
        if not answer or not answer[0].strip():
            raise AssertionError(
                f"the run did not reach hold point {name} (exit status {process.poll()})"
            )
        return int(answer[0])

    def release(self, name: str) -> None:
        """Let the process held at `name` go on."""
        with open(self.folder / f"{name}.release", "w"):
            pass


def count_checksums(monkeypatch) -> list[str]:
    """The names of the files checksummed from now on (search/health.py), in order."""
    read: list[str] = []
    crc32 = health._crc32

    def counting(path, size):
        read.append(path.name)
        return crc32(path, size)

    monkeypatch.setattr(health, "_crc32", counting)
    return read
