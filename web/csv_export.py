"""CSV twins of the lists a user takes to a spreadsheet: streamed, one row at a time.

Each `.csv` route answers with a header row and every row of its list (a
search's hits are not paged here). Text cells a spreadsheet would run as a
formula (starting with =, +, -, @) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, request, stream_with_context

CSV_MIMETYPE = "text/csv"
CSV_SUFFIX = ".csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HIT_COLUMNS: tuple[str, ...] = ("report", "month", "wbs", "part", "title", "page", "url", "keys")
REF_COLUMNS: tuple[str, ...] = ("key", "kind", "sections", "first_month", "last_month", "url")
MILESTONE_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "group",
    "status",
    "latest_due",
    "expected",
    "first_month",
    "last_month",
    "reports",
    "slips",
    "pull_ins",
    "slip_days",
    "url",
)
HISTORY_COLUMNS: tuple[str, ...] = (
    "month",
    "report",
    "due",
    "previous_due",
    "change",
    "shift_days",
    "expected",
    "status",
    "group",
    "title",
    "note",
    "url",
)
# Columns of free text from the reports (the only ones a formula could hide in).
TEXT_COLUMNS = frozenset({"title", "note", "group", "status", "expected"})


def absolute(path: str) -> str:
    """Return a path of this site as an absolute URL (a spreadsheet has no base URL)."""
    return request.host_url.rstrip("/") + path


def safe_cell(value) -> str:
    """Return a text cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows_csv(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """Yield a header line, then one CSV line per row (dict keyed by column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Sequence) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(columns)
    for row in rows:
        yield line(
            [safe_cell(row.get(c)) if c in TEXT_COLUMNS else _plain(row.get(c)) for c in columns]
        )


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def csv_response(name: str, columns: Sequence[str], rows: Iterable[dict]) -> Response:
    """Stream rows as a CSV download named name.csv."""
    response = Response(stream_with_context(rows_csv(columns, rows)), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}{CSV_SUFFIX}"'
    response.headers["Content-Type"] = f"{CSV_MIMETYPE}; charset=utf-8"
    return response
