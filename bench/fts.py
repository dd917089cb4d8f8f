"""The query baseline: the same sections in SQLite FTS5 (stdlib sqlite3), same searches.

The documents are exactly the ones search/ indexes (search.documents.report_docs). A search
is answered the way a careful SQLite implementation would: the text match (porter-stemmed
unicode61 tokens, bm25 with the same field weights) into a temporary table, then the page of
hits ordered by bm25 with snippet() highlights, the total, and every facet counted under the
other facets' selections but not its own (WBS counted over each code's ancestors, as the
Whoosh facet does). It does no spelling suggestion, which search/ does.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.models import Report
from search.documents import report_docs, slugify
from search.schema import SEARCH_KINDS, TITLE_BOOST, WBS_TITLE_BOOST, canonical_wbs, wbs_ancestors

from .queries import QuerySpec

PER_PAGE = 20
SNIPPET_TOKENS = 24
SCHEMA_SQL = """
CREATE TABLE docs(
    id INTEGER PRIMARY KEY, doc_id TEXT, report TEXT, kind TEXT, month TEXT, year TEXT,
    part TEXT, title TEXT, wbs_title TEXT, text TEXT, refs TEXT
);
CREATE TABLE doc_wbs(doc INTEGER, wbs TEXT);
CREATE TABLE doc_ref_kind(doc INTEGER, ref_kind TEXT);
CREATE VIRTUAL TABLE fts USING fts5(
    title, wbs_title, text, refs, content='docs', content_rowid='id', tokenize='porter unicode61'
);
"""
INDEX_SQL = """
CREATE INDEX docs_month ON docs(month);
CREATE INDEX docs_kind ON docs(kind);
CREATE INDEX doc_wbs_wbs ON doc_wbs(wbs, doc);
CREATE INDEX doc_wbs_doc ON doc_wbs(doc, wbs);
CREATE INDEX doc_ref_kind_doc ON doc_ref_kind(doc, ref_kind);
CREATE INDEX doc_ref_kind_kind ON doc_ref_kind(ref_kind, doc);
INSERT INTO fts(fts) VALUES ('optimize');
"""
# Facets kept as columns of the matched set; the others live in side tables (doc, value).
FACET_COLUMNS: tuple[str, ...] = ("month", "year", "part", "kind")
FACET_TABLES: dict[str, tuple[str, str]] = {
    "wbs": ("doc_wbs", "wbs"),
    "ref_kind": ("doc_ref_kind", "ref_kind"),
}
BM25 = f"bm25(fts, {TITLE_BOOST}, {WBS_TITLE_BOOST}, 1.0, 1.0)"


def build(reports: Sequence[Report], path: Path) -> float:
    """Write an FTS5 database of the reports' sections and milestones; return the seconds."""
    start = time.perf_counter()
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA_SQL)
        rowid = 0
        seen: set[str] = set()
        for report in reports:
            report_id = unique_report_id(report, seen)
            rows, wbs_rows, kind_rows = [], [], []
            for doc in report_docs(report, report_id):
                if doc["kind"] not in SEARCH_KINDS:
                    continue
                rowid += 1
                rows.append(
                    (
                        rowid,
                        doc["doc_id"],
                        report_id,
                        doc["kind"],
                        doc.get("month"),
                        doc.get("year"),
                        doc.get("part"),
                        doc.get("title", ""),
                        doc.get("wbs_title", ""),
                        doc.get("text", ""),
                        doc.get("refs", ""),
                    )
                )
                if wbs := canonical_wbs(doc.get("wbs") or ""):
                    wbs_rows += [(rowid, code) for code in wbs_ancestors(wbs)]
                kind_rows += [(rowid, kind) for kind in doc.get("ref_kinds", "").split()]
            db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            db.executemany(
                "INSERT INTO fts(rowid, title, wbs_title, text, refs) VALUES (?,?,?,?,?)",
                [(r[0], r[7], r[8], r[9], r[10]) for r in rows],
            )
            db.executemany("INSERT INTO doc_wbs VALUES (?,?)", wbs_rows)
            db.executemany("INSERT INTO doc_ref_kind VALUES (?,?)", kind_rows)
        db.executescript(INDEX_SQL)
        db.commit()
    finally:
        db.close()
    return time.perf_counter() - start


def unique_report_id(report: Report, seen: set[str]) -> str:
    """The report's id as search/ gives it (its file's stem), made unique among seen."""
    report_id = slugify(Path(report.source).stem) or "report"
    candidate, n = report_id, 2
    while candidate in seen:
        candidate, n = f"{report_id}-{n}", n + 1
    seen.add(candidate)
    return candidate


