"""The small pure pieces of ingest/: WBS codes, identifiers, dates, text repair."""

from __future__ import annotations

import pytest

from ingest import dates, wbs
from ingest.blocks import Block, Cell, Span
from ingest.dates import expected_completion, parse_date, parse_month
from ingest.milestones import parse_table
from ingest.pdf import read_pdf
from ingest.pdf.hyphens import Vocabulary, join_lines, learn_hyphenation
from ingest.pipeline import load_report
from ingest.references import find_identifiers, kind_of, normalise_key, parent_document, url_of
from ingest.text import sentences


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("1.02C.03: Alert Production", ("1.02C.03", "Alert Production")),
        ("02C.03.04 – Image Differencing Pipeline", ("1.02C.03.04", "Image Differencing Pipeline")),
        ("02C.05.00", ("1.02C.05.00", None)),
        ("02C.06.02.03 Query Services", ("1.02C.06.02.03", "Query Services")),
        ("Planned activities", None),
    ],
)
def test_wbs_headings(heading, expected):
    assert wbs.split_heading(heading) == expected


def test_wbs_canonical_and_ancestors():
    assert wbs.canonical("02C.03.04") == "1.02C.03.04"
    assert wbs.canonical("1.02C.06") == "1.02C.06"
    assert wbs.ancestors("1.02C.03.04") == ["1.02C", "1.02C.03", "1.02C.03.04"]


def test_identifiers_normalised():
    found = find_identifiers("HiPS map visualization in Firefly (DM_12305, DM-12551).")
    assert [i.key for i in found] == ["DM-12305", "DM-12551"]
    assert normalise_key("DMTC-7400-242 0") == "DMTC-7400-2420"
    assert [i.key for i in find_identifiers("UTF-8 and ISO-8601 and CC-IN2P3")] == []


@pytest.mark.parametrize(
    "key, kind, url",
    [
        ("DM-12256", "jira", "https://rubinobs.atlassian.net/browse/DM-12256"),
        ("DLP-472", "milestone", "/milestones/DLP-472"),
        ("LDM-503-2", "milestone", "/milestones/LDM-503-2"),
        ("LDM-503", "document", "https://ls.st/LDM-503"),
        ("LSE-299", "document", "https://ls.st/LSE-299"),
        ("LPM-121", "document", "https://ls.st/LPM-121"),
        ("DMTN-057", "technote", "https://dmtn-057.lsst.io"),
        ("SQR-017", "technote", "https://sqr-017.lsst.io"),
        ("ITTN-010", "technote", "https://ittn-010.lsst.io"),
        ("RFC-345", "jira", "https://rubinobs.atlassian.net/browse/RFC-345"),
    ],
)
def test_identifier_kinds_and_links(key, kind, url):
    assert kind_of(key) == kind
    assert url_of(key) == url


def test_milestone_belongs_to_document():
    assert parent_document("LDM-503-2") == "LDM-503"
    assert parent_document("DLP-472") is None


def test_dates():
    assert parse_date("2017-\n05-31") == "2017-05-31"
    assert parse_date("November 30, 2017") == "2017-11-30"
    assert parse_date("not a date") is None
    assert parse_month("October 2017") == "2017-10"
    assert parse_month("lsst-dm-monthly-report-2017-10") == "2017-10"
    assert expected_completion("Expected completion date is November 30, 2017.") == "2017-11-30"
    assert expected_completion("Delayed due to vendor delay.") is None


@pytest.mark.parametrize(
    "text",
    ["November 30, 2017", "may 1 2016", "February 29, 2016", "SEPTEMBER 9,  1999", "June 07, 2100"],
)
def test_dates_written_in_full_read_as_dateparser_reads_them(text):
    parsed = dates.dateparser.parse(text, languages=dates._LANGUAGES, settings=dates._SETTINGS)
    assert parse_date(text) == parsed.date().isoformat()
    month = text.split()[0]
    year = text.split()[-1]
    parsed = dates.dateparser.parse(
        f"{month} {year}", languages=dates._LANGUAGES, settings=dates._SETTINGS
    )
    assert parse_month(f"{month} {year}") == f"{parsed.year:04d}-{parsed.month:02d}"


def test_impossible_dates_are_left_to_dateparser():
    assert parse_date("February 30, 2017") is None


