"""The history store each generation carries, on the TEST FIXTURE months (2017-08..11).

Built by the bulk ingest (rows made in the parsing workers), then changed by
an incremental ingest that rewrites one file: only that report's rows change.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest

from dmreports.bulk import run_ingest
from ingest.models import Report
from ingest.pipeline import load_report
from search import Index, health, library
from search.history import HISTORY_FILE, PART_PREFIX, PART_TABLES, HistoryReader
from tests.fixtures.months import FIXTURE_MONTHS, SLIPPED_MILESTONE, write_month, write_months
from tests.ingest_helpers import Holds, cli, generation
from tests.web_support import MONTH_ID, months_app

CHANGED = MONTH_ID.format(month="2017-11")
TABLES = ("report_json", "docs", "mentions", "wbs", "wbs_months", "labels")
FIRST_PART = f"{PART_PREFIX}000001.sqlite"
SECOND_PART = f"{PART_PREFIX}000002.sqlite"


def current_folder(index_dir: Path) -> Path:
    with Index.open(index_dir).reading() as snap:
        return index_dir / f"gen-{snap.generation:06d}"


def open_store(folder: Path) -> HistoryReader:
    return HistoryReader(folder / HISTORY_FILE, 0)


def table_rows(store: HistoryReader) -> dict[str, dict[str, set]]:
    """{table: {report id: {row}}} of a generation's store (its parts read as one)."""
    out: dict[str, dict[str, set]] = {}
    for table, column in PART_TABLES.items():
        by_report: dict[str, set] = {}
        for row in store.query(f"SELECT {column}, * FROM {table}"):
            by_report.setdefault(row[0], set()).add(row[1:])
        out[table] = by_report
    return out


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """(index folder, the first store's rows, its folder, the folder after one file changed,
    source files)."""
    root = tmp_path_factory.mktemp("history")
    paths = write_months(root / "src", fmt="html")
    first = run_ingest([root / "src"], root / "index", jobs=1)
    assert (first.added, first.failed) == (4, [])
    before_folder = current_folder(root / "index")
    before = table_rows(open_store(before_folder))
    # The November file now holds the December fixture (no moved due date).
    write_month(root / "src", "2017-12", name=MONTH_ID.format(month="2017-11"))
    second = run_ingest([root / "src"], root / "index", jobs=1)
    assert (second.updated, second.unchanged) == (1, 3)
    after_folder = current_folder(root / "index")
    assert before_folder != after_folder and (before_folder / HISTORY_FILE).is_file()
    return root / "index", before, before_folder, after_folder, paths


def test_a_milestone_s_due_dates_by_month(ingested):
    _, _, before_folder, _, _ = ingested
    store = open_store(before_folder)
    rows = store.query(
        "SELECT sort, due, id FROM docs WHERE milestone_id = ? ORDER BY sort",
        (SLIPPED_MILESTONE,),
    )
    assert rows == [
        ("2017-08", "2016-10-31", f"{MONTH_ID.format(month='2017-08')}#milestone/DLP-472"),
        ("2017-09", "2016-10-31", f"{MONTH_ID.format(month='2017-09')}#milestone/DLP-472"),
        ("2017-10", "2017-05-31", f"{MONTH_ID.format(month='2017-10')}#milestone/DLP-472"),
        ("2017-11", "2017-12-15", f"{MONTH_ID.format(month='2017-11')}#milestone/DLP-472"),
    ]
    # One overview line per milestone, worked out at ingest.
    assert store.milestone_count() == 11
    summary = store.query(
        "SELECT id, title, grp, status, latest_due, expected, first_month, last_month, "
        "reports, slips, pull_ins, slip_days FROM milestones WHERE id = ?",
        (SLIPPED_MILESTONE,),
    )
    assert summary == [
        (
            "DLP-472", "Qserv Data Distribution", "Science Data Archive & Application Services",
            "delayed", "2017-12-15", None, "2017-08", "2017-11", 4, 2, 0, 410,
        )
    ]  # fmt: skip
    # After the change, November's report is December's and lists the October date.
    index = Index.open(ingested[0])
    line = next(m for m in library.milestones(index) if m.id == SLIPPED_MILESTONE)
    assert (line.latest_due, line.last_month, line.reports, line.slips) == (
        "2017-05-31",
        "2017-12",
        4,
        1,
    )


