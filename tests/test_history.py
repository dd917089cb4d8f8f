"""The history store each generation carries, on the TEST FIXTURE months (2017-08..11).

Built by the bulk ingest (rows made in the parsing workers), then changed by
an incremental ingest that rewrites one file: only that report's rows change.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from dmreports.bulk import run_ingest
from ingest.models import Report
from ingest.pipeline import load_report
from search import Index, library
from search.history import HISTORY_FILE
from tests.fixtures.months import FIXTURE_MONTHS, SLIPPED_MILESTONE, write_month, write_months
from tests.web_support import MONTH_ID, months_app

CHANGED = MONTH_ID.format(month="2017-11")
TABLES = ("reports", "docs", "mentions", "wbs", "wbs_months")


def store_path(index_dir: Path) -> Path:
    pointer = Index.open(index_dir)
    with pointer.reading() as snap:
        return index_dir / f"gen-{snap.generation:06d}" / HISTORY_FILE


def table_rows(path: Path) -> dict[str, dict[str, set]]:
    """{table: {report id: {(rowid, *row)}}} of a store file (a rewritten row moves)."""
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        out: dict[str, dict[str, set]] = {}
        for table in TABLES:
            column = "id" if table == "reports" else "report"
            by_report: dict[str, set] = {}
            for row in db.execute(f"SELECT {column}, rowid, * FROM {table}"):
                by_report.setdefault(row[0], set()).add(row[1:])
            out[table] = by_report
        return out
    finally:
        db.close()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """(index folder, the first store's rows, the store after one file changed, source folder)."""
    root = tmp_path_factory.mktemp("history")
    paths = write_months(root / "src", fmt="html")
    first = run_ingest([root / "src"], root / "index", jobs=1)
    assert (first.added, first.failed) == (4, [])
    before_path = store_path(root / "index")
    before = table_rows(before_path)
    # The November file now holds the December fixture (no moved due date).
    write_month(root / "src", "2017-12", name=MONTH_ID.format(month="2017-11"))
    second = run_ingest([root / "src"], root / "index", jobs=1)
    assert (second.updated, second.unchanged) == (1, 3)
    after_path = store_path(root / "index")
    assert before_path != after_path and before_path.is_file()
    return root / "index", before, before_path, after_path, paths


def test_a_milestone_s_due_dates_by_month(ingested):
    _, _, before_path, after_path, _ = ingested
    db = sqlite3.connect(before_path)
    rows = db.execute(
        "SELECT sort, due, id FROM docs WHERE milestone_id = ? ORDER BY sort",
        (SLIPPED_MILESTONE,),
    ).fetchall()
    assert rows == [
        ("2017-08", "2016-10-31", f"{MONTH_ID.format(month='2017-08')}#milestone/DLP-472"),
        ("2017-09", "2016-10-31", f"{MONTH_ID.format(month='2017-09')}#milestone/DLP-472"),
        ("2017-10", "2017-05-31", f"{MONTH_ID.format(month='2017-10')}#milestone/DLP-472"),
        ("2017-11", "2017-12-15", f"{MONTH_ID.format(month='2017-11')}#milestone/DLP-472"),
    ]
    summary = dict(db.execute("SELECT id, summary FROM milestones").fetchall())
    assert len(summary) == 11
    assert summary[SLIPPED_MILESTONE] == (
        '{"id": "DLP-472", "title": "Qserv Data Distribution", '
        '"group": "Science Data Archive & Application Services", "status": "delayed", '
        '"latest_due": "2017-12-15", "expected": null, "first_month": "2017-08", '
        '"last_month": "2017-11", "reports": 4, "slips": 2, "pull_ins": 0, "slip_days": 410}'
    )
    # After the change, November's report is December's and lists the October date.
    index = Index.open(ingested[0])
    line = next(m for m in library.milestones(index) if m.id == SLIPPED_MILESTONE)
    assert (line.latest_due, line.last_month, line.reports, line.slips) == (
        "2017-05-31",
        "2017-12",
        4,
        1,
    )
    assert after_path.is_file()


def test_a_key_s_mentions_and_a_wbs_element_s_sections_by_month(ingested):
    db = sqlite3.connect(ingested[2])
    mentions = db.execute(
        "SELECT sort, doc_id, part, page FROM mentions WHERE key = 'DM-12256' ORDER BY sort"
    ).fetchall()
    assert mentions == [
        (month, f"{MONTH_ID.format(month=month)}#1.02C.03.00/accomplishments", "accomplishments", 1)
        for month in FIXTURE_MONTHS
    ]
    sections = db.execute(
        "SELECT w.sort, d.id FROM wbs w JOIN docs d ON d.report = w.report AND d.ord = w.ord "
        "WHERE w.code = '1.02C.03.04' ORDER BY w.sort, w.ord"
    ).fetchall()
    assert sections == [
        (month, f"{MONTH_ID.format(month=month)}#1.02C.03.04/{part}")
        for month in FIXTURE_MONTHS
        for part in ("accomplishments", "planned")
    ]
    children = db.execute("SELECT children FROM wbs_elements WHERE code = '1.02C.03'").fetchone()
    assert json.loads(children[0]) == [f"1.02C.03.0{n}" for n in range(9)]
    months = db.execute("SELECT sort FROM wbs_months WHERE code = '1.02C.03.04' ORDER BY sort")
    assert [m for (m,) in months] == list(FIXTURE_MONTHS)


def test_an_incremental_ingest_rewrites_exactly_the_changed_report_s_rows(ingested):
    index_dir, before, before_path, after_path, _ = ingested
    after = table_rows(after_path)
    for table in TABLES:
        assert set(after[table]) == set(before[table])
        for report_id, rows in before[table].items():
            if report_id == CHANGED:
                # Every row of the changed report is new (it now says December).
                assert not rows & after[table][report_id]
            else:
                assert after[table][report_id] == rows, (table, report_id)
    assert library.report_info(Index.open(index_dir), CHANGED).month == "2017-12"


def test_each_report_s_json_is_in_the_store_and_not_in_the_search_fields(ingested):
    index_dir, _, _, _, paths = ingested
    index = Index.open(index_dir)
    stored = index.stored_report(MONTH_ID.format(month="2017-09"))
    assert stored == load_report(paths[1])
    assert index.stored_report("no-such-report") is None
    with index.reading() as snap:
        heads = list(snap.searcher.documents(kind="report"))
    assert len(heads) == 4
    assert all("report_json" not in fields for fields in heads)


@pytest.fixture()
def parses(monkeypatch):
    """Count the reports parsed from their stored JSON."""
    count = [0]
    original = Report.from_dict.__func__

    def counting(cls, data):
        count[0] += 1
        return original(cls, data)

    monkeypatch.setattr(Report, "from_dict", classmethod(counting))
    return count


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("/milestones", 0),
        ("/milestones/DLP-472", 0),
        ("/ref/DM-12256", 0),
        ("/wbs/1.02C.03.04", 0),
        ("/wbs/1.02C", 0),
        ("/reports", 0),
        (f"/reports/{MONTH_ID.format(month='2017-09')}", 1),
    ],
)
def test_no_page_parses_more_than_the_reports_it_shows(tmp_path_factory, parses, url, parsed):
    client = months_app(tmp_path_factory).test_client()
    assert client.get(url).status_code == 200
    assert parses[0] == parsed
