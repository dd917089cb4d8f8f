"""`dmreports ingest` and `dmreports search`: incremental by content, one atomic commit per run.

Multi-month behaviour uses the TEST FIXTURE months of tests/fixtures/months.py
(derived from the real October 2017 report), rendered as HTML into tmp folders.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest

from dmreports import bulk
from dmreports.bulk import run_ingest
from ingest.batch import parse_one
from search import Index, SearchRequest, reports_per_segment, search
from tests.conftest import CORPUS_HTML, CORPUS_PDF, REPORT_NAME, ROOT
from tests.fixtures.months import FIXTURE_MONTHS, SLIPPED_MILESTONE, marker, write_month
from tests.ingest_helpers import cli, generation, run_cli, state, summary_re

FIXTURE_STEM = "test-fixture-dm-monthly-report-{month}"


@pytest.fixture(scope="module")
def months_folder(tmp_path_factory):
    """The four fixture months (2017-08 .. 2017-11) as HTML, rendered once."""
    folder = tmp_path_factory.mktemp("months")
    for month in FIXTURE_MONTHS:
        write_month(folder, month)
    return folder


@pytest.fixture
def reports(tmp_path, months_folder):
    """A private copy of the fixture months."""
    folder = tmp_path / "reports"
    shutil.copytree(months_folder, folder)
    return folder


def fixture_path(folder, month):
    return (folder / f"{FIXTURE_STEM.format(month=month)}.html").resolve()


def ingest(roots, index_dir, **kwargs):
    """run_ingest in this process, recording its events."""
    events = []
    summary = run_ingest(roots, index_dir, jobs=2, on_event=events.append, **kwargs)
    return summary, events


def hits(index_dir, **request):
    return search(Index.open(index_dir), SearchRequest(per_page=100, **request))


def test_first_ingest_adds_every_file(reports, tmp_path):
    index_dir = tmp_path / "index"
    result = run_cli("ingest", reports, "--index", index_dir, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    added = sorted(f"added {fixture_path(reports, m)}" for m in FIXTURE_MONTHS)
    assert sorted(lines[:-1]) == added
    assert re.fullmatch(summary_re(added=4), lines[-1])
    assert result.stderr == ""
    files = Index.open(index_dir).report_files()
    assert {info.month for info in files.values()} == set(FIXTURE_MONTHS)
    ids = {info.id for info in files.values()}
    assert ids == {FIXTURE_STEM.format(month=m) for m in FIXTURE_MONTHS}
    rows = hits(index_dir, q=SLIPPED_MILESTONE, kind=["milestone"]).hits
    assert {(h.month, h.due) for h in rows} == {
        ("2017-08", "2016-10-31"),
        ("2017-09", "2016-10-31"),
        ("2017-10", "2017-05-31"),
        ("2017-11", "2017-12-15"),
    }


def test_unchanged_files_are_neither_parsed_nor_written(reports, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    before_pointer, before_files = generation(index_dir), sorted(os.listdir(index_dir))
    before = state(index_dir)

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr(bulk, "parse_many", no_parsing)
    summary, events = ingest([reports], index_dir)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 4)
    assert summary.failed == [] and events == []
    assert generation(index_dir) == before_pointer
    assert sorted(os.listdir(index_dir)) == before_files
    assert state(index_dir) == before


def test_cli_unchanged_run(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    before = generation(index_dir)
    result = run_cli("ingest", reports, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(summary_re(unchanged=4) + "\n", result.stdout)
    assert generation(index_dir) == before


def test_changed_file_is_replaced_under_the_same_id(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    changed = fixture_path(reports, "2017-11")
    old_id = Index.open(index_dir).report_files()[str(changed)].id
    before = generation(index_dir)
    # The file now holds the December fixture: same name, new content.
    december = write_month(tmp_path / "new", "2017-12")
    shutil.copyfile(december, changed)
    summary, events = ingest([reports], index_dir)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 1, 0, 3)
    assert [(e.kind, e.path, e.count) for e in events] == [
        (bulk.PLANNED, None, 1),
        (bulk.PARSED, str(changed), 0),
        (bulk.UPDATED, str(changed), 0),
    ]
    assert json.loads(generation(index_dir))["generation"] == json.loads(before)["generation"] + 1
    info = Index.open(index_dir).report_files()[str(changed)]
    assert (info.id, info.month) == (old_id, "2017-12")
    assert hits(index_dir, q=marker("2017-11")).total == 0
    found = hits(index_dir, q=marker("2017-12")).hits
    assert {h.report for h in found} == {old_id}


def test_deleted_file_is_removed_only_under_the_given_roots(reports, tmp_path):
    index_dir = tmp_path / "index"
    other = tmp_path / "other"
    other_file = write_month(other, "2017-06").resolve()
    ingest([reports], index_dir)
    ingest([other], index_dir)
    gone = fixture_path(reports, "2017-08")
    gone.unlink()
    result = run_cli("ingest", reports, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"removed {gone}"
    assert re.fullmatch(summary_re(removed=1, unchanged=3), result.stdout.splitlines()[1])
    files = Index.open(index_dir).report_files()
    assert str(gone) not in files
    assert str(other_file) in files
    assert sorted(info.month for info in files.values()) == [
        "2017-06",
        "2017-09",
        "2017-10",
        "2017-11",
    ]
    assert hits(index_dir, q=marker("2017-08")).total == 0


def test_linked_file_belongs_to_its_folder(reports, tmp_path):
    index_dir = tmp_path / "index"
    target = write_month(tmp_path / "elsewhere", "2017-06").resolve()
    link = reports / "linked-report.html"
    link.symlink_to(target)
    summary, _ = ingest([reports], index_dir)
    assert summary.added == 5
    assert Index.open(index_dir).report_files()[str(link)].month == "2017-06"
    link.unlink()
    summary, _ = ingest([reports], index_dir)
    assert (summary.removed, summary.unchanged) == (1, 4)
    assert hits(index_dir, q=marker("2017-06")).total == 0


def test_full_rebuilds_with_the_same_ids_and_results(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    ids = {s: i.id for s, i in Index.open(index_dir).report_files().items()}
    before, pointer = state(index_dir), json.loads(generation(index_dir))
    result = run_cli("ingest", reports, "--index", index_dir, "--full")
    assert result.returncode == 0, result.stderr
    updated = sorted(f"updated {fixture_path(reports, m)}" for m in FIXTURE_MONTHS)
    assert sorted(result.stdout.splitlines()[:-1]) == updated
    assert re.fullmatch(summary_re(updated=4), result.stdout.splitlines()[-1])
    assert json.loads(generation(index_dir))["generation"] == pointer["generation"] + 1
    assert {s: i.id for s, i in Index.open(index_dir).report_files().items()} == ids
    assert state(index_dir) == before


def test_full_keeps_the_indexed_version_of_a_file_that_fails(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    before, files = state(index_dir), Index.open(index_dir).report_files()
    broken = fixture_path(reports, "2017-10")
    broken.write_bytes(b"")
    summary, _ = ingest([reports], index_dir, full=True)
    assert summary.failed == [(str(broken), "empty file")]
    assert (summary.added, summary.updated, summary.removed) == (0, 3, 0)
    assert Index.open(index_dir).report_files() == files
    assert state(index_dir) == before


def test_full_drops_reports_outside_the_given_paths(reports, tmp_path):
    index_dir = tmp_path / "index"
    other_file = write_month(tmp_path / "other", "2017-06").resolve()
    ingest([reports, other_file], index_dir)
    summary, _ = ingest([reports], index_dir, full=True)
    assert (summary.updated, summary.removed) == (4, 1)
    assert str(other_file) not in Index.open(index_dir).report_files()


def test_outdated_index_is_rebuilt_with_a_notice(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    pointer = json.loads(generation(index_dir))
    (index_dir / "CURRENT").write_text(json.dumps({**pointer, "schema": 0}))
    result = run_cli("ingest", reports, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"notice: index at {index_dir} has schema 0, this version needs "
        f"{pointer['schema']}: rebuild it; rebuilding it from the given paths"
    ]
    assert re.fullmatch(summary_re(added=4), result.stdout.splitlines()[-1])
    assert json.loads(generation(index_dir))["schema"] == pointer["schema"]
    assert hits(index_dir, q=marker("2017-09")).total > 0


def test_damaged_index_is_named_and_full_rebuilds_it(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    (index_dir / "CURRENT").write_text("{half a pointer")
    result = run_cli("ingest", reports, "--index", index_dir)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "index damaged: CURRENT (unreadable); run `dmreports ingest --full` to rebuild it\n"
    )
    result = run_cli("ingest", reports, "--index", index_dir, "--full")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "notice: index damaged: CURRENT (unreadable); rebuilding it from the given paths\n"
    )
    assert re.fullmatch(summary_re(added=4), result.stdout.splitlines()[-1])
    assert hits(index_dir, q=marker("2017-11")).total > 0


def test_default_path_and_index_location_with_an_html_rendition(tmp_path):
    # No PATH: corpus/, which holds the real report as PDF and, beside it, its
    # HTML rendition: one report, indexed from the PDF.
    result = run_cli("ingest", "--jobs", "2", env={"DMREPORTS_INSTANCE": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    html, pdf = CORPUS_HTML.resolve(), CORPUS_PDF.resolve()
    lines = result.stdout.splitlines()
    assert lines[:-1] == [f"added {pdf}"]
    assert re.fullmatch(summary_re(added=1), lines[-1])
    assert result.stderr.splitlines() == [
        f"notice: {html}: HTML rendition of {pdf}, which is indexed instead"
    ]
    files = Index.open(tmp_path / "index").report_files()
    assert list(files) == [str(pdf)]
    assert files[str(pdf)].id == REPORT_NAME
    assert files[str(pdf)].month == "2017-10"


def test_html_is_a_rendition_only_beside_a_pdf_of_the_same_name():
    keep, renditions = bulk.split_renditions(
        ["/r/a.HTM", "/r/a.pdf", "/r/b.html", "/s/a.html", "/r/c.PDF", "/r/c.html"]
    )
    assert keep == ["/r/a.pdf", "/r/b.html", "/s/a.html", "/r/c.PDF"]
    assert renditions == {"/r/a.HTM": "/r/a.pdf", "/r/c.html": "/r/c.PDF"}


def test_month_already_in_the_index_is_named(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    revised = write_month(tmp_path / "revised", "2017-09", name="dm-report-2017-09-revised")
    summary, events = ingest([revised], index_dir)
    september = fixture_path(reports, "2017-09")
    message = f"2 files claim month 2017-09 (all kept): {september}, {revised.resolve()}"
    assert summary.warnings == [message]
    assert (bulk.WARNING, message) in [(e.kind, e.message) for e in events]
    assert summary.added == 1


def test_busy_index_exits_3_and_is_left_alone(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    before = generation(index_dir)
    with hold_writer(index_dir) as holder:
        result = run_cli("ingest", reports, "--index", index_dir, "--full")
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"index busy: another writer (pid {holder.pid}) is updating {index_dir}\n"
    )
    assert generation(index_dir) == before


def test_lock_of_a_killed_writer_does_not_block(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    with hold_writer(index_dir) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert (index_dir / "LOCK").read_text() == str(holder.pid)
    shutil.copyfile(write_month(tmp_path / "new", "2017-12"), fixture_path(reports, "2017-11"))
    result = run_cli("ingest", reports, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(summary_re(updated=1, unchanged=3), result.stdout.splitlines()[-1])
    assert hits(index_dir, q=marker("2017-12")).total > 0


@contextmanager
def hold_writer(index_dir):
    """A process that holds the index's writer until the block ends (or it is killed)."""
    code = (
        "import sys\n"
        "from search import Index\n"
        f"with Index({str(index_dir)!r}).writer():\n"
        "    print('holding', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout.readline() == "holding\n"
        yield holder


def test_missing_path_is_a_usage_error(tmp_path):
    result = run_cli("ingest", tmp_path / "nowhere", "--index", tmp_path / "index")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "index").exists()