def match_expression(spec: QuerySpec) -> str | None:
    """The FTS5 MATCH text of a search (None: no text, every document)."""
    parts = [_quote(word) for word in spec.words]
    if spec.phrase:
        parts.append(_quote(spec.phrase))
    if spec.ident:
        parts.append(_quote(spec.ident))  # FTS5 splits it; a phrase keeps its parts in order
    if spec.prefix:
        parts.append(f"{_quote(spec.prefix)} *")
    return " AND ".join(parts) or None


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _filters(spec: QuerySpec, table: str) -> dict[str, tuple[str, list[str]]]:
    """Facet name -> (SQL condition on `table`, parameters) for each facet with a selection."""
    out: dict[str, tuple[str, list[str]]] = {}
    for name in (*FACET_TABLES, *FACET_COLUMNS):
        values = list(getattr(spec, name, ()))
        if name == "wbs":
            values = [canonical_wbs(v) for v in values]
        if not values:
            continue
        marks = ",".join("?" * len(values))
        if name in FACET_TABLES:
            side, column = FACET_TABLES[name]
            condition = f"{table}.id IN (SELECT doc FROM {side} WHERE {column} IN ({marks}))"
        else:
            condition = f"{table}.{name} IN ({marks})"
        out[name] = (condition, values)
    return out


def answer(db: sqlite3.Connection) -> Callable[[QuerySpec], int]:
    """A search against an open FTS5 database: hits with snippets, total and all facets."""

    def run(spec: QuerySpec) -> int:
        match = match_expression(spec)
        kinds = ",".join(f"'{kind}'" for kind in SEARCH_KINDS)
        conditions = [f"d.kind IN ({kinds})"]
        params: list[str] = []
        if spec.month_range:
            conditions.append("d.month BETWEEN ? AND ?")
            params += list(spec.month_range)
        _match_into_temp(db, match, conditions, params)
        filters = _filters(spec, "m")
        where, args = _where(filters.values())
        total = db.execute(f"SELECT count(*) FROM matched m {where}", args).fetchone()[0]
        page_filters = _filters(spec, "d").values()
        _page(db, spec, match, conditions + [c for c, _ in page_filters],
              params + [v for _, vs in page_filters for v in vs])  # fmt: skip
        for name in (*FACET_TABLES, *FACET_COLUMNS):
            where, args = _where(f for other, f in filters.items() if other != name)
            if name in FACET_TABLES:
                side, column = FACET_TABLES[name]
                sql = (
                    f"SELECT s.{column}, count(*) FROM matched m JOIN {side} s ON s.doc = m.id "
                    f"{where} GROUP BY s.{column}"
                )
            else:
                sql = f"SELECT m.{name}, count(*) FROM matched m {where} GROUP BY m.{name}"
            db.execute(sql, args).fetchall()
        return total

    return run


def _match_into_temp(
    db: sqlite3.Connection, match: str | None, conditions: list[str], params: list[str]
) -> None:
    """The documents the text (and month range) match, with their facet columns."""
    db.execute("DROP TABLE IF EXISTS temp.matched")
    columns = ", ".join(f"d.{name}" for name in FACET_COLUMNS)
    where = " AND ".join(conditions)
    if match:
        db.execute(
            f"CREATE TEMP TABLE matched AS SELECT d.id AS id, {columns} FROM fts JOIN docs d "
            f"ON d.id = fts.rowid WHERE fts MATCH ? AND {where}",
            [match, *params],
        )
    else:
        db.execute(
            f"CREATE TEMP TABLE matched AS SELECT d.id AS id, {columns} FROM docs d WHERE {where}",
            params,
        )


def _where(filters) -> tuple[str, list[str]]:
    filters = list(filters)
    if not filters:
        return "", []
    return "WHERE " + " AND ".join(c for c, _ in filters), [v for _, vs in filters for v in vs]


def _page(
    db: sqlite3.Connection, spec: QuerySpec, match: str | None, conditions: list, params: list
) -> list[tuple]:
    where = " AND ".join(conditions)
    if match and spec.sort == "relevance":
        sql = (
            f"SELECT d.doc_id, d.title, snippet(fts, 2, '<mark>', '</mark>', '…', "
            f"{SNIPPET_TOKENS}) FROM fts JOIN docs d ON d.id = fts.rowid "
            f"WHERE fts MATCH ? AND {where} ORDER BY {BM25} LIMIT {PER_PAGE}"
        )
        return db.execute(sql, [match, *params]).fetchall()
    if match:
        sql = (
            f"SELECT d.doc_id, d.title, snippet(fts, 2, '<mark>', '</mark>', '…', "
            f"{SNIPPET_TOKENS}) FROM fts JOIN docs d ON d.id = fts.rowid "
            f"WHERE fts MATCH ? AND {where} ORDER BY d.month DESC, {BM25} LIMIT {PER_PAGE}"
        )
        return db.execute(sql, [match, *params]).fetchall()
    sql = (
        f"SELECT d.doc_id, d.title, substr(d.text, 1, 200) FROM docs d WHERE {where} "
        f"ORDER BY d.month DESC LIMIT {PER_PAGE}"
    )
    return db.execute(sql, params).fetchall()
