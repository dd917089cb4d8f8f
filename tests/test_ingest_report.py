"""The real October 2017 report, as PDF, as HTML and as a rendering the parser never saw."""

from __future__ import annotations

import dataclasses
import re

import pypdfium2 as pdfium
import pytest

from ingest.pipeline import load_report
from ingest.references import DEFAULT_JIRA_BASE
from tests.conftest import CORPUS_HTML

RENDERINGS = ["pdf_report", "html_report", "alt_report"]


@pytest.fixture(params=RENDERINGS)
def report(request):
    return request.getfixturevalue(request.param)


def test_month_and_title(report, expected):
    assert report.month == "2017-10"
    assert report.title == expected["title"]
    assert report.warnings == ()


def test_all_wbs_codes(report, expected):
    codes = sorted({s.wbs for s in report.sections if s.wbs})
    assert codes == expected["wbs_codes"]
    assert len(codes) == 52


def test_sections_that_carry_text(report, expected):
    keys = [[s.wbs, s.part] for s in report.sections if s.wbs]
    assert keys == expected["sections"]
    assert len(keys) == 95
    assert all(s.text.strip() for s in report.sections)


def test_top_parts_have_no_wbs(report):
    top = [(s.title, s.wbs, s.part) for s in report.sections if s.wbs is None]
    assert top == [
        ("High-level Summary", None, None),
        ("Risk Management", None, None),
        ("Milestone Summary", None, None),
    ]


def test_section_titles_as_written(report):
    by_key = {(s.wbs, s.part): s for s in report.sections}
    diff = by_key[("1.02C.03.04", "accomplishments")]
    assert diff.wbs_title == "Image Differencing Pipeline"
    assert diff.title == "02C.03.04 – Image Differencing Pipeline"
    assert by_key[("1.02C.05.00", "planned")].wbs_title is None
    assert by_key[("1.02C.03", "recruitment")].wbs_title == "Alert Production"
    assert by_key[("1.02C.02.01", "planned")].wbs_title == "Data Management Science"
    ldf = by_key[("1.02C.07.05", "accomplishments")]
    assert (
        ldf.wbs_title == "LSST Data Facility Management, Service Architecture, and Project Controls"
    )


def test_nested_lists(report):
    text = {(s.wbs, s.part): s.text for s in report.sections}[("1.02C.03.00", "accomplishments")]
    lines = text.split("\n")
    assert lines[0] == "- Travel & meetings:"
    assert lines[1].startswith("  - Eric Bellm spent the first three weeks")


def test_delayed_milestones(report, expected):
    got = [
        {
            "id": m.id,
            "due": m.due,
            "group": m.group,
            "expected_completion": m.expected_completion,
            "status": m.status,
        }
        for m in report.milestones
    ]
    assert got == expected["milestones"]


def test_milestone_title_and_italic_note(report):
    by_id = {m.id: m for m in report.milestones}
    qserv = by_id["DLP-472"]
    assert qserv.title == "Qserv Data Distribution"
    assert qserv.note.startswith("Delayed due to personnel reassignments. Gaponenko assigned.")
    assert qserv.note.endswith("could ripple to further delays in this milestone.")
    assert by_id["DLP-802"].note.endswith("(currently included in the S18 NC procurement.)")
    assert by_id["DMTC-7400-2420"].title == "REUNA La Serena - Santiago DWDM equipment"
    assert by_id["DLP-538"].title == by_id["DLP-544"].title == "Assorted ICDs updated to Phase 3"


def test_every_identifier(report, expected):
    kinds = {r.key: r.kind for r in report.references}
    assert kinds == expected["references"]
    assert len(kinds) == 132


def test_identifier_links_and_normalisation(report):
    refs = {r.key: r for r in report.references}
    assert refs["DM-12256"].url == DEFAULT_JIRA_BASE + "DM-12256"
    assert refs["DMTN-057"].url == "https://dmtn-057.lsst.io"
    assert refs["LDM-592"].url == "https://ls.st/LDM-592"
    assert refs["LDM-503-2"].kind == "milestone"
    assert refs["DLP-472"].url == "/milestones/DLP-472"
    assert "DM_12305" not in refs and refs["DM-12305"].wbs == "1.02C.05.02"
    assert "DN-11479" in refs  # a typo in the report, kept as written
    ticket = [r for r in report.references if r.key == "DM-12256"][0]
    assert (ticket.wbs, ticket.part) == ("1.02C.03.00", "accomplishments")
    assert ticket.context.startswith("The simple source association system provided by")


def test_jira_base_configurable(monkeypatch, builder):

    monkeypatch.setenv("DMREPORTS_JIRA_URL", "https://jira.lsstcorp.org/browse")
    refs = {r.key: r for r in load_report(CORPUS_HTML).references}
    assert refs["DM-9676"].url == "https://jira.lsstcorp.org/browse/DM-9676"


def test_no_page_furniture_in_sections(pdf_report):
    for section in pdf_report.sections:
        assert "LSST DM Monthly Report" not in section.text
        assert not re.search(r"(?m)^Page \d+", section.text)
        assert not re.search(r"(?m)^\d+$", section.text)


def test_page_break_sentence_joined(pdf_report, builder):
    doc = builder.read_seed(builder.SEED_PATH)
    crossings = builder.sentences_across_pages(pdf_report.source, doc)
    assert crossings, "the corpus PDF must carry a sentence across a page break"
    text = "\n".join(s.text for s in pdf_report.sections)
    for _page, before, after in crossings:
        assert f"{before} {after}" in text


def test_seed_page_break_joins_restored(report):
    text = "\n".join(s.text for s in report.sections)
    assert "seismic bracing of supports for the raised floor." in text
    assert "during the week of 6 November." in text
    assert "on one of the Qserv development clusters at CC-IN2P3." in text


def test_pdf_and_html_give_the_same_report(pdf_report, html_report, alt_report):
    def strip(report):
        return dataclasses.replace(
            report,
            source="",
            sha256="",
            pages=0,
            sections=tuple(dataclasses.replace(s, page=0) for s in report.sections),
            milestones=tuple(dataclasses.replace(m, page=0) for m in report.milestones),
            references=tuple(dataclasses.replace(r, page=0) for r in report.references),
        )

    assert strip(pdf_report) == strip(html_report)
    assert strip(alt_report) == strip(html_report)


def test_pdf_pages(pdf_report):
    assert pdf_report.pages == len(pdfium.PdfDocument(pdf_report.source))
    by_key = {(s.wbs, s.part): s for s in pdf_report.sections}
    assert pdf_report.sections[0].page == 1
    assert 1 < by_key[("1.02C.10", "recruitment")].page <= pdf_report.pages
    assert all(m.page == pdf_report.milestones[0].page for m in pdf_report.milestones[:7])


def test_html_without_optional_end_tags_reads_the_same(tmp_path, html_report):
    # HTML lets </p>, </li>, </td> and </tr> be left out; many archives do.
    source = CORPUS_HTML.read_text(encoding="utf-8")
    path = tmp_path / "report.html"
    path.write_text(re.sub(r"</(p|li|td|th|tr)>", "", source), encoding="utf-8")
    report = load_report(path)
    assert report.warnings == ()
    assert [(s.wbs, s.part, s.text) for s in report.sections] == [
        (s.wbs, s.part, s.text) for s in html_report.sections
    ]
    assert [(m.id, m.due, m.note) for m in report.milestones] == [
        (m.id, m.due, m.note) for m in html_report.milestones
    ]
    assert len(report.milestones) == 11
