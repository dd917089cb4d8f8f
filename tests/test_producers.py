"""Every producer's rendering of the October 2017 report reads as the HTML rendition does.

The fixtures (tests/producers/) were made from the same text by the tools users
have; each must give the same report as the HTML rendition, page numbers aside:
the 52 WBS codes, the 95 (element, part) sections with text and the same text,
the 11 delayed milestones with their due dates, groups, titles and notes, and
the 132 identifiers of the report. Word fidelity: no word of four letters or
more that the parse holds is missing from the seed text (0 damaged words).
"""

from __future__ import annotations

import re
from collections import Counter

import pdfplumber
import pytest

from ingest.pipeline import load_report
from tests.producers import FIXTURES, HTML_RENDITION
from tests.producers.compare import LETTERS_RE, SEED, damaged_words, table_rows

# The renderings read exactly; each joined this list with the change that made it so.
READ_EXACTLY = (
    "reportlab-main",
    "reportlab",
    "libreoffice",
    "pdflatex",
    "chromium",
    "weasyprint",
    "weasyprint-a5",
    "chromium-narrow",
    "libreoffice-odt",
)
BY_NAME = {fixture.name: fixture for fixture in FIXTURES}
# What a producer's typesetting changes in the text itself: TeX sets ' as ’.
TYPOGRAPHY = str.maketrans({"\u2019": "'"})


# Renderings whose structure (sections, their WBS codes and parts, milestones,
# identifiers) reads exactly while some words do not yet. pdfTeX's: a real compound
# broken at its own hyphen where the document writes it only there ("round-" /
# "tripped"), a word hyphenated in a table cell of a document that does not hyphenate
# its body ("Orchestra-" / "tion"), and italic "d f" set closer than the line's other
# spaces ("Scheduledfor"); see tests/producers/README.md.
STRUCTURE_READ = (*READ_EXACTLY, "pandoc", "pdflatex-starred")
# The renderings whose PDF carries the report's hyperlinks as link annotations.
LINKED = STRUCTURE_READ


@pytest.fixture(scope="module")
def html():
    return load_report(HTML_RENDITION)


@pytest.fixture(scope="module", params=READ_EXACTLY)
def rendering(request):
    return load_report(BY_NAME[request.param].path)


@pytest.fixture(scope="module", params=STRUCTURE_READ)
def structure(request):
    return load_report(BY_NAME[request.param].path)


def _text(text: str) -> str:
    return " ".join(text.translate(TYPOGRAPHY).split())


def test_fixtures_on_the_list_exist():
    assert set(STRUCTURE_READ) == set(BY_NAME)
    assert all(fixture.path.is_file() for fixture in FIXTURES)


def test_same_wbs_codes_and_sections(structure, html, expected):
    codes = sorted({s.wbs for s in structure.sections if s.wbs})
    assert codes == expected["wbs_codes"] and len(codes) == 52
    keys = [[s.wbs, s.part] for s in structure.sections if s.wbs]
    assert keys == expected["sections"] and len(keys) == 95
    assert [(s.wbs, s.part, s.title, s.wbs_title) for s in structure.sections] == [
        (s.wbs, s.part, s.title, s.wbs_title) for s in html.sections
    ]


def test_same_section_text(rendering, html):
    got = {(s.wbs, s.part, s.title): _text(s.text) for s in rendering.sections}
    want = {(s.wbs, s.part, s.title): _text(s.text) for s in html.sections}
    assert [key for key in want if got.get(key) != want[key]] == []


def test_same_milestones(rendering, html):
    def rows(report):
        return [
            (m.id, m.due, m.group, m.status, _text(m.title), _text(m.note), m.expected_completion)
            for m in report.milestones
        ]

    assert rows(rendering) == rows(html)
    assert len(rendering.milestones) == 11
    assert all(m.due and m.group for m in rendering.milestones)


def test_same_identifiers(structure, html, expected):
    kinds = {r.key: r.kind for r in structure.references}
    assert kinds == expected["references"] and len(kinds) == 132
    assert Counter((r.key, r.wbs, r.part) for r in structure.references) == Counter(
        (r.key, r.wbs, r.part) for r in html.references
    )


def test_no_damaged_words(rendering):
    vocabulary = {word.lower() for word in LETTERS_RE.findall(SEED.read_text(encoding="utf-8"))}
    assert dict(damaged_words(rendering, vocabulary)) == {}


def test_no_page_furniture_or_bullet_glyphs(rendering):
    for section in rendering.sections:
        assert "LSST DM Monthly Report" not in section.text
        assert not re.search(r"(?im)^(page \d+|\d+ / \d+|continued on next page)", section.text)
        assert not re.search(r"(?m)^\s*[•◦▪·\uf0b7]", section.text)


def _uris(hrefs) -> set[str]:
    return {href.rstrip("/") for href in hrefs if href.startswith(("http://", "https://"))}


@pytest.mark.parametrize("name", LINKED)
def test_hyperlinks_are_link_annotations(name):
    """Every web link of the report is a link annotation of the rendering (92 targets)."""
    want = _uris(re.findall(r'href="([^"]+)"', HTML_RENDITION.read_text(encoding="utf-8")))
    with pdfplumber.open(BY_NAME[name].path) as pdf:
        got = _uris(link["uri"] for page in pdf.pages for link in page.hyperlinks)
    assert got == want and len(got) == 92


def test_closing_figures_of_every_fixture():
    """The table of compare.py --table: every rendering that reads exactly has the
    HTML's figures (52 WBS codes, 98 sections with text, 11 milestones, all with due date
    and group, 132 distinct keys, 0 damaged words); the era fixtures theirs."""
    rows = {name: row for name, _, row in table_rows()}
    assert {name: rows[name] for name in ("html", *READ_EXACTLY)} == {
        name: (52, 98, 11, 11, 132, 0) for name in ("html", *READ_EXACTLY)
    }
    assert rows["pandoc"][:5] == (52, 98, 11, 11, 132)
    assert rows["pdflatex-starred"][:5] == (52, 98, 11, 11, 132)
    assert {name: rows[name] for name in rows if name.startswith("era")} == {
        "era 2015 html": (7, 17, 0, 0, 3, 0),
        "era 2015 pdf": (7, 17, 0, 0, 3, 0),
        "era 2016 pdf": (6, 15, 2, 0, 6, 0),
        "era 2017-02 pdf": (6, 14, 0, 0, 4, 0),
    }
