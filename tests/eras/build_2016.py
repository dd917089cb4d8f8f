"""TEST FIXTURES, NOT REAL REPORTS: a late-2016 "Data Management Monthly Status Report".

Reports from 2016 to mid 2017 give a "High-level Summary", then "Project
Status" with "Selected technical accomplishments:" as nested bullets by team,
then each team's detail with its accomplishments and plans; they quote no WBS
codes. The text is written in the voice of the real reports (the originals
are not in this project).

Two renderings, by two tools users use:

- `sources/dm-monthly-status-report-2016-11.docx` written with python-docx (Word's
  own styles: Title, Subtitle, Heading 1/2, List Bullet, List Bullet 2, a
  bordered table), printed to `dm-monthly-status-report-2016-11.pdf` by
  LibreOffice (`soffice --headless --convert-to pdf`);
- `sources/dm-monthly-status-report-2017-02-numbered.html`, the same text for
  February 2017 with the month in the title line as the forum announcements
  write it, numbered headings ("3.2 The AP Team", "3.2.1 Accomplishments") and
  a table of contents with dot leaders, printed to
  `dm-monthly-status-report-2017-02-numbered.pdf` by WeasyPrint.

Rebuild with `python tests/eras/build_2016.py` where python-docx, LibreOffice
and WeasyPrint are installed (`pip install python-docx`, `apt-get install
libreoffice-writer-nogui weasyprint`); the suite reads the committed files.
"""

from __future__ import annotations

import html
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DOCX = SOURCES / "dm-monthly-status-report-2016-11.docx"
NUMBERED_HTML = SOURCES / "dm-monthly-status-report-2017-02-numbered.html"

TITLE = "Data Management Monthly Status Report"

SUMMARY = (
    "DM completed the planning of the next six-month development cycle and baselined "
    "its milestones. The LSST Data Facility at NCSA took over the operation of the "
    "development and integration services, and the DM System Requirements (LSE-61) "
    "were submitted to the change control board."
)

# "Selected technical accomplishments:" bullets by team, as the summary repeats them.
HIGHLIGHTS = [
    ("The Architecture Team:", ["Baselined the DM System Requirements (LSE-61)."]),
    ("The AP Team:", ["Completed the prototype of the Zogy image differencing algorithm."]),
    ("The DRP Team:", ["Processed the HSC PDR1 data with the LSST Science Pipelines."]),
    ("The SUIT Team:", ["Released Firefly with the new JavaScript API."]),
    ("The DAX Team:", ["Loaded the WISE catalogs into Qserv at NCSA."]),
    ("The SQuaRE Team:", ["Launched the LSST the Docs documentation platform (SQR-006)."]),
]

# (team as the report names it, WBS element, accomplishments, plans).
TEAMS = [
    (
        "The Architecture Team",
        "1.02C.02",
        [
            "Baselined the DM System Requirements (LSE-61) after the review by the DM leads.",
            "Drafted the interface between the Data Backbone and the Butler (DMTN-023).",
        ],
        ["Present the DM architecture at the Joint Status Review."],
    ),
    (
        "The AP Team",
        "1.02C.03",
        [
            "Completed the prototype of the Zogy image differencing algorithm and compared "
            "it with Alard-Lupton on DECam data.",
            "Fixed the handling of masked pixels in the dipole fitting task (DM-8436).",
        ],
        ["Characterise the false positive rate of difference imaging on HiTS data."],
    ),
    (
        "The DRP Team",
        "1.02C.04",
        [
            "Processed the HSC PDR1 data with the LSST Science Pipelines on the NCSA "
            "verification cluster.",
            "Merged the new multi-band deblender into the pipelines.",
        ],
        ["Validate the coadd photometry against the HSC pipeline outputs."],
    ),
    (
        "The SUIT Team",
        "1.02C.05",
        ["Released Firefly with the new JavaScript API and Python widgets."],
        ["Deploy the SUIT portal prototype on the PDAC at NCSA."],
    ),
    (
        "The DAX Team",
        "1.02C.06",
        [
            "Loaded the WISE catalogs into Qserv at NCSA for the Prototype Data Access Center.",
            "Released Qserv with shared scans enabled by default.",
        ],
        ["Load the SDSS Stripe 82 catalogs into the PDAC."],
    ),
    (
        "The SQuaRE Team",
        "1.02C.10",
        [
            "Launched the LSST the Docs documentation platform (SQR-006).",
            "Added the validate_drp metrics to the SQUASH dashboard.",
        ],
        ["Automate the weekly release builds of the Science Pipelines."],
    ),
]

# Milestones completed in the month: (ID, milestone, completed).
COMPLETED = [
    ("DLP-330", "Qserv release with shared scans", "2016-11-18"),
    ("DLP-334", "Firefly JavaScript API release", "2016-11-30"),
]


