"""The corpus builder: committed renderings are up to date and look like the report."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
RUNNING_HEADER = "LSST DM Monthly Report — October 2017"
FOOTER_RE = re.compile(r"^Page \d+$", re.MULTILINE)


def _load_builder():
    """Import corpus/build.py (corpus/ is not an installed package)."""
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


build = _load_builder()
COMMITTED_PDF = CORPUS_DIR / f"{build.REPORT_NAME}.pdf"
COMMITTED_HTML = CORPUS_DIR / f"{build.REPORT_NAME}.html"


@pytest.fixture(scope="module")
def doc():
    return build.read_seed(build.SEED_PATH)


@pytest.fixture(scope="module")
def rebuilt(doc, tmp_path_factory):
    return build.build(doc, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def pages():
    return [" ".join(line.split()) for line in build.pdf_page_texts(COMMITTED_PDF)]


@pytest.fixture(scope="module")
def alt_pages(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("alt") / "alt.pdf"
    build.render_pdf(doc, path, style=build.ALT)
    return build.pdf_page_texts(path)


def test_committed_pdf_is_up_to_date(rebuilt):
    assert rebuilt[0].read_bytes() == COMMITTED_PDF.read_bytes()


def test_committed_html_is_up_to_date(rebuilt):
    assert rebuilt[1].read_bytes() == COMMITTED_HTML.read_bytes()


def test_pdf_title_on_first_page(pages):
    assert "Large Synoptic Survey Telescope Data Management Monthly Report" in pages[0]
    assert "October 2017" in pages[0]


def test_pdf_metadata():
    metadata = build.pdf_metadata(COMMITTED_PDF)
    assert metadata["Title"] == "LSST Data Management Monthly Report October 2017"
    assert metadata["Author"]


def test_pdf_identifier_links():
    uris = build.pdf_link_uris(COMMITTED_PDF)
    assert "https://jira.lsstcorp.org/browse/DM-12256" in uris
    assert "https://jira.lsstcorp.org/browse/DN-11479" in uris
    assert "https://dmtn-057.lsst.io" in uris
    assert "#" not in uris


def test_pdf_running_header_from_page_two(pages):
    assert RUNNING_HEADER not in pages[0]
    assert all(page.startswith(RUNNING_HEADER) for page in pages[1:])


def test_pdf_page_footers():
    texts = build.pdf_page_texts(COMMITTED_PDF)
    assert [FOOTER_RE.findall(text.replace("\r", "")) for text in texts] == [
        [f"Page {number}"] for number in range(1, len(texts) + 1)
    ]


def test_pdf_sentence_runs_across_a_page_break(doc):
    assert build.sentences_across_pages(COMMITTED_PDF, doc)


def test_alt_rendering_has_no_header_or_footer(alt_pages):
    text = "\n".join(alt_pages).replace("\r", "")
    assert "Large Synoptic Survey Telescope" in alt_pages[0]
    assert RUNNING_HEADER not in text
    assert not FOOTER_RE.search(text)


def test_html_structure():
    html = COMMITTED_HTML.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html
    for tag in ("<header", "<footer", "<main>", "<article>", "<thead>"):
        assert tag in html
    assert '<p class="subtitle">October 2017</p>' in html
    assert "<h3>1.02C.03: Alert Production</h3>" in html
    assert "<h5>02C.03.04 – Image Differencing Pipeline</h5>" in html
    assert '<tr class="group"><th colspan="3">LSST Data Facility</th></tr>' in html
    assert "<td>DMTC-7400-2420</td>" in html
    assert "<script" not in html


def test_page_break_splits_are_rejoined(doc):
    texts = [node.text for node in doc.nodes if isinstance(node, build.Paragraph | build.Bullet)]
    assert any("seismic bracing of supports for the raised floor." in text for text in texts)
    assert any("one of the Qserv development clusters at CC-IN2P3." in text for text in texts)
    unjoined = next(text for text in texts if text.endswith("documenting milestone verification,"))
    assert unjoined.startswith("In support of the LDM-503-2 milestone")


def test_milestone_rows(doc):
    table = next(node for node in doc.nodes if isinstance(node, build.MilestoneTable))
    rows = {row.ids[0]: row for row in table.rows if isinstance(row, build.MilestoneRow)}
    assert rows["DLP-538"].ids == ["DLP-538", "DLP-539", "DLP-541", "DLP-544"]
    assert rows["DLP-802"].title == "AP/L1 Database Design"
    assert rows["DLP-802"].note.endswith("S18 NC procurement.)")
    assert rows["DMTC-7400-2420"].due == "2017-07-31"


def test_only_identifier_links_get_targets():
    assert build.parse_inline("[ZTF](#) and [DM-1](#), DM_12305") == [
        build.Run("ZTF and "),
        build.Run("DM-1", link="https://jira.lsstcorp.org/browse/DM-1"),
        build.Run(", DM_12305"),
    ]
    assert build.link_target("LDM-592") == "https://ls.st/LDM-592"
