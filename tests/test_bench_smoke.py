"""bench/: the SYNTHETIC generator, and every measurement run once at a tiny size.

No timing is asserted here: the point is that `make bench` runs to the end and
writes every row of RESULTS.md.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from bench import suite, synthetic

from ingest.pipeline import load_report

TINY = suite.Settings(
    reports=2,
    sizes=(1, 2, 4),
    plumber_sample=1,
    rounds=1,
    query_budget=1.0,
    http_clients=2,
    http_seconds=1.0,
    history_rounds=2,
    history_budget=5.0,
    render_jobs=1,
    cache=None,
    short=True,
    mode="smoke test",
)
PAGES = (
    "/milestones",
    "/milestones/<id>",
    "/ref/<key>",
    "/wbs/<code>",
    "/reports",
    "/reports/<id>",
)
# Rows every run writes (sizes as in TINY); each must carry a value.
EXPECTED_ROWS = (
    "SYNTHETIC corpus: 2 reports",
    "Baseline: pypdfium2 raw text (get_text_range), all pages",
    "Baseline: pdfplumber extract_words, all pages (scaled from a sample)",
    "Parse only (load_report, one process, no index)",
    "CLI start-up (dmreports --help, best of 3)",
    "Cold ingest, 1 worker: dmreports ingest --jobs 1, 2 reports",
    "Cold ingest, 1 worker, against pdfplumber extract_words",
    "Cold ingest, 1 worker: throughput",
    "Peak memory, ingest (--jobs 1)",
    "Index size on disk, 2 reports (dmreports ingest)",
    "Warm re-ingest, 2 unchanged reports",
    "Parallel ingest, 2 workers (speedup over 1)",
    *(f"Query p50, {n} reports (search/, all facets + highlights)" for n in TINY.sizes),
    *(f"Query p99, {n} reports" for n in TINY.sizes),
    *(f"Index build in process, {n} reports (one writer, one commit)" for n in TINY.sizes),
    "Query p50 growth, 2 -> 4 reports",
    "HTTP /api/search, 2 clients, 2 reports: throughput",
    "HTTP /api/search p50",
    "HTTP /api/search p99",
    "HTTP errors",
    "Peak memory, server",
    *(f"Query p50 against tantivy, {n} reports" for n in TINY.sizes),
    *(f"Query p99 against tantivy, {n} reports" for n in TINY.sizes),
    *(
        f"Cold first round, {n} reports (15 queries right after opening the index)"
        for n in TINY.sizes
    ),
    *(f"Index build against tantivy, {n} reports" for n in TINY.sizes),
    *(
        f"Memory, largest serve worker after 50 searches and every history page, {n} reports"
        for n in TINY.sizes
    ),
    *(f"History page {page} warm p50, {n} reports" for page in PAGES for n in (2, 4)),
    *(f"History page {page} p50 growth, 2 -> 4 reports" for page in PAGES),
    "First /api/search after a start, 4 reports",
    "First /milestones after a start, 4 reports",
    "One-file re-ingest into the 4-report index (served meanwhile)",
    "First /api/search after a one-file re-ingest, 4 reports",
    "First /milestones after a one-file re-ingest, 4 reports",
)
# Figures that have a target: their Status cell says met or NOT MET.
TARGETED = (
    "Cold ingest, 1 worker: dmreports ingest",
    "Warm re-ingest",
    "Parallel ingest",
    "Query p50, 4 reports",
    "Query p99, 4 reports",
    "Query p50 growth",
    "HTTP /api/search, 2 clients",
    "HTTP errors",
    "Query p50 against tantivy, 4 reports",
    "Cold first round, 4 reports",
    *(f"History page {page} warm p50, 4 reports" for page in PAGES[:4]),
    *(f"History page {page} p50 growth" for page in PAGES[:4]),
    "First /api/search after a start",
    "First /milestones after a start",
    "First /api/search after a one-file re-ingest",
    "First /milestones after a one-file re-ingest",
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    settings = dataclasses.replace(TINY, output=folder / "RESULTS.md", workdir=folder / "work")
    results = suite.run(settings)
    return results, settings.output.read_text(encoding="utf-8")


def _rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith(("| Area", "| ---")):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[1]] = cells
    return rows


def test_results_table_has_every_row_with_a_value(tiny_run):
    _, markdown = tiny_run
    rows = _rows(markdown)
    assert [name for name in EXPECTED_ROWS if name not in rows] == []
    assert [name for name, cells in rows.items() if cells[2] in ("", "n/a")] == []


def test_targets_are_judged_and_misses_explained(tiny_run):
    _, markdown = tiny_run
    rows = _rows(markdown)
    for prefix in TARGETED:
        (cells,) = [cells for name, cells in rows.items() if name.startswith(prefix)]
        assert cells[6] in ("met", "NOT MET"), cells
        if cells[6] == "NOT MET":
            assert cells[7].startswith("NOT MET: ") and len(cells[7]) > len("NOT MET: ")
            assert f"**{cells[1]}**" in markdown.split("## Targets not met")[1]


def test_results_name_the_machine_and_the_baselines(tiny_run):
    _, markdown = tiny_run
    for heading in ("## Machine", "## Settings", "## Figures", "## Targets not met"):
        assert heading in markdown
    for fact in ("- CPU: ", "- Cores: ", "- Memory: ", "- Python: ", "- OS: ", "- Date: "):
        assert fact in markdown
    # Every step says how much of the CPU other processes took meanwhile.
    (line,) = [x for x in markdown.splitlines() if x.startswith("- CPU taken by other")]
    steps = [step.__name__ for step in suite.STEPS]
    assert re.findall(r"(\w+) \d+%", line) == steps
    rows = _rows(markdown)
    assert rows["Query p50, 4 reports (search/, all facets + highlights)"][3].startswith(
        "SQLite FTS5 p50 "
    )
    assert rows["Parse only (load_report, one process, no index)"][3].startswith(
        "pypdfium2 raw text "
    )


def test_the_load_test_saw_no_errors(tiny_run):
    results, _ = tiny_run
    (errors,) = [f for f in results.figures if f.name == "HTTP errors"]
    assert errors.value == 0, errors.note


def test_query_engines_agree_on_identifier_searches(tiny_run):
    results, _ = tiny_run
    # Remarks list the queries whose totals differ between search/ and FTS5.
    for remark in results.remarks:
        for label in ("ticket ID", "milestone ID", "document milestone", "technote"):
            assert f"{label} (" not in remark, remark


def test_synthetic_report_is_labelled_dated_and_reproducible(tmp_path: Path):
    first = synthetic.render_variant(tmp_path / "a", 0, short=True)
    again = synthetic.render_variant(tmp_path / "b", 0, short=True)
    assert first.name == "synthetic-dm-monthly-report-2015-01.pdf"
    assert first.read_bytes() == again.read_bytes()
    report = load_report(first)
    assert report.month == "2015-01"
    summary = report.sections[0]
    assert summary.title == "High-level Summary"
    assert summary.text.startswith(
        "SYNTHETIC benchmark report 2015-01 (variant 0, seed 20171031): generated by "
        "bench/synthetic.py from the October 2017 report; not a real DM monthly report."
    )


def _milestone_dues(variant: int) -> dict[str, str]:
    builder = synthetic.load_builder()
    doc = synthetic.synthetic_document(variant, short=True)
    (table,) = [n for n in doc.nodes if isinstance(n, builder.MilestoneTable)]
    return {key: row.due for row in table.rows if hasattr(row, "ids") for key in row.ids}


def test_milestones_slip_within_a_year_and_renumber_the_next():
    january, december, next_january = (_milestone_dues(v) for v in (0, 11, 12))
    # The real October 2017 report lists DLP-472 due 2017-05-31; variant 0 is January 2015,
    # two years earlier, so its dates move back 24 months.
    assert january["DLP-472"] == "2015-05-31"
    assert january["DMTC-7400-2420"] == "2015-07-31"
    assert january.keys() == december.keys()
    assert all(december[key] >= january[key] for key in january)
    assert any(december[key] > january[key] for key in january)
    assert "DLP-1472" in next_january and "DLP-472" not in next_january
    assert "DMTC-7400-3420" in next_january


def test_tickets_renumber_every_month():
    assert synthetic.renumber("see DM-12256 and DM_12305", 600, 0) == "see DM-12856 and DM_12905"
    assert synthetic.renumber("LDM-503-2, DMTN-057, DLP-472", 600, 1000) == (
        "LDM-503-2, DMTN-057, DLP-1472"
    )


def test_clones_move_month_and_identifiers(pdf_report):
    # One report scaled to two: the copy goes to the month before, numbers up by CLONE_STEP.
    original, clone = synthetic.scale_reports([pdf_report], 2, "/nowhere")
    assert original is pdf_report
    assert clone.month == "2017-09"
    assert clone.source == "/nowhere/synthetic-dm-monthly-report-2017-09.pdf"
    due = {m.id: m.due for m in clone.milestones}
    assert "DLP-472" not in due
    assert due["DLP-100472"] == "2017-04-30"  # 2017-05-31 in the real report, one month back
    assert "DM-112256" in {r.key for r in clone.references}


def test_corpus_cache_gives_the_rendered_files_back(tmp_path: Path):
    cache = tmp_path / "cache"
    paths, cached = synthetic.cached_corpus(tmp_path / "one", 1, short=True, cache=cache)
    assert not cached
    rendered = paths[0].read_bytes()
    paths[0].write_bytes(rendered + b"% changed by a run\n")  # a run may change its copy
    again, cached = synthetic.cached_corpus(tmp_path / "two", 1, short=True, cache=cache)
    assert cached
    assert [p.name for p in again] == ["synthetic-dm-monthly-report-2015-01.pdf"]
    assert again[0].read_bytes() == rendered
    # Another count is another corpus.
    _, cached = synthetic.cached_corpus(tmp_path / "three", 2, short=True, cache=cache)
    assert not cached