def test_join_lines_repairs_hyphenation():
    lines = [
        "the end-to-",
        "end system is a well-",
        "tested con-",
        "struction by DMTC-",
        "7400-2420",
    ]
    # The document writes "end-to-end", "construction" and "test" inside its lines, and
    # hyphenates automatically ("con-struction"); "welltested" it never writes.
    vocabulary = Vocabulary(["An end-to-end test.", "The construction went on.", *lines])
    learn_hyphenation(vocabulary, [lines])
    assert join_lines(lines, vocabulary) == (
        "the end-to-end system is a well-tested construction by DMTC-7400-2420"
    )


def test_sentences_keep_citations():
    text = "Done (e.g. the task). It is in the pipeline. [DM-12256, DM-12257] Next one."
    assert sentences(text) == [
        "Done (e.g. the task).",
        "It is in the pipeline. [DM-12256, DM-12257]",
        "Next one.",
    ]


def _row(*cells):
    return tuple(Cell(tuple(Span(t, italic=i) for t, i in cell)) for cell in cells)


def test_milestone_rows_rejoined_when_unruled():
    rows = (
        _row([("ID", False)], [("Description", False)], [("Due Date", False)]),
        _row([("International Communications & Base Site", False)], [], []),
        _row(
            [("DMTC-", False)],
            [("REUNA DWDM", False), ("Delayed. Expected", True)],
            [("2017-", False)],
        ),
        _row([("7400-2420", False)], [("completion November 10, 2017", True)], [("07-31", False)]),
        _row([("DLP-538,", False)], [("Assorted ICDs", False)], [("2017-05-31", False)]),
        _row([("DLP-539", False)], [], []),
    )
    found = parse_table(Block(kind="table", page=2, rows=rows), "Delayed Milestones")
    assert [(m.id, m.title, m.note, m.due, m.expected_completion, m.group) for m in found] == [
        (
            "DMTC-7400-2420",
            "REUNA DWDM",
            "Delayed. Expected completion November 10, 2017",
            "2017-07-31",
            "2017-11-10",
            "International Communications & Base Site",
        ),
        (
            "DLP-538",
            "Assorted ICDs",
            "",
            "2017-05-31",
            None,
            "International Communications & Base Site",
        ),
        (
            "DLP-539",
            "Assorted ICDs",
            "",
            "2017-05-31",
            None,
            "International Communications & Base Site",
        ),
    ]
    assert {m.status for m in found} == {"delayed"}


MONTHLESS_REPORT = """<!doctype html><html><head>{head}</head><body>
<h1>Data Management Monthly Report</h1>
<h2>High-level Summary</h2><p>Work went on.</p>
<h2>1.02C.03: Alert Production</h2>
<h3>Current accomplishments</h3><ul><li>Source association merged [DM-12256].</li></ul>
</body></html>"""


@pytest.mark.parametrize(
    ("name", "head", "month"),
    [
        # The title block names no month: the document title does...
        ("report.html", "<title>DM Monthly Report November 2017</title>", "2017-11"),
        ("report.html", '<meta name="subject" content="Status for 2017-09">', "2017-09"),
        # ...else the file name...
        ("lsst-dm-monthly-report-2017-12.html", "", "2017-12"),
        # ...else nothing, and the report says so.
        ("report.html", "", None),
    ],
)
def test_report_month_falls_back_to_metadata_then_file_name(tmp_path, name, head, month):
    path = tmp_path / name
    path.write_text(MONTHLESS_REPORT.format(head=head), encoding="utf-8")
    report = load_report(path)
    assert report.month == month
    assert [s.wbs for s in report.sections] == [None, "1.02C.03"]
    assert ("report month not found" in report.warnings) == (month is None)


def _pdf_with_content(path, content: bytes) -> None:
    """A one-page PDF (Helvetica as /F1) whose page draws `content`, written by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(out)


def test_words_spaced_by_a_tj_array_keep_their_spaces(tmp_path):
    # As LaTeX sets words: one text object, the gaps between words in its TJ array.
    # Such a line is one run; its text must be spaced as PDFium spaces the page.
    path = tmp_path / "tj.pdf"
    _pdf_with_content(
        path,
        b"BT /F1 12 Tf 72 700 Td [(DM-12256) -1000 (closed;) -250 (see) -300 (LDM-503)] TJ ET "
        b"BT /F1 12 Tf 72 660 Td (Next) Tj 60 0 Td (paragraph) Tj ET",
    )
    layout = read_pdf(str(path), path.read_bytes())
    assert [block.text for block in layout.blocks] == [
        "DM-12256 closed; see LDM-503",
        "Next paragraph",
    ]