def build_docx(month: str) -> None:
    """The report as Word writes it (python-docx, Word's default styles)."""
    import docx  # only this build script needs python-docx

    document = docx.Document()
    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph(month, style="Subtitle")
    document.add_heading("High-level Summary", level=1)
    document.add_paragraph(SUMMARY)
    document.add_heading("Project Status", level=1)
    lead = document.add_paragraph()
    lead.add_run("Selected technical accomplishments:").bold = True
    for team, items in HIGHLIGHTS:
        document.add_paragraph(team, style="List Bullet")
        for item in items:
            document.add_paragraph(item, style="List Bullet 2")
    document.add_heading("Milestones completed in November", level=2)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("ID", "Milestone", "Completed"), strict=True):
        cell.paragraphs[0].add_run(label).bold = True
    for row in COMPLETED:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    document.add_heading("Progress by Team", level=1)
    for team, _code, done, planned in TEAMS:
        document.add_heading(team, level=2)
        for heading, items in (("Accomplishments:", done), ("Planned for December:", planned)):
            document.add_paragraph().add_run(heading).bold = True
            for item in items:
                document.add_paragraph(item, style="List Bullet")
    document.core_properties.title = TITLE
    document.save(DOCX)


def print_with_libreoffice(source: Path, *, writer: bool = False) -> Path:
    """``source`` printed to PDF beside this script by LibreOffice; ``writer`` opens an
    HTML file as a Writer text document (as a Word document's HTML rendition)."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                *(["--writer"] if writer else []),
                "--convert-to",
                "pdf",
                "--outdir",
                str(HERE),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
    return HERE / source.with_suffix(".pdf").name


NUMBERED_CSS = """
@page { size: A4; margin: 2cm; @bottom-center { content: "Page " counter(page); } }
body { font-family: "DejaVu Serif", serif; font-size: 10pt; counter-reset: h1; }
h1.title { font-size: 20pt; text-align: center; counter-increment: none; }
h1.title::before { content: none; }
h1 { font-size: 15pt; counter-increment: h1; counter-reset: h2; }
h1::before { content: counter(h1) ". "; }
h2 { font-size: 12.5pt; counter-increment: h2; counter-reset: h3; }
h2::before { content: counter(h1) "." counter(h2) " "; }
h3 { font-size: 11pt; counter-increment: h3; }
h3::before { content: counter(h1) "." counter(h2) "." counter(h3) " "; }
nav p { margin: 0.2em 0; }
nav a { color: black; text-decoration: none; }
nav a::after { content: leader(".") target-counter(attr(href), page); }
table { border-collapse: collapse; }
td, th { border: 1px solid #444; padding: 3pt 6pt; text-align: left; }
"""


def numbered_html(month: str) -> str:
    """The report as HTML with numbered headings, for an HTML-to-PDF converter."""
    parts = [("summary", "High-level Summary"), ("status", "Project Status")]
    parts.append(("teams", "Progress by Team"))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>DM Monthly Status Report for {month}</title>",
        f"<style>{NUMBERED_CSS}</style></head><body>",
        f'<h1 class="title">DM Monthly Status Report for {month}</h1>',
        "<nav><p><b>Contents</b></p>",
    ]
    out += [
        f'<p><a href="#{anchor}">{n}. {text}</a></p>' for n, (anchor, text) in enumerate(parts, 1)
    ]
    out += [
        "</nav>",
        f'<h1 id="summary">High-level Summary</h1><p>{html.escape(SUMMARY)}</p>',
        '<h1 id="status">Project Status</h1>',
        "<p><b>Selected technical accomplishments:</b></p><ul>",
    ]
    for team, items in HIGHLIGHTS:
        nested = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        out.append(f"<li>{html.escape(team)}<ul>{nested}</ul></li>")
    out.append("</ul>")
    out.append('<h1 id="teams">Progress by Team</h1>')
    for team, _code, done, planned in TEAMS:
        out.append(f"<h2>{html.escape(team)}</h2>")
        for heading, items in (("Accomplishments", done), ("Planned activities", planned)):
            out.append(f"<h3>{heading}</h3><ul>")
            out += [f"<li>{html.escape(item)}</li>" for item in items]
            out.append("</ul>")
    out += ["</body></html>", ""]
    return "\n".join(out)


def print_with_weasyprint(source: Path) -> Path:
    target = HERE / source.with_suffix(".pdf").name
    subprocess.run(["weasyprint", str(source), str(target)], check=True, capture_output=True)
    return target


def main() -> None:
    SOURCES.mkdir(exist_ok=True)
    build_docx("November 2016")
    print(f"wrote {print_with_libreoffice(DOCX).name} from {DOCX.name}")
    NUMBERED_HTML.write_text(numbered_html("February 2017"), encoding="utf-8")
    print(f"wrote {print_with_weasyprint(NUMBERED_HTML).name} from {NUMBERED_HTML.name}")


if __name__ == "__main__":
    main()
