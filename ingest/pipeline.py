"""`load_report(path)`: choose a reader by content, not by name, and parse."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import reasons
from .blocks import Layout
from .models import IngestError, Report
from .structure import parse_layout

SNIFF_BYTES = 4096
DEFAULT_SECONDS = 120.0
DEFAULT_PAGES = 1000
DEFAULT_MEGABYTES = 200.0


@dataclass(frozen=True)
class Limits:
    """Per-file limits: parse time (enforced by the worker pool), pages and size."""

    seconds: float = DEFAULT_SECONDS
    pages: int = DEFAULT_PAGES
    megabytes: float = DEFAULT_MEGABYTES


DEFAULT_LIMITS = Limits()


_HTML_SIGNS = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<body[\s>]|<head[\s>]|<h[1-6][\s>]|<p[\s>]", re.IGNORECASE
)


def sniff(data: bytes) -> str | None:
    """'pdf', 'html' or None, from the first bytes of a file."""
    head = data[:SNIFF_BYTES]
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if _HTML_SIGNS.search(head):
        return "html"
    return None


def read_layout(path: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Layout:
    """Run the reader that fits the file's content."""
    if not data:
        raise IngestError(path, reasons.EMPTY)
    kind = sniff(data)
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(path, data, max_pages=limits.pages)
    if kind == "html":
        from .html import read_html

        return read_html(path, data)
    raise IngestError(path, reasons.NOT_PDF_OR_HTML)


def load_report(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Report:
    """Parse one report file; raises IngestError with a one-line reason."""
    name = str(path)
    try:
        info = os.stat(path)
        special = reasons.special_file(info.st_mode)
        if special:  # never opened: opening a FIFO waits for a writer
            raise IngestError(name, special)
        size = info.st_size
        if size > limits.megabytes * 1e6:
            raise IngestError(name, reasons.TOO_LARGE.format(mb=size / 1e6, limit=limits.megabytes))
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise IngestError(name, reasons.IS_DIRECTORY) from None
    except OSError as exc:
        raise IngestError(name, reasons.SYSTEM_ERROR.format(strerror=exc.strerror or exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        layout = read_layout(name, data, limits)
        return parse_layout(layout, source=name, sha256=digest)
    except IngestError:
        raise
    except Exception as exc:  # a reader library failing on a malformed file
        error = f"{type(exc).__name__}: {exc}"
        raise IngestError(name, reasons.CANNOT_PARSE.format(error=error)) from exc
