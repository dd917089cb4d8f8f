"""TEST FIXTURE, NOT A REAL REPORT: an early-2015 report as its HTML rendition.

Early-2015 DM reports ("Data Management Summary Monthly Report") are Word
documents that the document archive serves as Word's own HTML: MsoNormal
paragraphs styled inline and by class, a numbered table of contents of the
parts at the top, a "Back to top" link after each part, progress by area name
(no WBS codes), "Current accomplishments:" and "Planned activities:" as bold
paragraphs ending in a colon, a lead-in line, and bullets written as
paragraphs that start with "·" (Symbol) or "o" (Courier New) and spaces.

The text is written in the voice of the real reports (the 2015 originals are
not in this project); the markup is what Word 2010 writes with "Save as Web
Page, Filtered". Run `python tests/eras/build_2015_html.py` to rebuild
`dm-summary-monthly-report-2015-03.html` (only the standard library needed);
`--pdf` also prints it to `dm-summary-monthly-report-2015-03.pdf` with LibreOffice
Writer, as the Word document's PDF (a 2015 report a user keeps as a PDF).
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "dm-summary-monthly-report-2015-03.html"

TITLE = "Data Management Summary Monthly Report"
MONTH = "March 2015"
PARTS = (
    "Project Status",
    "Current Photos",
    "Risk Management",
    "Detailed Project Progress and Status",
)

PROJECT_STATUS = (
    "DM construction started on schedule. The DM leads completed the planning "
    "of the first construction cycle (W15) and loaded its milestones into the "
    "project management control system; the Data Management System Design "
    "(LDM-148) and the DM Release Plan (LDM-240) were updated to match."
)
PHOTOS = (
    "Photographs of the summit facility and of the base site in La Serena are "
    "posted on the LSST web site, ",
    "http://www.lsst.org/gallery/construction",
    ".",
)
RISKS = (
    "The DM risk register was reviewed with the DM leads on March 12. No new "
    "risks were added; the likelihood of the risk on late delivery of the "
    "Chilean network equipment was lowered after the REUNA agreement was signed."
)

# (area as the report names it, [(part heading, lead-in or None, bullets)]);
# a bullet is text, or (text, [nested bullets]).
AREAS = [
    (
        "DM Project Management and Control",
        [
            (
                "Current accomplishments:",
                "The DM Project Manager:",
                [
                    "Held the monthly DM leadership meeting at NCSA on March 4-6.",
                    (
                        "Submitted the February earned value report to the LSST Project Office.",
                        [
                            "Variance explanations were written for every control account "
                            "over its threshold."
                        ],
                    ),
                    "Completed the hiring plan for the first construction year.",
                ],
            ),
            (
                "Planned activities:",
                None,
                [
                    "Prepare the DM presentations for the Joint Status Review.",
                    "Close out the remaining Final Design Review recommendations.",
                ],
            ),
        ],
    ),
    (
        "Alert Production",
        [
            (
                "Current accomplishments:",
                None,
                [
                    "Completed a prototype of the image differencing task on simulated "
                    "data; the decorrelation of the difference image is being studied.",
                    "Ported the source association code to the new afw tables (DM-2049).",
                ],
            ),
            (
                "Planned activities:",
                None,
                ["Begin the design of the alert distribution system."],
            ),
        ],
    ),
    (
        "Data Release Production",
        [
            (
                "Current accomplishments:",
                None,
                [
                    "Ran the multi-band coadd processing on the CFHTLS Deep fields.",
                    "Released a first version of the PSF-matched coaddition code.",
                ],
            ),
            (
                "Planned activities:",
                None,
                ["Start the deblender performance study on HSC engineering data."],
            ),
        ],
    ),
    (
        "Science User Interface and Tools",
        [
            (
                "Current accomplishments:",
                None,
                ["Demonstrated the Firefly image viewer reading LSST Butler repositories."],
            ),
            (
                "Planned activities:",
                None,
                ["Deliver the first version of the SUI requirements document."],
            ),
        ],
    ),
    (
        "Database and Data Access",
        [
            (
                "Current accomplishments:",
                None,
                [
                    "Qserv was installed on the 50-node development cluster at IN2P3.",
                    "Tested shared scans on a 30 TB catalog.",
                ],
            ),
            (
                "Planned activities:",
                None,
                ["Release Qserv 2015_04 with the new data loader."],
            ),
        ],
    ),
    (
        "Processing Control and Site Infrastructure",
        [
            (
                "Current accomplishments:",
                None,
                ["Took delivery of the development cluster nodes at NCSA."],
            ),
            (
                "Planned activities:",
                None,
                ["Bring the new nodes into the batch system."],
            ),
        ],
    ),
    (
        "International Communications and Base Site",
        [
            (
                "Current accomplishments:",
                None,
                ["Signed the agreement with REUNA for the La Serena to Santiago link."],
            ),
            (
                "Planned activities:",
                None,
                ["Review the base site computer room layout with the architects."],
            ),
        ],
    ),
]

STYLE = """<!--
 /* Font Definitions */
 @font-face
	{font-family:Symbol;
	panose-1:5 5 1 2 1 7 6 2 5 7;}
 @font-face
	{font-family:Cambria;
	panose-1:2 4 5 3 5 4 6 3 2 4;}
 /* Style Definitions */
 p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0in;
	margin-bottom:.0001pt;
	font-size:12.0pt;
	font-family:"Times New Roman","serif";}
