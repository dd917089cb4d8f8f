"""Bad files in an ingested folder: each named once with its reason, the rest goes on.

One folder holds good reports (TEST FIXTURE months rendered as HTML) and every
kind of bad file an operator's folder collects. It is ingested once by the CLI
(module fixture) and the tests read that one run's output and index.
"""

from __future__ import annotations

import re
import shutil

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from search import Index, SearchRequest, search
from tests.conftest import CORPUS_PDF
from tests.fixtures.months import marker, write_month
from tests.ingest_helpers import (
    Holds,
    generation,
    run_cli,
    state,
    summary_re,
    write_long_pdf,
)

MAX_PAGES = 100
# Far less than the real PDF (20 pages) takes to parse on any machine.
TINY_TIME_LIMIT = "0.01"
# A limit no file of a few pages comes near, on any machine: only a held file reaches it.
HELD_TIME_LIMIT = "20"
NOT_A_REPORT = "not a monthly report (no report structure found)"


def _pdf(path, kind: str, pages: int = 1):
    """A small PDF: minutes (text, not a report), locked (password), scan (no text), long."""
    options = {"encrypt": "secret"} if kind == "locked" else {}
    c = canvas.Canvas(str(path), pagesize=letter, **options)
    for page in range(pages):
        if kind == "scan":
            for i in range(20):
                c.rect(72 + i * 10, 500, 8, 40 + i * 3, fill=1)
        else:
            c.setFont("Helvetica", 11)
            c.drawString(72, 700, f"Minutes of the coffee committee, page {page + 1}.")
        c.showPage()
    c.save()
    return path


