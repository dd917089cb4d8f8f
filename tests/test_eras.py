"""Reports of every era: 2015 by area name (HTML rendition), 2016 by team (PDF), 2017 by WBS.

The era fixtures under tests/eras/ are TEST FIXTURES written in the shapes
the real archive has (see their build scripts); each is parsed and ingested,
its month right, each area's or team's text in a section of its own with its
part, its WBS element and its label as the report wrote it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.blocks import Block, Cell, Layout, Span
from ingest.html import read_html
from ingest.milestones import status_of
from ingest.pipeline import load_report
from ingest.structure import NO_STRUCTURE, names_a_report, parse_layout, part_of, strip_number
from ingest.teams import element_of
from search import Index, SearchRequest, search
from tests.ingest_helpers import run_cli, summary_re

ERAS = Path(__file__).resolve().parent / "eras"
HTML_2015 = ERAS / "dm-summary-monthly-report-2015-03.html"
# The same Word document kept as a PDF: printed by LibreOffice Writer.
PDF_2015 = ERAS / "dm-summary-monthly-report-2015-03.pdf"
# Printed by LibreOffice from a Word document, and by WeasyPrint with numbered headings.
PDF_2016 = ERAS / "dm-monthly-status-report-2016-11.pdf"
PDF_2017_NUMBERED = ERAS / "dm-monthly-status-report-2017-02-numbered.pdf"
FIXTURES = (HTML_2015, PDF_2016, PDF_2017_NUMBERED)

AREAS_2015 = [
    ("1.02C.01", "DM Project Management and Control"),
    ("1.02C.03", "Alert Production"),
    ("1.02C.04", "Data Release Production"),
    ("1.02C.05", "Science User Interface and Tools"),
    ("1.02C.06", "Database and Data Access"),
    ("1.02C.07", "Processing Control and Site Infrastructure"),
    ("1.02C.08", "International Communications and Base Site"),
]


TEAMS_2016 = [
    ("1.02C.02", "The Architecture Team"),
    ("1.02C.03", "The AP Team"),
    ("1.02C.04", "The DRP Team"),
    ("1.02C.05", "The SUIT Team"),
    ("1.02C.06", "The DAX Team"),
    ("1.02C.10", "The SQuaRE Team"),
]
# One sentence of each team's detail, and the summary bullet the report repeats for it.
TEAM_TEXT_2016 = {
    (
        "1.02C.02",
        "accomplishments",
    ): "Drafted the interface between the Data Backbone and the Butler",
    ("1.02C.03", "accomplishments"): "Fixed the handling of masked pixels in the dipole fitting "
    "task (DM-8436).",
    ("1.02C.03", "planned"): "Characterise the false positive rate of difference imaging on "
    "HiTS data.",
    ("1.02C.04", "accomplishments"): "Merged the new multi-band deblender into the pipelines.",
    ("1.02C.05", "planned"): "Deploy the SUIT portal prototype on the PDAC at NCSA.",
    ("1.02C.06", "accomplishments"): "Released Qserv with shared scans enabled by default.",
    ("1.02C.10", "accomplishments"): "Added the validate_drp metrics to the SQUASH dashboard.",
}
HIGHLIGHTS_2016 = [
    "The AP Team:",
    "Completed the prototype of the Zogy image differencing algorithm.",
    "The SQuaRE Team:",
    "Launched the LSST the Docs documentation platform (SQR-006).",
]


@pytest.fixture(scope="module", params=[HTML_2015, PDF_2015], ids=["html", "libreoffice"])
def report_2015(request):
    return load_report(request.param)


@pytest.fixture(
    scope="module", params=[PDF_2016, PDF_2017_NUMBERED], ids=["libreoffice", "weasyprint"]
)
def report_2016(request):
    return load_report(request.param)


def _words(text: str) -> str:
    """Text with list glyphs and line breaks set aside (the PDF reader's own concern)."""
    return " ".join(re.sub(r"[\u2022\u25e6\uf0b7]", " ", text).split())


# --- 2015: Word's HTML rendition, progress by area name ---------------------------------------


def test_2015_month_title_no_warnings(report_2015):
    assert report_2015.month == "2015-03"
    assert report_2015.title == "Data Management Summary Monthly Report"
    assert report_2015.warnings == ()


def test_2015_top_parts_without_contents_or_back_to_top(report_2015):
    top = [(s.title, s.part) for s in report_2015.sections if s.wbs is None]
    assert top == [
        ("Project Status", None),
        ("Current Photos", None),
        ("Risk Management", None),
    ]
    everything = "\n".join(s.text for s in report_2015.sections)
    assert "Back to top" not in everything
    assert "1. Project Status" not in everything
    photos = {s.title: s for s in report_2015.sections}["Current Photos"]
    assert photos.text == (
        "Photographs of the summit facility and of the base site in La Serena are posted on "
        "the LSST web site, http://www.lsst.org/gallery/construction."
    )


def test_2015_each_area_a_section_of_its_own(report_2015):
    keys = [(s.wbs, s.wbs_title, s.part) for s in report_2015.sections if s.wbs]
    assert keys == [
        (code, label, part) for code, label in AREAS_2015 for part in ("accomplishments", "planned")
    ]
    assert all(
        s.title in ("Current accomplishments", "Planned activities")
        for s in report_2015.sections
        if s.wbs
    )


def test_2015_lead_in_stays_text_and_bullets_nest(report_2015):
    by_key = {(s.wbs, s.part): s for s in report_2015.sections}
    management = by_key[("1.02C.01", "accomplishments")]
    assert management.text == (
        "The DM Project Manager:\n"
        "- Held the monthly DM leadership meeting at NCSA on March 4-6.\n"
        "- Submitted the February earned value report to the LSST Project Office.\n"
        "  - Variance explanations were written for every control account over its threshold.\n"
        "- Completed the hiring plan for the first construction year."
    )
    assert by_key[("1.02C.06", "planned")].text == (
        "- Release Qserv 2015_04 with the new data loader."
    )


def test_2015_references_carry_their_area(report_2015):
    refs = {r.key: r for r in report_2015.references}
    assert (refs["DM-2049"].kind, refs["DM-2049"].wbs, refs["DM-2049"].part) == (
        "jira",
        "1.02C.03",
        "accomplishments",
    )
    assert refs["LDM-240"].kind == "document" and refs["LDM-240"].wbs is None


# --- late 2016: progress by team, printed to PDF by two producers ---------------------------


def test_2016_month_and_title(report_2016):
    expected = {
        PDF_2016.name: ("2016-11", "Data Management Monthly Status Report"),
        PDF_2017_NUMBERED.name: ("2017-02", "DM Monthly Status Report for February 2017"),
    }
    assert (report_2016.month, report_2016.title) == expected[Path(report_2016.source).name]
    assert report_2016.warnings == ()


def test_2016_each_team_a_section_of_its_own(report_2016):
    keys = [(s.wbs, s.wbs_title, s.part) for s in report_2016.sections if s.wbs]
    assert keys == [
        (code, label, part) for code, label in TEAMS_2016 for part in ("accomplishments", "planned")
    ]
    by_key = {(s.wbs, s.part): s for s in report_2016.sections}
    for key, sentence in TEAM_TEXT_2016.items():
        assert sentence in _words(by_key[key].text), key
        others = [s for s in report_2016.sections if (s.wbs, s.part) != key]
        assert not any(sentence in _words(s.text) for s in others), key


def test_2016_planned_part_named_with_its_month(report_2016):
    titles = {s.title for s in report_2016.sections if s.part == "planned"}
    assert titles == (
        {"Planned for December"} if report_2016.month == "2016-11" else {"Planned activities"}
    )


def test_2016_selected_accomplishments_stay_a_top_section(report_2016):
    top = {s.title: s for s in report_2016.sections if s.wbs is None}
    assert list(top)[:2] == ["High-level Summary", "Project Status"]
    status = _words(top["Project Status"].text)
    assert status.startswith("Selected technical accomplishments:")
    for line in HIGHLIGHTS_2016:
        assert line in status
    assert all(s.part is None for s in top.values())


def test_2016_numbered_rendering_without_contents_or_page_numbers():
    report = load_report(PDF_2017_NUMBERED)
    assert [s.title for s in report.sections if s.wbs is None] == [
        "High-level Summary",
        "Project Status",
    ]
    everything = "\n".join(s.text for s in report.sections)
    assert "Contents" not in everything and "....." not in everything
    assert not re.search(r"(?m)^Page \d+$", everything)


def test_2016_completed_milestones_table():
    report = load_report(PDF_2016)
    got = [(m.id, m.title, m.due, m.status) for m in report.milestones]
    assert got == [
        ("DLP-330", "Qserv release with shared scans", "2016-11-18", "completed"),
        ("DLP-334", "Firefly JavaScript API release", "2016-11-30", "completed"),
    ]
    refs = {r.key: (r.kind, r.wbs) for r in report.references}
    assert refs["DM-8436"] == ("jira", "1.02C.03")
    assert refs["SQR-006"][0] == "technote"


# --- the parts that make this work, one at a time ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("DM Project Management and Control", "1.02C.01"),
        ("The Architecture Team", "1.02C.02"),
        ("The AP Team:", "1.02C.03"),
        ("Alert Production (AP)", "1.02C.03"),
        ("The DRP Team", "1.02C.04"),
        ("The SUIT Team", "1.02C.05"),
        ("Science Data Archive & Application Services", "1.02C.06"),
        ("The DAX Team", "1.02C.06"),
        ("NCSA", "1.02C.07"),
        ("Processing Control & Site Infrastructure", "1.02C.07"),
        ("Chilean Networks", "1.02C.08"),
        ("Integration and Test", "1.02C.09"),
        ("SQuaRE", "1.02C.10"),
        ("The SQuaRE Team", "1.02C.10"),
        ("NCSA / LSST Data Facility", "1.02C.07"),
        ("The DAX Team \u2013 Database and Data Access", "1.02C.06"),
        ("The DM Project Manager:", None),
        ("Selected technical accomplishments", None),
        ("Risk Management", None),
    ],
)
def test_team_names_map_to_their_element(name, code):
    assert element_of(name) == code