h1
	{mso-style-link:"Heading 1 Char";
	margin-top:24.0pt;
	margin-right:0in;
	margin-bottom:0in;
	margin-left:0in;
	margin-bottom:.0001pt;
	page-break-after:avoid;
	font-size:14.0pt;
	font-family:"Cambria","serif";
	color:#365F91;
	font-weight:bold;}
p.MsoTitle, li.MsoTitle, div.MsoTitle
	{margin-top:0in;
	margin-right:0in;
	margin-bottom:15.0pt;
	margin-left:0in;
	font-size:26.0pt;
	font-family:"Cambria","serif";
	color:#17365D;
	letter-spacing:.25pt;}
p.MsoListParagraphCxSpFirst, li.MsoListParagraphCxSpFirst, div.MsoListParagraphCxSpFirst
	{margin-top:0in;
	margin-right:0in;
	margin-bottom:0in;
	margin-left:.5in;
	margin-bottom:.0001pt;
	font-size:12.0pt;
	font-family:"Times New Roman","serif";}
p.MsoListParagraphCxSpMiddle, li.MsoListParagraphCxSpMiddle, div.MsoListParagraphCxSpMiddle
	{margin-top:0in;
	margin-right:0in;
	margin-bottom:0in;
	margin-left:.5in;
	margin-bottom:.0001pt;
	font-size:12.0pt;
	font-family:"Times New Roman","serif";}
p.MsoListParagraphCxSpLast, li.MsoListParagraphCxSpLast, div.MsoListParagraphCxSpLast
	{margin-top:0in;
	margin-right:0in;
	margin-bottom:10.0pt;
	margin-left:.5in;
	font-size:12.0pt;
	font-family:"Times New Roman","serif";}
a:link, span.MsoHyperlink
	{color:blue;
	text-decoration:underline;}
.MsoChpDefault
	{font-family:"Calibri","sans-serif";}
@page WordSection1
	{size:8.5in 11.0in;
	margin:1.0in 1.0in 1.0in 1.0in;}
div.WordSection1
	{page:WordSection1;}
