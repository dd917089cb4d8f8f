"""The baselines of ingest speed: raw text from pypdfium2, words from pdfplumber; and the parse.

Each function reads the files one after another in one process and returns the wall time;
`isolated` runs one in a fresh interpreter, so that what the benchmark process holds by then
(indexes, reports, a large heap for the garbage collector to walk) does not slow it down.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2

from ingest.models import IngestError, Report
from ingest.pipeline import load_report

# Runs of the pypdfium2 baseline, the fastest kept: one run varies by a third.
PDFIUM_REPEATS = 3


@dataclass(frozen=True)
class Timing:
    """Wall time to process some files, and how many pages they had."""

    seconds: float
    files: int
    pages: int

    @property
    def per_page(self) -> float:
        """Seconds per page."""
        return self.seconds / self.pages if self.pages else 0.0


def isolated(function: Callable, *args):
    """Run function(*args) in a fresh Python process and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def pdfium_raw_text(paths: Sequence[Path]) -> Timing:
    """Open each PDF and pull every page's raw text (`get_text_range`), as cheaply as it gets."""
    pages = 0
    start = time.perf_counter()
    for path in paths:
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            for number in range(len(pdf)):
                page = pdf.get_page(number)
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
                pages += 1
        finally:
            pdf.close()
    return Timing(time.perf_counter() - start, len(paths), pages)


def pdfium_best(paths: Sequence[Path], repeats: int = PDFIUM_REPEATS) -> Timing:
    """The fastest of several `pdfium_raw_text` runs (the baseline, at its steadiest)."""
    return min((pdfium_raw_text(paths) for _ in range(repeats)), key=lambda t: t.seconds)


def pdfplumber_words(paths: Sequence[Path]) -> Timing:
    """Open each PDF with pdfplumber and run plain `extract_words` on every page."""
    pages = 0
    start = time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.close()
                pages += 1
    return Timing(time.perf_counter() - start, len(paths), pages)


def sample(paths: Sequence[Path], size: int) -> list[Path]:
    """Every k-th path, `size` of them, spread over the whole list."""
    if size >= len(paths):
        return list(paths)
    step = len(paths) / size
    return [paths[int(i * step)] for i in range(size)]


def parse_all(paths: Sequence[Path]) -> tuple[Timing, list[Report], list[str]]:
    """load_report() every file in this process: (timing, reports, one-line errors)."""
    reports: list[Report] = []
    errors: list[str] = []
    start = time.perf_counter()
    for path in paths:
        try:
            reports.append(load_report(path))
        except IngestError as exc:
            errors.append(str(exc))
    seconds = time.perf_counter() - start
    return Timing(seconds, len(paths), sum(r.pages for r in reports)), reports, errors
