"""What a parsing worker makes of the reports it parses: index segments and history rows.

`IndexWriter.segment_builder` makes a `ReportBuilder` for one write; the
ingest pickles it into its parsing workers, each worker adds the reports it
parses and, every `reports_per_segment` reports and at the end, hands over
what it built (`finish`), which the writer lists (`IndexWriter.add_built`):
the segments it wrote and each report's rows of the history store
(`search/history.py`), which the writer adds to its generation's store.
How many reports go into one segment is the index's decision, made here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.models import Report

from .history import ReportRows, report_rows
from .segment import BuiltSegment, SegmentBuilder, checked_docs

# Each parsing worker writes its reports into segments of at most this many...
MAX_SEGMENT_REPORTS = 64
# ...and at least this many (unless fewer are left): a worker's kept reports
# are parsed again if it is killed, and each segment costs every search a little.
MIN_SEGMENT_REPORTS = 16
# Segments each worker writes when the files allow.
SEGMENTS_PER_WORKER = 2


def reports_per_segment(files: int, workers: int) -> int:
    """Return how many reports a worker puts in one segment: two segments per worker, bounded."""
    share = -(-files // (SEGMENTS_PER_WORKER * max(1, workers)))
    return max(MIN_SEGMENT_REPORTS, min(MAX_SEGMENT_REPORTS, share))


@dataclass(frozen=True)
class BuiltReports:
    """What a `ReportBuilder` handed over: a written segment and its reports' history rows."""

    segment: BuiltSegment
    history: tuple[ReportRows, ...]

    @property
    def reports(self) -> tuple[tuple[str, str], ...]:
        """(report id, source) of each report built."""
        return self.segment.reports


class ReportBuilder:
    """Indexes reports into segments of one write's folder, in any process (it pickles)."""

    def __init__(self, segments: SegmentBuilder, reports_per_segment: int):
        self.segments = segments
        self.reports_per_segment = reports_per_segment
        self._rows: list[ReportRows] = []

    def __getstate__(self) -> dict:
        return {"segments": self.segments, "reports_per_segment": self.reports_per_segment}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def add(self, report: Report, report_id: str) -> None:
        """Index a report; ValueError, before anything is kept, for a field the index lacks."""
        docs = checked_docs(report, report_id)
        rows = report_rows(report, report_id, docs)
        self.segments.add(report, report_id, docs)
        self._rows.append(rows)

    def finish(self) -> BuiltReports | None:
        """Write what was added since the last finish; None if nothing was."""
        segment = self.segments.finish()
        rows, self._rows = tuple(self._rows), []
        return BuiltReports(segment, rows) if segment is not None else None

    def discard(self) -> None:
        """Drop what was added since the last finish (after an add failed half-way)."""
        self.segments.discard()
        self._rows = []