def test_a_key_s_mentions_and_a_wbs_element_s_sections_by_month(ingested):
    store = open_store(ingested[2])
    mentions = store.query(
        "SELECT sort, doc_id, part, page FROM mentions WHERE key = 'DM-12256' ORDER BY sort"
    )
    assert mentions == [
        (month, f"{MONTH_ID.format(month=month)}#1.02C.03.00/accomplishments", "accomplishments", 1)
        for month in FIXTURE_MONTHS
    ]
    sections = store.query(
        "SELECT w.sort, d.id FROM wbs w JOIN docs d ON d.report = w.report AND d.ord = w.ord "
        "WHERE w.code = '1.02C.03.04' ORDER BY w.sort, w.ord"
    )
    assert sections == [
        (month, f"{MONTH_ID.format(month=month)}#1.02C.03.04/{part}")
        for month in FIXTURE_MONTHS
        for part in ("accomplishments", "planned")
    ]
    assert store.wbs_children("1.02C.03") == [f"1.02C.03.0{n}" for n in range(9)]
    # Each month's sections under the element, counted at ingest (its accomplishments and plans).
    assert store.wbs_counts("1.02C.03.04") == [
        (month, MONTH_ID.format(month=month), 2) for month in FIXTURE_MONTHS
    ]
    assert store.wbs_labels()["1.02C.03.04"] == "Image Differencing Pipeline"


def test_an_incremental_ingest_writes_only_the_changed_report_and_copies_no_part(ingested):
    index_dir, before, before_folder, after_folder, _ = ingested
    store = open_store(after_folder)
    after = table_rows(store)
    for table in TABLES:
        assert set(after[table]) == set(before[table])
        for report_id, rows in before[table].items():
            if report_id == CHANGED:
                # Every row of the changed report is new (it now says December).
                assert not rows & after[table][report_id]
            else:
                assert after[table][report_id] == rows, (table, report_id)
    # The first part is the same file in both generations (linked, never rewritten); the
    # second holds the changed report alone, and the first's version of it is removed.
    assert store.parts() == [FIRST_PART, SECOND_PART]
    assert (after_folder / FIRST_PART).stat().st_ino == (before_folder / FIRST_PART).stat().st_ino
    assert store.query("SELECT part, report FROM removed") == [(FIRST_PART, CHANGED)]
    part = sqlite3.connect(f"{(after_folder / SECOND_PART).as_uri()}?mode=ro", uri=True)
    try:
        for table, column in PART_TABLES.items():
            held = part.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()
            assert held == [(CHANGED,)], table
    finally:
        part.close()
    assert library.report_info(Index.open(index_dir), CHANGED).month == "2017-12"


def test_small_parts_are_merged_into_the_new_one_and_the_manifest_lists_what_is_kept(tmp_path):
    src, index_dir = tmp_path / "src", tmp_path / "index"
    write_months(src, fmt="html")
    run_ingest([src], index_dir, jobs=1)
    for month in ("2017-12", "2017-11"):  # November's file changes twice
        write_month(src, month, name=CHANGED)
        assert run_ingest([src], index_dir, jobs=1).updated == 1
    folder = current_folder(index_dir)
    store = open_store(folder)
    # The second part (one report, replaced) went into the third; the first keeps 3 of 4.
    third = f"{PART_PREFIX}000003.sqlite"
    assert store.parts() == [FIRST_PART, third]
    assert store.query("SELECT part, report FROM removed") == [(FIRST_PART, CHANGED)]
    assert not (folder / SECOND_PART).exists()
    listed = json.loads((folder / health.MANIFEST).read_text())["files"]
    assert {FIRST_PART, third, HISTORY_FILE} <= set(listed)
    assert SECOND_PART not in listed
    assert library.report_info(Index.open(index_dir), CHANGED).month == "2017-11"
    line = next(m for m in library.milestones(Index.open(index_dir)) if m.id == SLIPPED_MILESTONE)
    assert (line.latest_due, line.reports, line.slips) == ("2017-12-15", 4, 2)


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


FIXTURE_MILESTONES = [
    "DLP-366", "DLP-472", "DLP-538", "DLP-539", "DLP-541", "DLP-544", "DLP-579", "DLP-802",
    "DMTC-7400-2090", "DMTC-7400-2420", "DMTC-7400-2480",
]  # fmt: skip