@pytest.mark.parametrize(
    ("heading", "part"),
    [
        ("Current accomplishments", "accomplishments"),
        ("Current accomplishments:", "accomplishments"),
        ("5.1 Current accomplishments", "accomplishments"),
        ("Accomplishments in November:", "accomplishments"),
        ("Planned activities", "planned"),
        ("Planned for December:", "planned"),
        ("Plans for next month", "planned"),
        ("Recruitment update", "recruitment"),
        ("Selected technical accomplishments:", None),
        ("Planning", None),
    ],
)
def test_part_names(heading, part):
    assert part_of(heading) == part


def test_heading_numbers_set_aside_but_not_wbs_codes():
    assert strip_number("5.1 Current accomplishments") == ("Current accomplishments", "5.1")
    assert strip_number("II. Risk Management") == ("Risk Management", "II")
    assert strip_number("3 Detailed Project Progress") == ("Detailed Project Progress", "3")
    assert strip_number("1.02C.03: Alert Production") == ("1.02C.03: Alert Production", None)
    assert strip_number("02C.03.04 – Image Differencing") == (
        "02C.03.04 – Image Differencing",
        None,
    )


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("Data Management Summary Monthly Report", True),
        ("Data Management Monthly Status Report", True),
        ("DM Monthly Status Report for November 2016", True),
        ("Large Synoptic Survey Telescope Data Management Monthly Report", True),
        ("Minutes of the coffee committee", False),
        ("Monthly report of the coffee committee", False),
        ("LSST Camera Monthly Report", False),
    ],
)
def test_report_titles_of_every_era(line, named):
    assert names_a_report(line) is named


