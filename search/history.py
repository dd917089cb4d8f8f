"""Each generation's history store: what the pages over time read, by key.

One SQLite file, `history.sqlite`, in every generation folder, written by the
ingest before the generation is committed and never changed after. It holds:

- `reports`: each report's file facts and its whole parsed JSON (zlib), in
  month order (`sort` is the month, '' when the report has none);
- `docs`: each report's sections and milestone rows as the pages show them;
- `mentions`: each identifier mention, by key and month;
- `wbs`: each section under every WBS element it falls under (its own code
  and each ancestor), with the child element it is in; `wbs_months`: the
  reports with text under each element, by month; `wbs_elements`: each
  element's children, worked out at ingest;
- `milestones`: each milestone's overview line (latest listing, slips),
  worked out at ingest from its rows.

A page reads the rows of the keys it shows through the indexes; none parses
more than the reports it shows. An incremental ingest copies the previous
generation's file and applies the removed and added reports to it, report by
report; unchanged reports are neither parsed nor rewritten. The rows of a
report are made where it is parsed (`report_rows`, in the parsing workers).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ingest.models import Reference, Report

from .documents import _section_references, report_docs, stored_common
from .errors import IndexCorrupt
from .models import Doc, MilestoneEntry, ReportInfo
from .schema import KIND_MILESTONE, KIND_SECTION, canonical_wbs, wbs_ancestors

HISTORY_FILE = "history.sqlite"
# Bump when a table changes (the index schema version is bumped with it).
STORE_VERSION = 1
MILESTONE_SUMMARY_TITLE = "Milestone Summary"
# Pages a reader keeps in its own cache (KiB, SQLite's negative cache_size); the
# file is mapped, so the kernel's page cache, shared by every worker, holds the rest.
READER_CACHE_KIB = 1024
READER_MMAP_BYTES = 1 << 30

_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE reports (
    id TEXT PRIMARY KEY, sort TEXT NOT NULL, month TEXT, title TEXT NOT NULL,
    source TEXT NOT NULL, sha256 TEXT NOT NULL, pages INTEGER NOT NULL, report BLOB NOT NULL
);
CREATE INDEX reports_by_month ON reports (sort, id);
CREATE TABLE docs (
    report TEXT NOT NULL, sort TEXT NOT NULL, ord INTEGER NOT NULL, id TEXT NOT NULL,
    kind TEXT NOT NULL, wbs TEXT, wbs_title TEXT, part TEXT, title TEXT NOT NULL,
    text TEXT NOT NULL, page INTEGER, refs TEXT NOT NULL, milestone_id TEXT, due TEXT,
    expected TEXT, grp TEXT, status TEXT
);
CREATE INDEX docs_by_report ON docs (report, ord);
CREATE INDEX docs_by_milestone ON docs (milestone_id, sort, report, ord)
    WHERE milestone_id IS NOT NULL;
CREATE TABLE mentions (
    key TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL, seq INTEGER NOT NULL,
    kind TEXT NOT NULL, doc_id TEXT, section_title TEXT, wbs TEXT, wbs_title TEXT,
    part TEXT, page INTEGER, context TEXT NOT NULL
);
CREATE INDEX mentions_by_key ON mentions (key, sort, report, seq);
CREATE INDEX mentions_by_report ON mentions (report);
CREATE TABLE wbs (
    code TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL, ord INTEGER NOT NULL,
    child TEXT
);
CREATE INDEX wbs_by_code ON wbs (code, report, ord);
CREATE INDEX wbs_by_report ON wbs (report);
CREATE TABLE wbs_months (code TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL);
CREATE INDEX wbs_months_by_code ON wbs_months (code, sort, report);
CREATE INDEX wbs_months_by_report ON wbs_months (report);
CREATE TABLE wbs_elements (code TEXT PRIMARY KEY, children TEXT NOT NULL);
CREATE TABLE milestones (id TEXT PRIMARY KEY, summary TEXT NOT NULL);
"""
_DOC_COLUMNS = (
    "d.id, d.kind, d.report, r.month, d.wbs, d.wbs_title, d.part, d.title, d.text, d.page, "
    "r.source, d.refs, d.milestone_id, d.due, d.expected, d.grp, d.status"
)
_MENTION_COLUMNS = (
    "m.key, m.kind, r.month, m.report, m.doc_id, m.section_title, m.wbs, m.wbs_title, "
    "m.part, m.page, m.context, r.source"
)
_INFO_COLUMNS = "id, month, title, source, sha256, pages"
# How a milestone's due date changed from one report listing it to the next.
SLIPPED = "slipped"
PULLED_IN = "pulled in"
UNCHANGED = "unchanged"
CHANGES: tuple[str, ...] = (SLIPPED, PULLED_IN, UNCHANGED)


