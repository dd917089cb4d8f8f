"""Each generation's history store: what the pages over time read, by key.

A generation folder holds the store in files that, like Whoosh's segments,
are written once and never changed:

- parts, `history-part-NNNNNN.sqlite`: the rows of the reports one write
  added, hard-linked into every later generation that keeps them:
  `report_json` (each report's parsed JSON, zlib), `docs` (its sections, text
  zlib-compressed, and milestone rows as the pages show them), `mentions` (each identifier
  mention, by key and month), `wbs` (each section under every WBS element it
  falls under, its own code and each ancestor, with the child element it is
  in), `wbs_months` (the reports with text under each element, by month, with
  how many sections), `labels` (each report's WBS titles);
- `history.sqlite`, small, one per generation (copied from the previous one
  and changed): the parts it reads, the reports removed from each part
  (`removed`), every report's file facts (`reports`), and what is worked out
  over all reports at ingest: each milestone's overview line (`milestones`:
  first and last month, latest due date, slips; one row each, read by key and
  LIMIT in any order the list offers), each element's children
  (`wbs_elements`) and title (`wbs_labels`).

A reader opens `history.sqlite`, attaches the parts and reads each table of
the parts as one view (a report removed from a part is filtered out). An
incremental ingest writes one new part with the reports it adds, copies the
small file and records the reports it removed; unchanged reports are neither
parsed nor rewritten, and no part is copied. Parts are merged into the new one
(their live rows copied) when they are small beside it or mostly removed, so
an index has a few parts of about doubling sizes (never more than
MAX_PARTS). Each file is in the generation's MANIFEST (search/health.py) like
any other; a write that fails is deleted with its generation folder.

The rows of a report are made where it is parsed (`report_rows`, in the
parsing workers).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.models import Reference, Report

from .documents import _section_references, report_docs, stored_common
from .errors import IndexCorrupt
from .models import Doc, MilestoneEntry, ReportInfo
from .schema import KIND_MILESTONE, KIND_REPORT, KIND_SECTION, canonical_wbs, wbs_ancestors

HISTORY_FILE = "history.sqlite"
PART_PREFIX = "history-part-"
PART_SUFFIX = ".sqlite"
# Bump when a table changes (the index schema version is bumped with it).
STORE_VERSION = 3
MILESTONE_SUMMARY_TITLE = "Milestone Summary"
# Pages each file of a reader keeps in its own cache (KiB, SQLite's negative
# cache_size): a reader's memory is bounded; the kernel's page cache, shared
# by every worker, holds the rest.
READER_CACHE_KIB = 512
# Parts a generation reads at most (SQLite attaches at most 10 files to one connection).
MAX_PARTS = 8
# An older part is merged into the new one when it has at most this many times
# the new one's reports, or when at least half of its reports are removed.
MERGE_RATIO = 2
# zlib level of the stored report JSON (read only to put a report back in a
# rebuild): level 9 made it a fifth smaller than 3 at four times the cost.
JSON_LEVEL = 3
# zlib level of a section's text (decompressed for the sections a page shows),
# and its window: 2 KiB, as long as most sections. Setting up zlib's default
# 32 KiB window cost more than compressing a section's few hundred bytes; the
# small window made the texts of the real report no larger and compressing them
# three times cheaper. A small window is recorded in the stream's header, so
# zlib.decompress reads texts written with either alike.
TEXT_LEVEL = 6
TEXT_WBITS = 11
# Parts of a section counted per month in a WBS element's summary.
COUNTED_PARTS = ("accomplishments", "planned", "recruitment")

_MAIN_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parts (name TEXT PRIMARY KEY, reports INTEGER NOT NULL);
CREATE TABLE removed (part TEXT NOT NULL, report TEXT NOT NULL, PRIMARY KEY (part, report));
CREATE TABLE reports (
    id TEXT PRIMARY KEY, sort TEXT NOT NULL, month TEXT, title TEXT NOT NULL,
    source TEXT NOT NULL, sha256 TEXT NOT NULL, pages INTEGER NOT NULL, part TEXT NOT NULL
);
CREATE INDEX reports_by_month ON reports (sort, id);
CREATE TABLE milestones (
    id TEXT PRIMARY KEY, natural TEXT NOT NULL, title TEXT NOT NULL, grp TEXT, status TEXT,
    latest_due TEXT, expected TEXT, first_month TEXT, last_month TEXT,
    reports INTEGER NOT NULL, slips INTEGER NOT NULL, pull_ins INTEGER NOT NULL,
    slip_days INTEGER NOT NULL
);
CREATE INDEX milestones_by_id ON milestones (natural);
CREATE INDEX milestones_by_due ON milestones (coalesce(latest_due, '9999'), natural);
CREATE INDEX milestones_by_slips ON milestones (slips DESC, natural);
CREATE INDEX milestones_by_slip_days ON milestones (slip_days DESC, natural);
CREATE INDEX milestones_by_group ON milestones (coalesce(grp, ''), natural);
CREATE TABLE wbs_elements (code TEXT PRIMARY KEY, children TEXT NOT NULL);
CREATE TABLE wbs_labels (code TEXT PRIMARY KEY, title TEXT NOT NULL);
"""
_PART_TABLES = """
CREATE TABLE report_json (id TEXT PRIMARY KEY, report BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE docs (
    report TEXT NOT NULL, sort TEXT NOT NULL, ord INTEGER NOT NULL, id TEXT NOT NULL,
    kind TEXT NOT NULL, wbs TEXT, wbs_title TEXT, part TEXT, title TEXT NOT NULL,
    text BLOB NOT NULL, page INTEGER, refs TEXT NOT NULL, milestone_id TEXT, due TEXT,
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
CREATE TABLE wbs (
    code TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL, ord INTEGER NOT NULL,
    child TEXT
);
CREATE INDEX wbs_by_code ON wbs (code, report, ord);
CREATE TABLE wbs_months (
    code TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL, sections INTEGER NOT NULL
);
CREATE INDEX wbs_months_by_code ON wbs_months (code, sort, report);
CREATE TABLE labels (code TEXT NOT NULL, sort TEXT NOT NULL, report TEXT NOT NULL,
    title TEXT NOT NULL);
CREATE INDEX labels_by_code ON labels (code, sort, report);
"""
# Each table of the parts and the column naming its report.
PART_TABLES: dict[str, str] = {
    "report_json": "id",
    "docs": "report",
    "mentions": "report",
    "wbs": "report",
    "wbs_months": "report",
    "labels": "report",
}
_DOC_COLUMNS = (
    "d.id, d.kind, d.report, r.month, d.wbs, d.wbs_title, d.part, d.title, d.text, d.page, "
    "r.source, d.refs, d.milestone_id, d.due, d.expected, d.grp, d.status"
)
_MENTION_COLUMNS = (
    "m.key, m.kind, r.month, m.report, m.doc_id, m.section_title, m.wbs, m.wbs_title, "
    "m.part, m.page, m.context, r.source"
)
_INFO_COLUMNS = "id, month, title, source, sha256, pages"
_SUMMARY_COLUMNS = (
    "id, title, grp, status, latest_due, expected, first_month, last_month, reports, slips, "
    "pull_ins, slip_days"
)
# The orders of the milestone list: SQL ORDER BY of each (ties by natural ID order).
MILESTONE_ORDERS: dict[str, str] = {
    "id": "natural",
    "due": "coalesce(latest_due, '9999'), natural",
    "slips": "slips DESC, natural",
    "slip_days": "slip_days DESC, natural",
    "group": "coalesce(grp, ''), natural",
}
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
    # (code, sections counted) of each element the report has text under.
    wbs_months: tuple[tuple[str, int], ...] = ()
    # (code, title) of each element the report names.
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def milestone_ids(self) -> set[str]:
        """The milestones the report's tables list."""
        return {row[12] for row in self.docs if row[12]}

    @property
    def wbs_codes(self) -> set[str]:
        """The WBS elements the report has text under."""
        return {row[0] for row in self.wbs}