def _text(text, size=10.0, bold=False, level=0, page=1, links=()):
    return Block(kind="text", page=page, text=text, size=size, bold=bold, level=level, links=links)


def _parse(*blocks):
    return parse_layout(Layout(blocks=tuple(blocks), pages=1), source="x.pdf", sha256="")


def test_heading_level_from_the_documents_own_hierarchy():
    # One producer's sizes: areas at 11 pt bold, parts bold at body size, a lead-in too.
    report = _parse(
        _text("DM Monthly Status Report for November 2016", 16, True),
        _text("Project Status", 13, True),
        _text("Work went on."),
        _text("The AP Team", 11, True),
        _text("Accomplishments:", 10, True),
        _text("The pipeline leads:", 10, True),
        _text("Ran the pipeline.", level=1),
        _text("Planned:", 10, True),
        _text("Run it again.", level=1),
        _text("Science Pipelines Outreach", 11, True),
        _text("Accomplishments:", 10, True),
        _text("Gave a talk.", level=1),
    )
    assert report.month == "2016-11" and report.warnings == ()
    got = [(s.wbs, s.wbs_title, s.part, s.title, s.text) for s in report.sections]
    assert got == [
        (None, None, None, "Project Status", "Work went on."),
        (
            "1.02C.03",
            "The AP Team",
            "accomplishments",
            "Accomplishments",
            "The pipeline leads:\n- Ran the pipeline.",
        ),
        ("1.02C.03", "The AP Team", "planned", "Planned", "- Run it again."),
        # An area no table knows keeps its own section, with its label and no code.
        (
            None,
            "Science Pipelines Outreach",
            "accomplishments",
            "Accomplishments",
            "- Gave a talk.",
        ),
    ]