@dataclass(frozen=True)
class Mention:
    """One mention of an identifier in one report: its sentence and where it stands."""

    key: str
    kind: str
    month: str | None
    report: str
    doc_id: str | None
    section_title: str | None
    wbs: str | None
    wbs_title: str | None
    part: str | None
    page: int | None
    context: str
    source: str = ""


@dataclass(frozen=True)
class MilestoneSummary:
    """One milestone in the overview: its latest listing, its slips and pull-ins.

    slip_days is the total slip in days, every change summed (a pull-in counts
    negative), so it is the latest due date minus the first listed one.
    """

    id: str
    title: str
    group: str | None
    status: str | None
    latest_due: str | None
    expected: str | None
    first_month: str | None
    last_month: str | None
    reports: int
    slips: int
    pull_ins: int = 0
    slip_days: int = 0


@dataclass(frozen=True)
class ReportRows:
    """One report's rows of the history store (made where the report is parsed; pickles)."""

    info: ReportInfo
    report: bytes
    docs: tuple[tuple, ...]
    mentions: tuple[tuple, ...]
    wbs: tuple[tuple, ...]

    @property
    def milestone_ids(self) -> set[str]:
        """The milestones the report's tables list."""
        return {row[12] for row in self.docs if row[12]}

    @property
    def wbs_codes(self) -> set[str]:
        """The WBS elements the report has text under."""
        return {row[0] for row in self.wbs}


# --- a report's rows ---------------------------------------------------------------


def report_rows(report: Report, report_id: str) -> ReportRows:
    """Return the rows a report adds to the history store."""
    info = ReportInfo(
        id=report_id,
        month=report.month,
        title=report.title,
        source=report.source,
        sha256=report.sha256,
        pages=report.pages,
    )
    sort = report.month or ""
    docs = [_doc(fields) for fields in report_docs(report, report_id, head=False)]
    sections = tuple(d for d in docs if d.kind == KIND_SECTION)
    rows = tuple(d for d in docs if d.kind == KIND_MILESTONE)
    doc_rows = tuple(
        (
            report_id, sort, order, d.id, d.kind, d.wbs, d.wbs_title, d.part, d.title, d.text,
            d.page, json.dumps(list(d.references)), d.milestone_id, d.due, d.expected,
            d.group, d.status,
        )
        for order, d in enumerate(docs)
    )  # fmt: skip
    mention_rows = tuple(
        (
            m.key, sort, report_id, seq, m.kind, m.doc_id, m.section_title, m.wbs,
            m.wbs_title, m.part, m.page, m.context,
        )
        for seq, m in enumerate(report_mentions(info, report, sections, rows))
    )  # fmt: skip
    wbs_rows = []
    for order, d in enumerate(docs):
        if d.kind == KIND_SECTION and d.wbs:
            codes = wbs_ancestors(d.wbs)
            for i, code in enumerate(codes):
                child = codes[i + 1] if i + 1 < len(codes) else None
                wbs_rows.append((code, sort, report_id, order, child))
    blob = zlib.compress(json.dumps(report.to_dict(), ensure_ascii=False).encode(), 1)
    return ReportRows(info, blob, doc_rows, mention_rows, tuple(wbs_rows))


def _doc(fields: dict) -> Doc:
    text, expected = fields.get("text", ""), fields.get("expected")
    return Doc(**stored_common(fields), text=text, expected=expected)


def report_mentions(
    info: ReportInfo, report: Report, sections: tuple[Doc, ...], rows: tuple[Doc, ...]
) -> Iterator[Mention]:
    """Yield each identifier mention of a report with the section or row it stands in."""
    # Documents keep the report's order, so section i is report.sections[i].
    placed = _section_references(report)
    if len(placed) != len(sections):
        placed = [[] for _ in sections]
    where: dict[int, Doc] = {}
    for doc, refs in zip(sections, placed, strict=True):
        for ref in refs:
            where[id(ref)] = doc
    row_of = {d.milestone_id: d for d in rows}
    for ref in report.references:
        doc = where.get(id(ref))
        if ref.wbs is None and ref.key in row_of and ref.context.startswith(ref.key + ":"):
            doc = row_of[ref.key]
        yield _mention(info, ref, doc)