-->"""

NBSP = "&nbsp;" * 7


def _bullet(text: str, nested: bool, position: str) -> str:
    if nested:
        return (
            f"<p class=MsoListParagraphCx{position} style='margin-left:1.0in;text-indent:-.25in'>"
            f"<span style='font-family:\"Courier New\"'>o<span style='font:7.0pt "
            f'"Times New Roman"\'>{NBSP[:18]} </span></span>{html.escape(text)}</p>'
        )
    return (
        f"<p class=MsoListParagraphCx{position} style='text-indent:-.25in'>"
        f"<span style='font-family:Symbol'>&middot;<span style='font:7.0pt "
        f'"Times New Roman"\'>{NBSP} </span></span>{html.escape(text)}</p>'
    )


def _bullets(items) -> list[str]:
    flat: list[tuple[str, bool]] = []
    for item in items:
        text, nested = (item, []) if isinstance(item, str) else item
        flat.append((text, False))
        flat.extend((sub, True) for sub in nested)
    out = []
    for number, (text, nested) in enumerate(flat):
        position = "SpFirst" if number == 0 else "SpLast" if number == len(flat) - 1 else "SpMiddle"
        out.append(_bullet(text, nested, position))
    return out


def _back_to_top() -> str:
    return '<p class=MsoNormal><a href="#top">Back to top</a></p>'


def _heading(number: int, text: str) -> str:
    return f'<h1><a name="_Toc41366700{number}"></a>{html.escape(text)}</h1>'


def render() -> str:
    toc = "<br>\n".join(
        f'<a href="#_Toc41366700{n}">{n}. {html.escape(p)}</a>' for n, p in enumerate(PARTS, 1)
    )
    body = [
        "<div class=WordSection1>",
        "<a name=top></a>",
        f"<p class=MsoTitle>{TITLE}</p>",
        "<p class=MsoNormal align=center style='text-align:center'><b><span "
        f"style='font-size:16.0pt'>{MONTH}</span></b></p>",
        "<p class=MsoNormal>&nbsp;</p>",
        f"<p class=MsoNormal>{toc}</p>",
        _heading(1, PARTS[0]),
        f"<p class=MsoNormal>{html.escape(PROJECT_STATUS)}</p>",
        _back_to_top(),
        _heading(2, PARTS[1]),
        f'<p class=MsoNormal>{html.escape(PHOTOS[0])}<a href="{PHOTOS[1]}">{PHOTOS[1]}</a>'
        f"{PHOTOS[2]}</p>",
        _back_to_top(),
        _heading(3, PARTS[2]),
        f"<p class=MsoNormal>{html.escape(RISKS)}</p>",
        _back_to_top(),
        _heading(4, PARTS[3]),
    ]
    for area, parts in AREAS:
        body.append(
            "<p class=MsoNormal style='margin-top:12.0pt'><b><u><span style='font-size:13.0pt'>"
            f"{html.escape(area)}</span></u></b></p>"
        )
        for heading, lead_in, items in parts:
            body.append(f"<p class=MsoNormal style='margin-top:6.0pt'><b>{heading}</b></p>")
            if lead_in:
                body.append(f"<p class=MsoNormal><b>{html.escape(lead_in)}</b></p>")
            body.extend(_bullets(items))
    body += [_back_to_top(), "</div>"]
    return "\n".join(
        [
            '<html xmlns:v="urn:schemas-microsoft-com:vml"',
            'xmlns:o="urn:schemas-microsoft-com:office:office"',
            'xmlns:w="urn:schemas-microsoft-com:office:word"',
            'xmlns="http://www.w3.org/TR/REC-html40">',
            "<head>",
            '<meta http-equiv=Content-Type content="text/html; charset=windows-1252">',
            '<meta name=Generator content="Microsoft Word 14 (filtered)">',
            f"<title>{TITLE}</title>",
            f"<style>\n{STYLE}\n</style>",
            "</head>",
            "<body lang=EN-US link=blue vlink=purple>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def main() -> None:
    OUTPUT.write_bytes(render().replace("\n", "\r\n").encode("windows-1252"))
    print(f"wrote {OUTPUT.relative_to(HERE.parent.parent)}")
    if "--pdf" in sys.argv[1:]:
        from build_2016 import print_with_libreoffice  # the era scripts' LibreOffice step

        # The Word document printed to PDF, as its authors printed it: LibreOffice
        # Writer opens the HTML rendition as a text document and exports it.
        pdf = print_with_libreoffice(OUTPUT, writer=True)
        print(f"wrote {pdf.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