def test_team_heading_set_like_its_parts_opens_its_element():
    report = _parse(
        _text("Data Management Monthly Status Report", 16, True),
        _text("November 2016", 14),
        _text("Project Status", 13, True),
        _text("The DAX Team:", 10, True),
        _text("Accomplishments:", 10, True),
        _text("Loaded the catalog.", level=1),
        _text("Thanks to the team:", 10, True),
        _text("They worked hard."),
    )
    got = [(s.wbs, s.wbs_title, s.part, s.text) for s in report.sections]
    assert got == [
        (
            "1.02C.06",
            "The DAX Team",
            "accomplishments",
            "- Loaded the catalog.\nThanks to the team:\nThey worked hard.",
        )
    ]


def test_numbered_headings_decide_by_depth():
    report = _parse(
        _text("Data Management Monthly Status Report", 16, True),
        _text("November 2016", 14),
        _text("1. High-level Summary", 12, True),
        _text("Summary text."),
        _text("2. Progress", 12, True),
        _text("2.1 The SUIT Team", 12, True),
        _text("2.1.1 Accomplishments", 12, True),
        _text("Firefly work."),
        _text("2.2 Demonstrations", 12, True),
        _text("2.2.1 Accomplishments", 12, True),
        _text("A demo."),
    )
    got = [(s.wbs, s.wbs_title, s.part, s.title) for s in report.sections]
    assert got == [
        (None, None, None, "High-level Summary"),
        ("1.02C.05", "The SUIT Team", "accomplishments", "Accomplishments"),
        (None, "Demonstrations", "accomplishments", "Accomplishments"),
    ]