def _mention(info: ReportInfo, ref: Reference, doc: Doc | None) -> Mention:
    wbs = canonical_wbs(ref.wbs) if ref.wbs else None
    mention = Mention(
        key=ref.key,
        kind=ref.kind,
        month=info.month,
        report=info.id,
        doc_id=doc.id if doc else None,
        section_title=None,
        wbs=wbs,
        wbs_title=None,
        part=ref.part,
        page=ref.page,
        context=ref.context,
        source=info.source,
    )
    if doc is None:
        return mention
    if doc.kind == KIND_MILESTONE:
        return replace(mention, section_title=MILESTONE_SUMMARY_TITLE)
    return replace(
        mention,
        section_title=doc.title,
        wbs=doc.wbs or wbs,
        wbs_title=doc.wbs_title,
        part=doc.part or ref.part,
    )


# --- milestones --------------------------------------------------------------------


def classify_change(previous_due: str | None, due: str | None) -> tuple[str, int]:
    """Return how a due date moved and by how many days (later is positive).

    `("slipped", 61)` when it moved later, `("pulled in", -61)` when earlier,
    `("unchanged", 0)` when it stayed or either date is missing or no date.
    """
    before, after = _iso_day(previous_due), _iso_day(due)
    if before is None or after is None or before == after:
        return UNCHANGED, 0
    shift = (after - before).days
    return (SLIPPED if shift > 0 else PULLED_IN), shift


def _iso_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def milestone_entries(listings: Iterable[tuple[Doc, ReportInfo]]) -> tuple[MilestoneEntry, ...]:
    """Return a milestone's entries from its rows, oldest first, one per report (its first row)."""
    out: list[MilestoneEntry] = []
    last_due: str | None = None
    seen: set[str] = set()
    for doc, info in listings:
        if info.id in seen:
            continue
        seen.add(info.id)
        change, shift = classify_change(last_due, doc.due)
        out.append(
            MilestoneEntry(
                month=info.month,
                report=info.id,
                milestone_id=doc.milestone_id or "",
                title=doc.title,
                due=doc.due,
                expected=doc.expected,
                status=doc.status,
                group=doc.group,
                note=doc.text,
                slipped=change == SLIPPED,
                change=change,
                shift_days=shift,
            )
        )
        last_due = doc.due or last_due
    return tuple(out)


def summarize(milestone_id: str, entries: Sequence[MilestoneEntry]) -> MilestoneSummary:
    """Return a milestone's overview line from its entries (at least one)."""
    last = entries[-1]
    return MilestoneSummary(
        id=milestone_id,
        title=last.title,
        group=last.group,
        status=last.status,
        latest_due=last.due,
        expected=last.expected,
        first_month=entries[0].month,
        last_month=last.month,
        reports=len(entries),
        slips=sum(1 for e in entries if e.change == SLIPPED),
        pull_ins=sum(1 for e in entries if e.change == PULLED_IN),
        slip_days=sum(e.shift_days for e in entries),
    )


# --- reading -----------------------------------------------------------------------