def test_progress_bar_on_a_terminal(reports, tmp_path):
    index_dir = tmp_path / "index"
    leader, follower = pty.openpty()
    terminal: list[bytes] = []
    # The terminal is read while the command runs, so that it never waits on a full buffer.
    reader = threading.Thread(target=_read_all, args=(leader, terminal))
    reader.start()
    try:
        with cli("ingest", reports, "--index", index_dir, stderr=follower) as process:
            stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(follower)
        reader.join(timeout=30)
        os.close(leader)
    assert process.returncode == 0
    # On a terminal the per-file lines give way to the bar; the summary stays on stdout.
    assert re.fullmatch(summary_re(added=4) + "\n", stdout)
    assert b"parsing" in b"".join(terminal)
    assert b"Traceback" not in b"".join(terminal)


def _read_all(fd: int, chunks: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed
            return
        if not chunk:
            return
        chunks.append(chunk)


def test_a_report_that_reaches_no_segment_fails(tmp_path, monkeypatch):
    # Should a worker's segment never come back, the file it parsed is failed
    # (not counted as added) and the index does not list it.
    def parse_without_finishing(paths, jobs, limits, collector, finish_every):
        for path in paths:
            yield parse_one(path, limits)

    monkeypatch.setattr(bulk, "parse_many", parse_without_finishing)
    events = []
    summary = run_ingest([CORPUS_HTML], tmp_path / "index", jobs=1, on_event=events.append)
    assert (summary.added, summary.failed) == (
        0,
        [(str(CORPUS_HTML), "indexed by a worker that stopped")],
    )
    # Parsed, then failed; never said to be added.
    assert [e.kind for e in events] == [bulk.PLANNED, bulk.PARSED, bulk.FAILED]
    assert Index(tmp_path / "index").report_files() == {}


# --- dmreports search ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    """An index of the real October 2017 report (its HTML rendition)."""
    index_dir = tmp_path_factory.mktemp("corpus-index")
    summary = run_ingest([CORPUS_HTML], index_dir, jobs=1)
    assert summary.added == 1 and summary.failed == []
    return index_dir


def test_search_prints_hits(corpus_index):
    result = run_cli("search", "DM-12256", "--index", corpus_index)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1 hit"
    assert lines[1] == (
        "2017-10  1.02C.03.00  accomplishments  "
        "02C.03.00 – Alert Production Management Engineering and Integration  p. 1"
    )
    assert "DM-12256" in lines[2] and "<mark>" not in lines[2]


def test_search_json(corpus_index):
    result = run_cli("search", "DLP-472", "--index", corpus_index, "--kind", "milestone", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["total"], data["page"], data["sort"]) == (1, 1, "relevance")
    hit = data["hits"][0]
    assert (hit["milestone_id"], hit["due"], hit["month"]) == ("DLP-472", "2017-05-31", "2017-10")
    assert hit["group"] == "Science Data Archive & Application Services"
    assert hit["source"] == str(CORPUS_HTML.resolve())
    assert data["facets"]["month"] == [
        {"value": "2017-10", "label": "October 2017", "count": 1, "selected": False, "parent": None}
    ]


def test_search_filters(corpus_index):
    result = run_cli(
        "search", "", "--index", corpus_index, "--wbs", "02C.03.04", "--part", "planned", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(h["wbs"], h["part"]) for h in data["hits"]] == [("1.02C.03.04", "planned")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2017-13"], "month must be YYYY-MM, not '2017-13'\n"),
        (
            ["--part", "later"],
            "part must be accomplishments or planned or recruitment, not 'later'\n",
        ),
        (["--per-page", "0"], "per_page must be from 1 to 100, not 0\n"),
    ],
)
def test_search_bad_request_is_one_line(corpus_index, args, message):
    result = run_cli("search", "pipeline", "--index", corpus_index, *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_search_without_an_index(tmp_path):
    result = run_cli("search", "pipeline", "--index", tmp_path / "none")
    assert result.returncode == 2
    assert result.stderr == (f"no index at {tmp_path / 'none'}: build it with `dmreports ingest`\n")


def test_each_worker_writes_its_reports_in_two_segments_of_16_to_64():
    sizes = {(n, jobs): reports_per_segment(n, jobs) for n, jobs in ((120, 1), (120, 2), (3, 2))}
    assert sizes == {(120, 1): 60, (120, 2): 30, (3, 2): 16}
    assert reports_per_segment(1200, 2) == 64


def test_search_on_an_outdated_index_is_one_line(reports, tmp_path):
    index_dir = tmp_path / "index"
    ingest([reports], index_dir)
    pointer = json.loads(generation(index_dir))
    (index_dir / "CURRENT").write_text(json.dumps({**pointer, "schema": 0}))
    result = run_cli("search", "pipeline", "--index", index_dir)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"index at {index_dir} has schema 0, this version needs {pointer['schema']}: "
        "rebuild it with `dmreports ingest --full`\n"
    )