# --- a report's rows ---------------------------------------------------------------


def report_rows(report: Report, report_id: str, docs: list[dict] | None = None) -> ReportRows:
    """Return the rows a report adds to the history store.

    docs: the report's index documents when the caller has them already
    (`report_docs` with head=False, or with its head document last).
    """
    info = ReportInfo(
        id=report_id,
        month=report.month,
        title=report.title,
        source=report.source,
        sha256=report.sha256,
        pages=report.pages,
    )
    sort = report.month or ""
    if docs is None:
        docs = list(report_docs(report, report_id, head=False))
    docs = [_doc(fields) for fields in docs if fields["kind"] != KIND_REPORT]
    sections = tuple(d for d in docs if d.kind == KIND_SECTION)
    rows = tuple(d for d in docs if d.kind == KIND_MILESTONE)
    doc_rows = tuple(
        (
            report_id, sort, order, d.id, d.kind, d.wbs, d.wbs_title, d.part, d.title,
            zlib.compress(d.text.encode(), TEXT_LEVEL, TEXT_WBITS), d.page,
            json.dumps(list(d.references)),
            d.milestone_id, d.due, d.expected, d.group, d.status,
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
    counted: dict[str, int] = {}
    labels: dict[str, str] = {}
    for order, d in enumerate(docs):
        if d.kind == KIND_SECTION and d.wbs:
            codes = wbs_ancestors(d.wbs)
            for i, code in enumerate(codes):
                child = codes[i + 1] if i + 1 < len(codes) else None
                wbs_rows.append((code, sort, report_id, order, child))
                counted[code] = counted.get(code, 0) + (d.part in COUNTED_PARTS)
            if d.wbs_title:
                labels[d.wbs] = d.wbs_title
    blob = zlib.compress(json.dumps(report.to_dict(), ensure_ascii=False).encode(), JSON_LEVEL)
    return ReportRows(
        info,
        blob,
        doc_rows,
        mention_rows,
        tuple(wbs_rows),
        tuple(sorted(counted.items())),
        tuple(sorted(labels.items())),
    )


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
    section_title, wbs_title, part = None, None, ref.part
    if doc is not None and doc.kind == KIND_MILESTONE:
        section_title = MILESTONE_SUMMARY_TITLE
    elif doc is not None:
        section_title, wbs_title = doc.title, doc.wbs_title
        wbs, part = doc.wbs or wbs, doc.part or ref.part
    return Mention(
        key=ref.key,
        kind=ref.kind,
        month=info.month,
        report=info.id,
        doc_id=doc.id if doc else None,
        section_title=section_title,
        wbs=wbs,
        wbs_title=wbs_title,
        part=part,
        page=ref.page,
        context=ref.context,
        source=info.source,
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


def is_store_file(name: str) -> bool:
    """Whether a file of a generation folder is the history store's (its small file or a part)."""
    return name == HISTORY_FILE or (name.startswith(PART_PREFIX) and name.endswith(PART_SUFFIX))


def is_copied_store_file(name: str) -> bool:
    """Whether a generation's file is the store's small file (or its journal): copied, not linked.

    A new generation changes its small file, so it never shares the old one's
    inode; the parts never change and are linked.
    """
    return HISTORY_FILE in name


def natural_key(text: str) -> str:
    """Return a text that sorts IDs naturally (LDM-503-2 before LDM-503-10), as SQLite sorts."""
    parts = text.replace("-", " ").split()
    return "\x01".join(p.zfill(12) if p.isdigit() else p for p in parts)


# --- reading -----------------------------------------------------------------------


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _open(path: Path, writable: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(
        path.resolve().as_uri() + ("?mode=rwc" if writable else "?mode=ro&immutable=1"),
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )


class _Parts:
    """The parts a connection to a generation's small file reads, attached, as one set of views."""

    def __init__(self, db: sqlite3.Connection, folder: Path, writable: str | None = None):
        self.db = db
        self.folder = folder
        self.writable = writable
        self.attached: dict[str, str] = {}  # part name -> schema name

    def attach(self, name: str) -> str:
        """Attach a part (read-only unless it is the one being written); return its schema."""
        schema = self.attached.get(name)
        if schema is None:
            used = set(self.attached.values())
            schema = next(f"p{n}" for n in range(len(used) + 1) if f"p{n}" not in used)
            path = self.folder / name
            if name == self.writable:
                uri = path.resolve().as_uri() + "?mode=rwc"
            else:
                if not path.is_file():
                    raise FileNotFoundError(f"no history part {path}")
                uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
            self.db.execute("ATTACH DATABASE ? AS " + schema, (uri,))
            self.db.execute(f"PRAGMA {schema}.cache_size = -{READER_CACHE_KIB}")
            self.attached[name] = schema
        return schema

    def detach(self, name: str) -> None:
        """Detach a part (its schema name is free again)."""
        schema = self.attached.pop(name)
        self.db.execute(f"DETACH DATABASE {schema}")

    def views(self, names: Sequence[str]) -> None:
        """(Re)make each part table a temporary view over the parts named, removed reports out."""
        removed: dict[str, list[str]] = {}
        for part, report in self.db.execute("SELECT part, report FROM main.removed"):
            removed.setdefault(part, []).append(report)
        for table, column in PART_TABLES.items():
            arms = []
            for name in names or [""]:
                arm = f"SELECT * FROM {self.attach(name) if name else self.empty()}.{table}"
                gone = removed.get(name)
                if gone:
                    arm += f" WHERE {column} NOT IN ({', '.join(map(_quoted, sorted(gone)))})"
                arms.append(arm)
            self.db.execute(f"DROP VIEW IF EXISTS temp.{table}")
            self.db.execute(f"CREATE TEMP VIEW {table} AS " + " UNION ALL ".join(arms))

    def empty(self) -> str:
        """An empty in-memory part (the views of a store with no reports read it)."""
        if "" not in self.attached:
            self.db.execute("ATTACH DATABASE ':memory:' AS pempty")
            _script(self.db, _in_schema(_PART_TABLES, "pempty"))
            self.attached[""] = "pempty"
        return "pempty"


def _script(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript would commit the writer's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _in_schema(script: str, schema: str) -> str:
    return script.replace("CREATE TABLE ", f"CREATE TABLE {schema}.").replace(
        "CREATE INDEX ", f"CREATE INDEX {schema}."
    )


class HistoryReader:
    """One generation's history store, open read-only (its files never change)."""

    def __init__(self, path: Path, generation: int):
        if not path.is_file():
            raise FileNotFoundError(f"no history store {path}")
        self.path = path
        self.generation = generation
        # Derived once per reader: the report months, the WBS labels.
        self.cache: dict = {}
        try:
            self._db = _open(path)
            self._db.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
            self._check()
            _Parts(self._db, path.parent).views(self.parts())
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"cannot read the history store {path}: {exc}") from exc

    def close(self) -> None:
        """Close the files (a later read opens nothing: make a new reader)."""
        self._db.close()

    def _check(self) -> None:
        _check_version(self._db, self.path)

    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(f"cannot read the history store {self.path}: {exc}") from exc

    def query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        """Rows of a read-only SQL query over the store's tables (the parts' read as one)."""
        return self._rows(sql, args)

    def parts(self) -> list[str]:
        """The part files the generation reads, oldest first."""
        return [name for (name,) in self._rows("SELECT name FROM main.parts ORDER BY name")]

    # reports

    def reports(self) -> tuple[ReportInfo, ...]:
        """Every report, oldest month first (then by id)."""
        rows = self._rows(f"SELECT {_INFO_COLUMNS} FROM main.reports ORDER BY sort, id")
        return tuple(ReportInfo(*row) for row in rows)

    def months(self) -> tuple[str, ...]:
        """The months of the reports, oldest first."""
        if "months" not in self.cache:
            rows = self._rows(
                "SELECT DISTINCT month FROM main.reports WHERE month IS NOT NULL ORDER BY month"
            )
            self.cache["months"] = tuple(row[0] for row in rows)
        return self.cache["months"]

    def report_info(self, report_id: str) -> ReportInfo | None:
        """One report's file facts, or None."""
        rows = self._rows(f"SELECT {_INFO_COLUMNS} FROM main.reports WHERE id = ?", (report_id,))
        return ReportInfo(*rows[0]) if rows else None

    def report(self, report_id: str) -> Report | None:
        """One report as it was parsed, or None."""
        rows = self._rows("SELECT report FROM report_json WHERE id = ?", (report_id,))
        if not rows:
            return None
        return Report.from_dict(json.loads(zlib.decompress(rows[0][0])))

    def neighbours(self, info: ReportInfo) -> tuple[ReportInfo | None, ReportInfo | None]:
        """The reports just before and just after one, in month order."""
        # Row values walk the (sort, id) index from the report, one row each way.
        key = (info.month or "", info.id)
        before = self._rows(
            f"SELECT {_INFO_COLUMNS} FROM main.reports WHERE (sort, id) < (?, ?) "
            "ORDER BY sort DESC, id DESC LIMIT 1",
            key,
        )
        after = self._rows(
            f"SELECT {_INFO_COLUMNS} FROM main.reports WHERE (sort, id) > (?, ?) "
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
                f"SELECT {_DOC_COLUMNS} FROM docs d JOIN main.reports r ON r.id = d.report "
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
                f"SELECT {_MENTION_COLUMNS} FROM mentions m JOIN main.reports r "
                "ON r.id = m.report WHERE m.key = ? ORDER BY m.sort, m.report, m.seq",
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
            "JOIN main.reports r ON r.id = d.report "
            "WHERE d.milestone_id = ? ORDER BY d.sort, d.report, d.ord",
            (milestone_id,),
        )
        out = []
        for row in rows:
            doc = _doc_of(row[:17])
            out.append((doc, ReportInfo(doc.report, doc.month, row[17], doc.source, *row[18:])))
        return out

    def milestone_count(self) -> int:
        """How many milestones some report's table lists."""
        return self._rows("SELECT count(*) FROM main.milestones")[0][0]

    def milestones(
        self, order: str = "id", start: int = 0, count: int | None = None
    ) -> list[MilestoneSummary]:
        """Overview lines in one of MILESTONE_ORDERS: `count` (all when None) from `start`."""
        rows = self._rows(
            f"SELECT {_SUMMARY_COLUMNS} FROM main.milestones "
            f"ORDER BY {MILESTONE_ORDERS[order]} LIMIT ? OFFSET ?",
            (-1 if count is None else count, start),
        )
        return [MilestoneSummary(*row) for row in rows]

    def iter_milestones(self, order: str = "id", batch: int = 200) -> Iterator[MilestoneSummary]:
        """Every overview line in an order, read `batch` lines at a time (a streamed list)."""
        start = 0
        while True:
            lines = self.milestones(order, start, batch)
            yield from lines
            if len(lines) < batch:
                return
            start += batch

    # WBS elements

    def wbs_reports(self, code: str) -> list[tuple[str, str]]:
        """(month sort key, report id) of every report with a section at or below code."""
        return [row[:2] for row in self.wbs_counts(code)]

    def wbs_counts(self, code: str) -> list[tuple[str, str, int]]:
        """(month sort key, report id, sections counted) of each report with text under code."""
        return self._rows(
            "SELECT sort, report, sections FROM wbs_months WHERE code = ? ORDER BY sort, report",
            (code,),
        )

    def wbs_children(self, code: str) -> list[str]:
        """The elements one level below code that some report has a section under."""
        rows = self._rows("SELECT children FROM main.wbs_elements WHERE code = ?", (code,))
        return json.loads(rows[0][0]) if rows else []

    def wbs_labels(self) -> dict[str, str]:
        """{canonical WBS code: title}, the newest report's title winning."""
        if "labels" not in self.cache:
            self.cache["labels"] = dict(self._rows("SELECT code, title FROM main.wbs_labels"))
        return self.cache["labels"]

    def wbs_docs(self, code: str, report_ids: Sequence[str]) -> dict[str, list[Doc]]:
        """{report: its sections at or below code, in its order} for the given reports."""
        out: dict[str, list[Doc]] = {rid: [] for rid in report_ids}
        if not report_ids:
            return out
        marks = ", ".join("?" * len(report_ids))
        wanted: dict[str, list[int]] = {}
        for report, order in self._rows(
            f"SELECT report, ord FROM wbs WHERE code = ? AND report IN ({marks}) "
            "ORDER BY report, ord",
            (code, *report_ids),
        ):
            wanted.setdefault(report, []).append(order)
        for report, orders in wanted.items():
            # Only the rows shown, through the (report, ord) index of each part.
            for row in self._rows(
                f"SELECT {_DOC_COLUMNS} FROM docs d JOIN main.reports r ON r.id = d.report "
                f"WHERE d.report = ? AND d.ord IN ({', '.join('?' * len(orders))}) "
                "ORDER BY d.ord",
                (report, *orders),
            ):
                out[report].append(_doc_of(row))
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
        text=zlib.decompress(text).decode(),
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
    """A new generation's history store: one new part, the small file copied and changed.

    path is the new generation's `history.sqlite`; base the previous one's
    (whose parts are already linked into the new folder), or None for a new
    store. Nothing is synced or kept unless `commit` runs; the generation
    folder of a write that fails is deleted with its files.
    """

    def __init__(self, path: Path, base: Path | None = None):
        self.path = path
        self.folder = path.parent
        fresh = base is None or not base.is_file()
        if not fresh:
            shutil.copyfile(base, path)
        # Milestones and WBS elements whose rows changed: worked out again at commit.
        self._touched: set[str] = set()
        self._touched_codes: set[str] = set()
        self._merged: list[str] = []
        # The files are written once, in one transaction, then only read: no journal
        # (a write that fails is thrown away with its generation folder).
        self._db = _open(path, writable=True)
        with self._writing() as db:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            if fresh:
                db.executescript(_MAIN_TABLES)
                db.execute(
                    "INSERT INTO meta (name, value) VALUES ('version', ?), ('parts', '0')",
                    (str(STORE_VERSION),),
                )
            else:
                _check_version(db, path)
            number = int(db.execute("SELECT value FROM meta WHERE name = 'parts'").fetchone()[0])
            self.part = f"{PART_PREFIX}{number + 1:06d}{PART_SUFFIX}"
            db.execute("UPDATE meta SET value = ? WHERE name = 'parts'", (str(number + 1),))
            self._parts = _Parts(db, self.folder, writable=self.part)
            self._new = self._parts.attach(self.part)
            db.execute(f"PRAGMA {self._new}.journal_mode = OFF")
            db.execute(f"PRAGMA {self._new}.synchronous = OFF")
            _script(db, _in_schema(_PART_TABLES, self._new))
            db.execute("BEGIN")

    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        return self._db.execute(sql, args).fetchall()

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
        row = db.execute("SELECT part FROM main.reports WHERE id = ?", (report_id,)).fetchone()
        if row is None:
            return
        part = row[0]
        schema = self._parts.attach(part)
        rows = db.execute(
            f"SELECT DISTINCT milestone_id FROM {schema}.docs "
            "WHERE report = ? AND milestone_id IS NOT NULL",
            (report_id,),
        ).fetchall()
        self._touched.update(r[0] for r in rows)
        codes = db.execute(f"SELECT code FROM {schema}.wbs_months WHERE report = ?", (report_id,))
        self._touched_codes.update(r[0] for r in codes.fetchall())
        db.execute("DELETE FROM main.reports WHERE id = ?", (report_id,))
        if part == self.part:  # added earlier in this write
            for table, column in PART_TABLES.items():
                db.execute(f"DELETE FROM {schema}.{table} WHERE {column} = ?", (report_id,))
        else:
            db.execute("INSERT INTO main.removed (part, report) VALUES (?, ?)", (part, report_id))

    def add(self, rows: ReportRows) -> None:
        """Add a report's rows (its id must not be in the store)."""
        with self._writing() as db:
            self._add(db, rows)

    def _add(self, db: sqlite3.Connection, rows: ReportRows) -> None:
        info, new = rows.info, self._new
        sort = info.month or ""
        db.execute(
            "INSERT INTO main.reports (id, sort, month, title, source, sha256, pages, part) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.id, sort, info.month, info.title, info.source, info.sha256, info.pages,
                self.part,
            ),
        )  # fmt: skip
        db.execute(f"INSERT INTO {new}.report_json VALUES (?, ?)", (info.id, rows.report))
        db.executemany(f"INSERT INTO {new}.docs VALUES ({', '.join('?' * 17)})", rows.docs)
        db.executemany(f"INSERT INTO {new}.mentions VALUES ({', '.join('?' * 12)})", rows.mentions)
        db.executemany(f"INSERT INTO {new}.wbs VALUES (?, ?, ?, ?, ?)", rows.wbs)
        db.executemany(
            f"INSERT INTO {new}.wbs_months VALUES (?, ?, ?, ?)",
            [(code, sort, info.id, n) for code, n in rows.wbs_months],
        )
        db.executemany(
            f"INSERT INTO {new}.labels VALUES (?, ?, ?, ?)",
            [(code, sort, info.id, title) for code, title in rows.labels],
        )
        self._touched.update(rows.milestone_ids)
        self._touched_codes.update(code for code, _ in rows.wbs_months)
        self._touched_codes.update(code for code, _ in rows.labels)

    def _merge(self, db: sqlite3.Connection) -> list[str]:
        """Copy the live rows of the parts due for merging into the new part; return the kept."""
        live = dict(self._rows("SELECT part, count(*) FROM main.reports GROUP BY part"))
        gone = dict(self._rows("SELECT part, count(*) FROM main.removed GROUP BY part"))
        old = [name for (name,) in self._rows("SELECT name FROM main.parts ORDER BY name")]
        size = live.get(self.part, 0)
        for name in sorted(old, key=lambda n: (live.get(n, 0), n)):
            mostly_removed = 2 * gone.get(name, 0) >= live.get(name, 0) + gone.get(name, 0)
            if live.get(name, 0) <= MERGE_RATIO * size or mostly_removed:
                self._merged.append(name)
                size += live.get(name, 0)
        kept = [n for n in old if n not in self._merged]
        while len(kept) + 1 > MAX_PARTS:
            smallest = min(kept, key=lambda n: (live.get(n, 0), n))
            kept.remove(smallest)
            self._merged.append(smallest)
        for name in self._merged:
            schema = self._parts.attach(name)
            for table, column in PART_TABLES.items():
                db.execute(
                    f"INSERT INTO {self._new}.{table} SELECT * FROM {schema}.{table} "
                    f"WHERE {column} NOT IN (SELECT report FROM main.removed WHERE part = ?)",
                    (name,),
                )
            db.execute("UPDATE main.reports SET part = ? WHERE part = ?", (self.part, name))
            db.execute("DELETE FROM main.removed WHERE part = ?", (name,))
            db.execute("DELETE FROM main.parts WHERE name = ?", (name,))
        return kept

    def commit(self) -> None:
        """Merge parts, work out the changed milestones, elements and labels; write, close."""
        with self._writing() as db:
            kept = self._merge(db)
            (reports,) = db.execute(
                "SELECT count(*) FROM main.reports WHERE part = ?", (self.part,)
            ).fetchone()
            if reports:
                db.execute(
                    "INSERT INTO main.parts (name, reports) VALUES (?, ?)", (self.part, reports)
                )
                kept.append(self.part)
            self._parts.views(kept)
            self._summaries(db)
            db.execute("COMMIT")
            db.close()
        for name in self._merged:
            (self.folder / name).unlink(missing_ok=True)
        if self.part not in kept:
            (self.folder / self.part).unlink(missing_ok=True)

    def _summaries(self, db: sqlite3.Connection) -> None:
        reader = _WriterView(db)
        for milestone_id in sorted(self._touched):
            entries = milestone_entries(reader.milestone_rows(milestone_id))
            db.execute("DELETE FROM main.milestones WHERE id = ?", (milestone_id,))
            if entries:
                line = asdict(summarize(milestone_id, entries))
                db.execute(
                    f"INSERT INTO main.milestones (natural, {_SUMMARY_COLUMNS}) "
                    f"VALUES ({', '.join('?' * 13)})",
                    (natural_key(milestone_id), *line.values()),
                )
        for code in sorted(self._touched_codes):
            children = db.execute(
                "SELECT DISTINCT child FROM wbs WHERE code = ? AND child IS NOT NULL "
                "ORDER BY child",
                (code,),
            ).fetchall()
            db.execute("DELETE FROM main.wbs_elements WHERE code = ?", (code,))
            if children:
                db.execute(
                    "INSERT INTO main.wbs_elements (code, children) VALUES (?, ?)",
                    (code, json.dumps([c for (c,) in children])),
                )
            title = db.execute(
                "SELECT title FROM labels WHERE code = ? ORDER BY sort DESC, report DESC LIMIT 1",
                (code,),
            ).fetchone()
            db.execute("DELETE FROM main.wbs_labels WHERE code = ?", (code,))
            if title:
                db.execute("INSERT INTO main.wbs_labels VALUES (?, ?)", (code, title[0]))

    def cancel(self) -> None:
        """Drop the files' connection (the caller deletes the folder)."""
        self._db.close()


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
    if row is None or row[0] != str(STORE_VERSION):
        raise IndexCorrupt(
            f"history store {path} has version {row and row[0]}, "
            f"this version needs {STORE_VERSION}: rebuild the index"
        )


class _WriterView(HistoryReader):
    """The reading queries, over the writer's own connection (inside its transaction)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self.path = Path("<writing>")
        self.cache = {}