def test_the_milestone_list_comes_in_pages_and_its_twins_give_every_milestone(
    tmp_path_factory, monkeypatch
):
    from web.views import milestones as view

    monkeypatch.setattr(view, "MILESTONES_PER_PAGE", 4)
    client = months_app(tmp_path_factory).test_client()
    first = client.get("/milestones.json?page=1").get_json()
    assert (first["total"], first["page"], first["pages"], first["first"]) == (11, 1, 3, 1)
    assert [m["id"] for m in first["milestones"]] == FIXTURE_MILESTONES[:4]
    assert (first["previous_url"], first["next_url"]) == (None, "/milestones?page=2")
    # The order is kept from page to page, in the URL.
    by_due = client.get("/milestones.json?sort=due&page=3").get_json()
    assert [(m["id"], m["latest_due"]) for m in by_due["milestones"]] == [
        ("DMTC-7400-2090", "2017-08-18"),
        ("DMTC-7400-2480", "2017-10-30"),
        ("DLP-472", "2017-12-15"),
    ]
    assert (by_due["previous_url"], by_due["next_url"]) == ("/milestones?sort=due&page=2", None)
    slips = client.get("/milestones.json?sort=slips&page=1").get_json()["milestones"]
    assert [(m["id"], m["slips"], m["slip_days"]) for m in slips[:2]] == [
        ("DLP-472", 2, 410),
        ("DLP-366", 0, 0),
    ]
    page = client.get("/milestones?page=2").get_data(as_text=True)
    assert "Milestones 5–8 of 11" in page and 'href="/milestones/DLP-541"' in page
    assert 'href="/milestones/DLP-366"' not in page
    assert 'rel="next">More milestones</a>' in page
    # Without a page the JSON twin streams every milestone; so does the CSV.
    every = client.get("/milestones.json")
    assert every.is_streamed
    data = every.get_json()
    assert (data["page"], data["total"]) == (None, 11)
    assert [m["id"] for m in data["milestones"]] == FIXTURE_MILESTONES
    assert data["milestones"][1]["url"] == "/milestones/DLP-472"
    lines = client.get("/milestones.csv?sort=due").get_data(as_text=True).splitlines()
    assert len(lines) == 12 and lines[1].startswith("DLP-579,")
    assert client.get("/milestones?page=0").status_code == 400
    assert "No milestones on page 9." in client.get("/milestones?page=9").get_data(as_text=True)


def test_a_summary_over_more_than_five_years_of_months_has_a_bar_per_year():
    from web.views.wbs import month_summary

    indexed = [f"{year}-{month:02d}" for year in range(2015, 2021) for month in range(1, 13)]
    summary = month_summary({"2015-03": 2, "2016-01": 1, "2020-12": 4}, indexed)
    assert (summary["months"], summary["total"], summary["by_year"]) == (3, 7, True)
    assert [(b["month"], b["count"]) for b in summary["chart"]] == [
        ("2015", 2), ("2016", 1), ("2017", 0), ("2018", 0), ("2019", 0), ("2020", 4),
    ]  # fmt: skip
    # Five years or less: a bar per month, gaps shown.
    short = month_summary({"2015-03": 2, "2015-05": 1}, indexed)
    assert [(b["month"], b["count"]) for b in short["chart"]] == [
        ("2015-03", 2), ("2015-04", 0), ("2015-05", 1),
    ]  # fmt: skip
    assert short["by_year"] is False


def test_an_ingest_killed_after_merging_parts_leaves_the_old_generation_whole(tmp_path):
    src, index_dir = tmp_path / "src", tmp_path / "index"
    write_months(src, fmt="html")
    run_ingest([src], index_dir, jobs=1)
    write_month(src, "2017-12", name=CHANGED)
    run_ingest([src], index_dir, jobs=1)
    old_folder, pointer = current_folder(index_dir), generation(index_dir)
    assert open_store(old_folder).parts() == [FIRST_PART, SECOND_PART]
    # The next write merges the second part into its own and unlinks it from its folder;
    # it is killed with that folder committed but CURRENT not moved.
    write_month(src, "2017-11", name=CHANGED)
    holds = Holds(tmp_path / "holds")
    holds.at("commit")
    args = ("ingest", src, "--index", index_dir, "--jobs", "1")
    with cli(*args, env={"PYTHONUNBUFFERED": "1", **holds.env}) as process:
        holds.reached("commit", process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        process.communicate(timeout=60)
    assert generation(index_dir) == pointer
    # The old generation's files are as its MANIFEST says (the parts it shares were only read).
    index = Index.open(index_dir)
    assert index.check().verified
    assert (old_folder / SECOND_PART).is_file()
    assert library.report_info(index, CHANGED).month == "2017-12"
    assert run_ingest([src], index_dir, jobs=1).updated == 1
    assert open_store(current_folder(index_dir)).parts() == [
        FIRST_PART,
        f"{PART_PREFIX}000003.sqlite",
    ]
    assert library.report_info(Index.open(index_dir), CHANGED).month == "2017-11"