def _broken_html(source, path):
    """The report with a wrong declared charset (its bytes are UTF-8), stray and unclosed tags."""
    html = source.read_text(encoding="utf-8")
    html = html.replace(
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
    )
    html = html.replace("<main>", "<main><div><span></em></div>")
    html = html[: html.rindex("</main>")]
    path.write_bytes(html.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Index a good folder, then add bad files (and break one indexed file) and ingest again."""
    base = tmp_path_factory.mktemp("bad-files")
    folder, index_dir = base / "reports", base / "index"
    good = write_month(folder, "2017-05").resolve()
    kept = write_month(folder, "2017-06", name="kept").resolve()
    first = run_cli("ingest", folder, "--index", index_dir)
    assert first.returncode == 0, first.stderr
    before = {"state": state(index_dir), "kept": Index.open(index_dir).report_files()[str(kept)]}

    bad: dict[str, str] = {}

    def add(name: str, reason: str | None, content: bytes | None = None):
        path = (folder / name).resolve()
        if content is not None:
            path.write_bytes(content)
        if reason:
            bad[str(path)] = reason
        return path

    add("empty.pdf", "empty file", b"")
    add("truncated.pdf", "truncated PDF (no end-of-file marker)", CORPUS_PDF.read_bytes()[:30000])
    add("random.pdf", "not a PDF or HTML file", bytes(range(256)) * 40)
    _pdf(add("locked.pdf", "encrypted PDF (password required)"), "locked")
    _pdf(add("scan.pdf", "no text layer (scanned?); OCR is not supported"), "scan")
    _pdf(add("long.pdf", f"too many pages (300, limit {MAX_PAGES})"), "long", pages=300)
    _pdf(add("minutes.pdf", NOT_A_REPORT), "minutes")
    # An indexed report overwritten with notes: it fails, the index keeps the report.
    add("kept.html", "not a PDF or HTML file", b"notes to self, nothing more\n" * 20)
    # Files that are fine, whatever they look like.
    disguised = write_month(base / "render", "2017-07", name="disguised")
    shutil.copyfile(disguised, add("disguised.pdf", None))
    twice = write_month(folder, "2017-09", name="copy-a").resolve()
    shutil.copyfile(twice, add("copy-b.html", None))
    _broken_html(write_month(base / "render", "2017-04"), add("broken-charset.html", None))

    result = run_cli("ingest", folder, "--index", index_dir, "--max-pages", MAX_PAGES)
    return {
        "result": result,
        "bad": bad,
        "folder": folder,
        "index": index_dir,
        "good": good,
        "kept": kept,
        "twice": (twice, (folder / "copy-b.html").resolve()),
        "before": before,
    }


def _lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_exit_1_and_no_traceback(run):
    result = run["result"]
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr


def test_each_bad_file_named_once_with_its_reason(run):
    failed = _lines(run["result"].stderr, "FAILED ")
    assert sorted(failed) == sorted(
        f"FAILED {path}: {reason}" for path, reason in run["bad"].items()
    )


def test_summary_counts(run):
    lines = run["result"].stdout.splitlines()
    # disguised.pdf, copy-a, copy-b and broken-charset added; the 2017-05 report unchanged.
    assert re.fullmatch(summary_re(added=4, unchanged=1, failed=8), lines[-1])
    assert sorted(lines[:-1]) == sorted(
        f"added {(run['folder'] / name).resolve()}"
        for name in ("broken-charset.html", "copy-a.html", "copy-b.html", "disguised.pdf")
    )


def test_only_reports_are_indexed(run):
    files = Index.open(run["index"]).report_files()
    months = {path.rsplit("/", 1)[-1]: info.month for path, info in files.items()}
    assert months == {
        "test-fixture-dm-monthly-report-2017-05.html": "2017-05",
        "kept.html": "2017-06",
        "disguised.pdf": "2017-07",
        "copy-a.html": "2017-09",
        "copy-b.html": "2017-09",
        "broken-charset.html": "2017-04",
    }


def test_failed_file_leaves_its_indexed_report_unchanged(run):
    index = Index.open(run["index"])
    assert index.report_files()[str(run["kept"])] == run["before"]["kept"]
    found = search(index, SearchRequest(q=marker("2017-06")))
    assert {hit.source for hit in found.hits} == {str(run["kept"])}
    rows = search(index, SearchRequest(kind=["milestone"], month=["2017-06"], per_page=100))
    before_rows = [row for row in run["before"]["state"][1] if row[1] == "2017-06"]
    assert sorted((h.id, h.month, h.due) for h in rows.hits) == before_rows
    assert len(before_rows) == 11


def test_html_named_pdf_is_read_as_html(run):
    found = search(Index.open(run["index"]), SearchRequest(q=marker("2017-07")))
    assert {hit.source for hit in found.hits} == {str((run["folder"] / "disguised.pdf").resolve())}
    assert found.hits[0].page == 1


def test_same_report_twice_both_kept_with_one_warning(run):
    a, b = run["twice"]
    assert _lines(run["result"].stderr, "warning: ") == [
        f"warning: 2 files claim month 2017-09 (all kept): {a}, {b}"
    ]
    found = search(Index.open(run["index"]), SearchRequest(q=marker("2017-09")))
    assert {hit.source for hit in found.hits} == {str(a), str(b)}


def test_broken_markup_and_wrong_charset_read_by_content(run):
    index = Index.open(run["index"])
    broken = search(index, SearchRequest(q='"points of contact"', month=["2017-04"]))
    summary = {hit.id: hit for hit in broken.hits}["broken-charset#high-level-summary"]
    assert "DM “points of contact” were rolled-out" in summary.snippet_text
    # Same sections and milestone rows as the clean rendering of another month.
    counts = {v.value: v.count for v in search(index, SearchRequest()).facets["month"].values}
    assert counts["2017-04"] == counts["2017-05"]


def test_parse_over_the_time_limit(tmp_path):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    write_month(folder, "2017-08")
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0
    before = (generation(index_dir), state(index_dir))
    slow = folder / "real-report.pdf"
    shutil.copyfile(CORPUS_PDF, slow)
    result = run_cli("ingest", folder, "--index", index_dir, "--time-limit", TINY_TIME_LIMIT)
    assert result.returncode == 1
    assert result.stderr == (
        f"FAILED {slow.resolve()}: parse exceeded the time limit ({TINY_TIME_LIMIT} s)\n"
    )
    assert re.fullmatch(summary_re(unchanged=1, failed=1) + "\n", result.stdout)
    assert (generation(index_dir), state(index_dir)) == before


def test_reports_kept_by_a_killed_worker_are_indexed(tmp_path):
    # One worker indexes July, is killed on the long file (July's segment with it),
    # and a new worker parses July again before August.
    # The long file is held in its worker (never let go), so it surely runs past
    # the limit, which the other files, however busy the machine, stay far under.
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    write_month(folder, "2017-07", name="a-july")
    write_long_pdf(folder / "b-long.pdf")
    write_month(folder, "2017-08", name="c-august")
    holds = Holds(tmp_path / "holds")
    holds.at("parse-b-long.pdf")
    result = run_cli(
        "ingest",
        folder,
        "--index",
        index_dir,
        "--jobs",
        "1",
        "--time-limit",
        HELD_TIME_LIMIT,
        env=holds.env,
    )
    assert result.returncode == 1
    long_pdf = (folder / "b-long.pdf").resolve()
    assert result.stderr == (
        f"FAILED {long_pdf}: parse exceeded the time limit ({HELD_TIME_LIMIT} s)\n"
    )
    *lines, summary = result.stdout.splitlines()
    assert re.fullmatch(summary_re(added=2, failed=1), summary)
    # Each file reported once, although July was parsed twice.
    assert lines == [
        f"added {(folder / name).resolve()}" for name in ("a-july.html", "c-august.html")
    ]
    index = Index.open(index_dir)
    months = search(index, SearchRequest()).facets["month"].values
    assert {v.value: v.count for v in months} == {"2017-07": 109, "2017-08": 109}