class HistoryReader:
    """One generation's history store, open read-only (the file never changes)."""

    def __init__(self, path: Path, generation: int):
        if not path.is_file():
            raise FileNotFoundError(f"no history store {path}")
        self.path = path
        self.generation = generation
        # Derived once per reader: the milestone overview.
        self.cache: dict = {}
        try:
            self._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            self._db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
            self._db.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
            self._check()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"cannot read the history store {path}: {exc}") from exc

    def close(self) -> None:
        """Close the file (a later read opens nothing: make a new reader)."""
        self._db.close()

    def _check(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
        if row is None or row[0] != str(STORE_VERSION):
            raise IndexCorrupt(
                f"history store {self.path} has version {row and row[0]}, "
                f"this version needs {STORE_VERSION}: rebuild the index"
            )

    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"cannot read the history store {self.path}: {exc}") from exc

    # reports

    def reports(self) -> tuple[ReportInfo, ...]:
        """Every report, oldest month first (then by id)."""
        rows = self._rows(f"SELECT {_INFO_COLUMNS} FROM reports ORDER BY sort, id")
        return tuple(ReportInfo(*row) for row in rows)

    def report_info(self, report_id: str) -> ReportInfo | None:
        """One report's file facts, or None."""
        rows = self._rows(f"SELECT {_INFO_COLUMNS} FROM reports WHERE id = ?", (report_id,))
        return ReportInfo(*rows[0]) if rows else None

    def report(self, report_id: str) -> Report | None:
        """One report as it was parsed, or None."""
        rows = self._rows("SELECT report FROM reports WHERE id = ?", (report_id,))
        if not rows:
            return None
        return Report.from_dict(json.loads(zlib.decompress(rows[0][0])))

    def neighbours(self, info: ReportInfo) -> tuple[ReportInfo | None, ReportInfo | None]:
        """The reports just before and just after one, in month order."""
        # Row values walk the (sort, id) index from the report, one row each way.
        key = (info.month or "", info.id)
        before = self._rows(
            f"SELECT {_INFO_COLUMNS} FROM reports WHERE (sort, id) < (?, ?) "
            "ORDER BY sort DESC, id DESC LIMIT 1",
            key,
        )
        after = self._rows(
            f"SELECT {_INFO_COLUMNS} FROM reports WHERE (sort, id) > (?, ?) "
            "ORDER BY sort, id LIMIT 1",
            key,
        )
        return (
            ReportInfo(*before[0]) if before else None,
            ReportInfo(*after[0]) if after else None,
        )

    def docs(self, report_id: str) -> tuple[Doc, ...]:
        """One report's sections and milestone rows, in the report's order."""
        return tuple(
            _doc_of(row)
            for row in self._rows(
                f"SELECT {_DOC_COLUMNS} FROM docs d JOIN reports r ON r.id = d.report "
                "WHERE d.report = ? ORDER BY d.ord",
                (report_id,),
            )
        )

    # identifiers

    def mentions(self, key: str) -> tuple[Mention, ...]:
        """Every mention of one key, oldest month first, in each report's order."""
        return tuple(
            Mention(*row)
            for row in self._rows(
                f"SELECT {_MENTION_COLUMNS} FROM mentions m JOIN reports r ON r.id = m.report "
                "WHERE m.key = ? ORDER BY m.sort, m.report, m.seq",
                (key,),
            )
        )

    def keys_below(self, key: str) -> tuple[str, ...]:
        """The keys mentioned that extend a key (LDM-503-2 for LDM-503), sorted."""
        rows = self._rows(
            "SELECT DISTINCT key FROM mentions WHERE key > ? AND key < ? ORDER BY key",
            (key + "-", key + "."),
        )
        return tuple(row[0] for row in rows)

    # milestones

    def milestone_rows(self, milestone_id: str) -> list[tuple[Doc, ReportInfo]]:
        """Every table row listing a milestone, oldest month first, with its report."""
        rows = self._rows(
            f"SELECT {_DOC_COLUMNS}, r.title, r.sha256, r.pages FROM docs d "
            "JOIN reports r ON r.id = d.report "
            "WHERE d.milestone_id = ? ORDER BY d.sort, d.report, d.ord",
            (milestone_id,),
        )
        out = []
        for row in rows:
            doc = _doc_of(row[:17])
            out.append((doc, ReportInfo(doc.report, doc.month, row[17], doc.source, *row[18:])))
        return out

    def milestones(self) -> list[MilestoneSummary]:
        """Every milestone's overview line (unordered)."""
        if "milestones" not in self.cache:
            rows = self._rows("SELECT summary FROM milestones")
            self.cache["milestones"] = [MilestoneSummary(**json.loads(r[0])) for r in rows]
        return self.cache["milestones"]

    # WBS elements

    def wbs_reports(self, code: str) -> list[tuple[str, str]]:
        """(month sort key, report id) of every report with a section at or below code."""
        return self._rows(
            "SELECT sort, report FROM wbs_months WHERE code = ? ORDER BY sort, report", (code,)
        )

    def wbs_children(self, code: str) -> list[str]:
        """The elements one level below code that some report has a section under."""
        rows = self._rows("SELECT children FROM wbs_elements WHERE code = ?", (code,))
        return json.loads(rows[0][0]) if rows else []

    def wbs_docs(self, code: str, report_ids: Sequence[str]) -> dict[str, list[Doc]]:
        """{report: its sections at or below code, in its order} for the given reports."""
        out: dict[str, list[Doc]] = {rid: [] for rid in report_ids}
        if not report_ids:
            return out
        marks = ", ".join("?" * len(report_ids))
        rows = self._rows(
            f"SELECT {_DOC_COLUMNS} FROM wbs w "
            "JOIN docs d ON d.report = w.report AND d.ord = w.ord "
            "JOIN reports r ON r.id = w.report "
            f"WHERE w.code = ? AND w.report IN ({marks}) ORDER BY w.report, w.ord",
            (code, *report_ids),
        )
        for row in rows:
            out[row[2]].append(_doc_of(row))
        return out


def _doc_of(row: Sequence) -> Doc:
    (
        doc_id, kind, report, month, wbs, wbs_title, part, title, text, page, source, refs,
        milestone_id, due, expected, group, status,
    ) = row  # fmt: skip
    return Doc(
        id=doc_id,
        kind=kind,
        report=report,
        month=month,
        wbs=wbs,
        wbs_title=wbs_title,
        part=part,
        title=title,
        text=text,
        page=page,
        source=source,
        references=tuple(json.loads(refs)),
        milestone_id=milestone_id,
        due=due,
        expected=expected,
        group=group,
        status=status,
    )