def test_numbered_headings_of_an_html_to_pdf_converter():
    # Browser default sizes: body 16 px, h3 18.7, h4 16 bold, h5 13.3 bold (below body text).
    report = _parse(
        _text("Large Synoptic Survey Telescope Data Management Monthly Report", 32, True),
        _text("October 2017", 20.8),
        _text("3. Milestone Summary", 24, True),
        _text("3.0.1 Delayed Milestones", 16, True),
        _text("Milestones behind schedule.", 16),
        _text("4. Detailed Project Progress", 24, True),
        _text("4.4 1.02C.03: Alert Production", 18.7, True),
        _text("4.4.1 Current accomplishments", 16, True),
        _text("02C.03.04 – Image Differencing Pipeline", 13.3, True),
        _text("Ran the pipeline.", 16, level=1),
        _text("4.4.2 Planned activities", 16, True),
        _text("Run it again.", 16),
    )
    got = [(s.wbs, s.wbs_title, s.part, s.title, s.text) for s in report.sections]
    assert got == [
        (None, None, None, "Milestone Summary", "Delayed Milestones\nMilestones behind schedule."),
        (
            "1.02C.03.04",
            "Image Differencing Pipeline",
            "accomplishments",
            "02C.03.04 – Image Differencing Pipeline",
            "- Ran the pipeline.",
        ),
        ("1.02C.03", "Alert Production", "planned", "Planned activities", "Run it again."),
    ]


def test_run_in_headings_open_their_sub_element():
    # LaTeX's \\paragraph: the bold code and title run into the paragraph's first line.
    report = _parse(
        _text("Large Synoptic Survey Telescope Data Management Monthly Report", 20, True),
        _text("October 2017", 14),
        _text("1.02C.07: LSST Data Facility", 14, True),
        _text("Current accomplishments", 12, True),
        _text("02C.07.02 Infrastructure Services We completed our commitment."),
        _text("02C.07.04 Site Infrastructure We continued work toward a policy."),
        _text("02C.07.06.02 Reusable Production Services: Kubernetes was installed."),
        _text("Planned activities", 12, True),
        _text("02C.07.04 Site Infrastructure Work toward consolidation will continue."),
    )
    got = [(s.wbs, s.wbs_title, s.part, s.title, s.text) for s in report.sections]
    assert got == [
        (
            "1.02C.07.02",
            "Infrastructure Services",
            "accomplishments",
            "02C.07.02 Infrastructure Services",
            "We completed our commitment.",
        ),
        (
            "1.02C.07.04",
            "Site Infrastructure",
            "accomplishments",
            "02C.07.04 Site Infrastructure",
            "We continued work toward a policy.",
        ),
        (
            "1.02C.07.06.02",
            "Reusable Production Services",
            "accomplishments",
            "02C.07.06.02 Reusable Production Services",
            "Kubernetes was installed.",
        ),
        (
            "1.02C.07.04",
            "Site Infrastructure",
            "planned",
            "02C.07.04 Site Infrastructure",
            "Work toward consolidation will continue.",
        ),
    ]


def test_contents_and_back_to_top_are_not_content():
    report = _parse(
        _text("Data Management Monthly Status Report", 16, True),
        _text("November 2016", 14),
        _text("Contents"),
        _text("1. High-level Summary ........ 1"),
        _text("2. Risk Management ........ 2"),
        _text("High-level Summary", 13, True),
        _text("Summary text."),
        _text("Back to top", links=("#top",)),
        _text("Risk Management", 13, True),
        _text("No new risks. Back to top", links=("#top",)),
    )
    got = [(s.title, s.text) for s in report.sections]
    assert got == [("High-level Summary", "Summary text."), ("Risk Management", "No new risks.")]


def test_bullet_glyph_paragraphs_are_list_items():
    report = _parse(
        _text("Data Management Monthly Status Report November 2016", 16, True),
        _text("The DRP Team", 13, True),
        _text("Planned activities:", 10, True),
        _text("\u00b7   Process the HSC data."),
        _text("\u2022 Write the report."),
    )
    section = report.sections[0]
    assert (section.wbs, section.part) == ("1.02C.04", "planned")
    assert section.text == "- Process the HSC data.\n- Write the report."


