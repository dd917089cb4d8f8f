"""search.library: the data behind the pages over time, on small derived TEST FIXTURE reports."""

from __future__ import annotations

import dataclasses

import pytest

from search import Index, library

MILESTONE = "DLP-472"


def derived(base, month: str, due: str | None, name: str | None = None):
    """The October report trimmed to a few sections, as if from another month."""
    rows = tuple(
        dataclasses.replace(m, due=due) if m.id == MILESTONE else m for m in base.milestones
    )
    keep = [s for s in base.sections if s.wbs is None or s.wbs.startswith("1.02C.06")]
    return dataclasses.replace(
        base,
        month=month,
        source=f"/fixtures/{name or 'test-fixture-' + month}.pdf",
        sha256=(month.replace("-", "") + (name or "")).ljust(64, "0"),
        sections=tuple(keep),
        milestones=rows,
        references=tuple(r for r in base.references if r.wbs is None or "1.02C.06" in r.wbs),
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory, pdf_report) -> Index:
    index = Index.open(tmp_path_factory.mktemp("library") / "index", create=True)
    with index.writer() as writer:
        writer.add_report(derived(pdf_report, "2017-07", "2017-01-31"))
        writer.add_report(derived(pdf_report, "2017-08", None))  # the row lost its date
        writer.add_report(derived(pdf_report, "2017-09", "2017-01-31"))
        writer.add_report(derived(pdf_report, "2017-10", "2017-05-31"))
        writer.add_report(derived(pdf_report, "2017-10", "2017-05-31", name="copy-2017-10"))
    return index


def test_reports_are_listed_oldest_first_with_duplicates_kept(index):
    reports = library.reports(index)
    assert [r.month for r in reports] == ["2017-07", "2017-08", "2017-09", "2017-10", "2017-10"]
    assert reports[-1].id != reports[-2].id
    view = library.report_view(index, reports[2].id)
    assert (view.previous.month, view.next.month) == ("2017-08", "2017-10")
    assert library.report_view(index, "no-such-report") is None


def test_a_missing_due_date_is_not_a_slip(index):
    history = library.milestone_history(index, MILESTONE)
    assert [(e.month, e.due, e.slipped) for e in history.entries] == [
        ("2017-07", "2017-01-31", False),
        ("2017-08", None, False),
        ("2017-09", "2017-01-31", False),
        ("2017-10", "2017-05-31", True),
        ("2017-10", "2017-05-31", False),
    ]
    assert [(e.change, e.shift_days) for e in history.entries] == [
        ("unchanged", 0),
        ("unchanged", 0),
        ("unchanged", 0),
        ("slipped", 120),
        ("unchanged", 0),
    ]
    assert history.slips == 1 and history.title == "Qserv Data Distribution"
    assert (history.pull_ins, history.slip_days) == (0, 120)
    summary = next(m for m in library.milestones(index) if m.id == MILESTONE)
    assert (summary.latest_due, summary.slips, summary.reports) == ("2017-05-31", 1, 5)
    assert (summary.first_month, summary.last_month) == ("2017-07", "2017-10")
    assert library.milestone_history(index, "DLP-1") is None


def test_a_due_date_change_is_named_by_its_direction():
    assert library.classify_change("2017-01-30", "2016-11-30") == ("pulled in", -61)
    assert library.classify_change("2016-10-31", "2017-05-31") == ("slipped", 212)
    assert library.classify_change("2017-05-31", "2017-05-31") == ("unchanged", 0)
    assert library.classify_change(None, "2017-05-31") == ("unchanged", 0)
    assert library.classify_change("2017-05-31", None) == ("unchanged", 0)


def test_mentions_point_at_their_section_or_milestone_row(index):
    history = library.ref_history(index, MILESTONE)
    assert history.months == ("2017-07", "2017-08", "2017-09", "2017-10")
    row = history.mentions[0]
    assert row.doc_id.endswith("#milestone/DLP-472")
    assert row.context.startswith("DLP-472: Qserv Data Distribution")
    ticket = library.ref_history(index, "DM-12305")
    assert ticket is None  # cited under 1.02C.05, trimmed from these fixtures
    assert library.canonical_key("dm_12305") == "DM-12305"
    assert library.canonical_key("not a key") is None


def test_wbs_history_lists_children_and_previous_plans(index):
    history = library.wbs_history(index, "1.02C.06")
    assert history.title == "Science Data Archive & Application Services"
    assert [c for c, _ in history.children] == ["1.02C.06.00", "1.02C.06.01", "1.02C.06.02"]
    labels = dict(history.children)
    assert labels["1.02C.06.01"] == "1.02C.06.01"  # no report names this level
    second = history.months[1]
    assert second.previous_month == "2017-07"
    assert [d.wbs for d in second.previous_planned] == [d.wbs for d in history.months[0].planned]
    assert all(d.report == history.months[0].report for d in second.previous_planned)
    assert library.wbs_history(index, "1.02C.03") is None