# --- writing -----------------------------------------------------------------------


class HistoryWriter:
    """A new generation's history store: the previous one's copied, changed report by report.

    Nothing is synced or kept unless `commit` runs; the generation folder of
    a write that fails is deleted with the file.
    """

    def __init__(self, path: Path, base: Path | None = None):
        self.path = path
        fresh = base is None or not base.is_file()
        if not fresh:
            shutil.copyfile(base, path)
        # Milestones and WBS elements whose rows changed: worked out again at commit.
        self._touched: set[str] = set()
        self._touched_codes: set[str] = set()
        # A store is written once, in one transaction, then only read: no journal needed
        # (a write that fails is thrown away with its generation folder).
        self._db = sqlite3.connect(path, isolation_level=None)
        with self._writing() as db:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            if fresh:
                db.executescript(_TABLES)
                db.execute(
                    "INSERT INTO meta (name, value) VALUES ('version', ?)", (str(STORE_VERSION),)
                )
            db.execute("BEGIN")

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise IndexCorrupt(f"cannot write the history store {self.path}: {exc}") from exc

    def remove(self, report_id: str) -> None:
        """Remove every row of a report (nothing if it has none)."""
        with self._writing() as db:
            self._remove(db, report_id)

    def _remove(self, db: sqlite3.Connection, report_id: str) -> None:
        rows = db.execute(
            "SELECT DISTINCT milestone_id FROM docs WHERE report = ? AND milestone_id IS NOT NULL",
            (report_id,),
        ).fetchall()
        self._touched.update(row[0] for row in rows)
        codes = db.execute("SELECT code FROM wbs_months WHERE report = ?", (report_id,))
        self._touched_codes.update(row[0] for row in codes.fetchall())
        for table, column in (
            ("reports", "id"),
            ("docs", "report"),
            ("mentions", "report"),
            ("wbs", "report"),
            ("wbs_months", "report"),
        ):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (report_id,))

    def add(self, rows: ReportRows) -> None:
        """Add a report's rows (its id must not be in the store)."""
        with self._writing() as db:
            self._add(db, rows)

    def _add(self, db: sqlite3.Connection, rows: ReportRows) -> None:
        info = rows.info
        db.execute(
            "INSERT INTO reports (id, sort, month, title, source, sha256, pages, report) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.id, info.month or "", info.month, info.title, info.source, info.sha256,
                info.pages, rows.report,
            ),
        )  # fmt: skip
        db.executemany(f"INSERT INTO docs VALUES ({', '.join('?' * 17)})", rows.docs)
        db.executemany(f"INSERT INTO mentions VALUES ({', '.join('?' * 12)})", rows.mentions)
        db.executemany("INSERT INTO wbs VALUES (?, ?, ?, ?, ?)", rows.wbs)
        codes = sorted(rows.wbs_codes)
        sort = info.month or ""
        db.executemany(
            "INSERT INTO wbs_months VALUES (?, ?, ?)", [(c, sort, info.id) for c in codes]
        )
        self._touched.update(rows.milestone_ids)
        self._touched_codes.update(codes)

    def commit(self) -> None:
        """Work out the changed milestones' lines and elements' children; write, close."""
        with self._writing() as db:
            reader = _WriterView(db)
            for milestone_id in sorted(self._touched):
                entries = milestone_entries(reader.milestone_rows(milestone_id))
                if entries:
                    line = asdict(summarize(milestone_id, entries))
                    db.execute(
                        "INSERT OR REPLACE INTO milestones (id, summary) VALUES (?, ?)",
                        (milestone_id, json.dumps(line, ensure_ascii=False)),
                    )
                else:
                    db.execute("DELETE FROM milestones WHERE id = ?", (milestone_id,))
            for code in sorted(self._touched_codes):
                children = db.execute(
                    "SELECT DISTINCT child FROM wbs WHERE code = ? AND child IS NOT NULL "
                    "ORDER BY child",
                    (code,),
                ).fetchall()
                db.execute("DELETE FROM wbs_elements WHERE code = ?", (code,))
                if children:
                    db.execute(
                        "INSERT INTO wbs_elements (code, children) VALUES (?, ?)",
                        (code, json.dumps([c for (c,) in children])),
                    )
            db.execute("COMMIT")
            db.close()

    def cancel(self) -> None:
        """Drop the file's connection (the caller deletes the folder)."""
        self._db.close()


class _WriterView(HistoryReader):
    """The reading queries, over the writer's own connection (inside its transaction)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self.path = Path("<writing>")
        self.cache = {}