def test_named_report_without_structure_is_kept_other_documents_refused():
    named = _parse(_text("Data Management Monthly Status Report", 16, True), _text("June 2016", 14))
    assert named.month == "2016-06" and NO_STRUCTURE not in named.warnings
    minutes = _parse(_text("Minutes of the coffee committee, June 2016."))
    assert NO_STRUCTURE in minutes.warnings
    # A title but no month (and no structure): not a report.
    undated = _parse(_text("Data Management Monthly Status Report", 16, True), _text("Draft."))
    assert NO_STRUCTURE in undated.warnings


def test_word_html_styles_sizes_and_list_levels(tmp_path):
    page = (
        "<html><head><style>p.MsoNormal {font-size:11.0pt} p.Area {font-size:13pt;"
        " font-weight:bold}</style></head><body>"
        "<p class=MsoNormal><span style='font-size:20.0pt'>Data Management Monthly Status"
        " Report</span></p>"
        "<p class=Area>The SQuaRE Team</p>"
        "<p class=MsoNormal><span style='font-weight:bold'>Accomplishments:</span></p>"
        "<p class=MsoListParagraphCxSpFirst style='text-indent:-.25in;mso-list:l0 level1 lfo1'>"
        "<![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>"
        "&middot;<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp; </span></span>"
        "</span><![endif]>Released the documentation site.</p>"
        "<p class=MsoListParagraphCxSpLast style='text-indent:-.25in;mso-list:l0 level2 lfo1'>"
        "<![if !supportLists]><span style='font-family:\"Courier New\"'>o<span>&nbsp;&nbsp; "
        "</span></span><![endif]>Built with Sphinx.</p>"
        "</body></html>"
    )
    layout = read_html("x.html", page.encode())
    got = [(b.text, b.size, b.bold, b.level) for b in layout.blocks]
    assert got == [
        ("Data Management Monthly Status Report", 20.0, False, 0),
        ("The SQuaRE Team", 13.0, True, 0),
        ("Accomplishments:", 11.0, True, 0),
        ("Released the documentation site.", 10.0, False, 1),  # no rule: the default size
        ("Built with Sphinx.", 10.0, False, 2),
    ]


def test_styled_divs_are_paragraphs_with_their_styles():
    page = (
        "<html><head><style>.part { font-weight: 700 } .team { font-size: 16px;"
        " font-weight: bold }</style></head><body>"
        "<div style='font-size:22px'>DM Monthly Status Report for June 2016</div>"
        "<div class='team'>The DRP Team</div><div class='part'>Accomplishments:</div>"
        "<div>Processed the HSC data.</div></body></html>"
    )
    layout = read_html("x.html", page.encode())
    got = [(b.text, b.size, b.bold) for b in layout.blocks]
    assert got == [
        ("DM Monthly Status Report for June 2016", 16.5, False),
        ("The DRP Team", 12.0, True),
        ("Accomplishments:", 10.0, True),
        ("Processed the HSC data.", 10.0, False),
    ]


@pytest.mark.parametrize(
    ("heading", "status"),
    [
        ("Delayed Milestones", "delayed"),
        ("Late milestones", "delayed"),
        ("Milestones completed in October", "completed"),
        ("Completed Milestones", "completed"),
        ("Milestones achieved this month:", "completed"),
        ("Upcoming Milestones", "upcoming"),
        ("Milestones due in the next three months", "upcoming"),
        ("Milestone Summary", None),
        (None, None),
    ],
)
def test_milestone_status_from_table_heading(heading, status):
    assert status_of(heading) == status


def test_milestone_tables_besides_delayed_ones():
    header = (Cell((Span("ID"),)), Cell((Span("Milestone"),)), Cell((Span("Completed"),)))
    row = (
        Cell((Span("DLP-330"),)),
        Cell((Span("Qserv 2016_11 release"),)),
        Cell((Span("2016-11-18"),)),
    )
    report = _parse(
        _text("Data Management Monthly Status Report", 16, True),
        _text("November 2016", 14),
        _text("Milestone Summary", 13, True),
        _text("Completed Milestones", 11, True),
        Block(kind="table", page=1, rows=(header, row)),
        _text("The following milestones are due next:"),
        Block(kind="table", page=1, rows=(header, row)),
    )
    got = [(m.id, m.title, m.due, m.status) for m in report.milestones]
    assert got == [
        ("DLP-330", "Qserv 2016_11 release", "2016-11-18", "completed"),
        ("DLP-330", "Qserv 2016_11 release", "2016-11-18", "upcoming"),
    ]


def test_milestone_status_column_over_the_heading():
    header = tuple(Cell((Span(h),)) for h in ("Milestone", "Description", "Due Date", "Status"))
    rows = (
        ("DLP-366", "Mid-scale processing", "2017-11-30", "Late"),
        ("DLP-472", "Qserv Data Distribution", "2017-05-31", "Completed"),
        ("DLP-579", "Usability", "2018-01-31", ""),
    )
    table = tuple(tuple(Cell((Span(v),)) for v in row) for row in rows)
    report = _parse(
        _text("Data Management Monthly Status Report", 16, True),
        _text("November 2016", 14),
        _text("Upcoming Milestones", 13, True),
        _text("The milestones due in the coming months, and two reported on in this report."),
        Block(kind="table", page=1, rows=(header, *table)),
    )
    got = [(m.id, m.due, m.status) for m in report.milestones]
    assert got == [
        ("DLP-366", "2017-11-30", "delayed"),
        ("DLP-472", "2017-05-31", "completed"),
        ("DLP-579", "2018-01-31", "upcoming"),
    ]


# --- ingested like any other report ------------------------------------------------------------


def test_eras_ingested(tmp_path):
    index_dir = tmp_path / "index"
    result = run_cli("ingest", *FIXTURES, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.fullmatch(summary_re(added=3), result.stdout.splitlines()[-1])
    index = Index.open(index_dir)
    months = {Path(path).name: info.month for path, info in index.report_files().items()}
    assert months == {
        HTML_2015.name: "2015-03",
        PDF_2016.name: "2016-11",
        PDF_2017_NUMBERED.name: "2017-02",
    }
    teams = search(index, SearchRequest(wbs=["1.02C.03"], month=["2016-11"], per_page=50))
    assert sorted((h.wbs, h.wbs_title, h.part) for h in teams.hits) == [
        ("1.02C.03", "The AP Team", "accomplishments"),
        ("1.02C.03", "The AP Team", "planned"),
    ]
    completed = search(index, SearchRequest(q="status:completed"))
    assert sorted(h.milestone_id for h in completed.hits) == ["DLP-330", "DLP-334"]
    found = search(index, SearchRequest(q="Qserv", wbs=["1.02C.06"], month=["2015-03"]))
    assert sorted((h.wbs, h.wbs_title, h.part) for h in found.hits) == [
        ("1.02C.06", "Database and Data Access", "accomplishments"),
        ("1.02C.06", "Database and Data Access", "planned"),
    ]


def test_2015_pdf_ingested(tmp_path):
    """The 2015 report kept as a PDF is ingested as its month, each area in its element."""
    index_dir = tmp_path / "index"
    result = run_cli("ingest", PDF_2015, "--index", index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    index = Index.open(index_dir)
    assert [info.month for info in index.report_files().values()] == ["2015-03"]
    found = search(index, SearchRequest(q="Qserv", wbs=["1.02C.06"], month=["2015-03"]))
    assert sorted((h.wbs, h.wbs_title, h.part) for h in found.hits) == [
        ("1.02C.06", "Database and Data Access", "accomplishments"),
        ("1.02C.06", "Database and Data Access", "planned"),
    ]
