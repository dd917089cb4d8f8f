"""Every page and its JSON twin on the real October 2017 report (the corpus PDF)."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from tests.conftest import CORPUS_PDF
from tests.web_support import OCT_ID, october_app
from web.views.common import path_url

REPORT = f"/reports/{OCT_ID}"
API_KEYS = ("query", "total", "page", "per_page", "pages", "sort", "suggestion", "notice")


@pytest.fixture(scope="session")
def client(tmp_path_factory, pdf_report):
    return october_app(tmp_path_factory, pdf_report).test_client()


def html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def twin(client, url: str) -> dict:
    """The page's JSON twin, both spellings: `.json` suffix and `?format=json` agree."""
    path, _, query = url.partition("?")
    suffix = path + ".json" if path != "/" else "/search.json"
    by_suffix = client.get(f"{suffix}?{query}" if query else suffix)
    by_format = client.get(f"{path}?{query}&format=json" if query else f"{path}?format=json")
    for response in (by_suffix, by_format):
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        assert response.mimetype == "application/json"
    assert by_suffix.get_json() == by_format.get_json()
    return by_suffix.get_json()


# --- search page ---------------------------------------------------------------------


def test_search_page_shows_the_ticket_hit(client):
    page = html(client, "/?q=DM-12256")
    assert "1 result" in page
    assert f'href="{REPORT}#1.02C.03.00/accomplishments"' in page
    assert f'href="/files/{OCT_ID}#page=4"' in page
    assert "<mark>DM-12256</mark>" in page
    # Breadcrumb with labels, month, part.
    assert "Alert Production Management Engineering and Integration" in page
    assert ">Alert Production</a>" in page or "Alert Production</a>" in page
    assert "October 2017" in page and "Current accomplishments" in page
    # The query box keeps the query and the `/` shortcut hook.
    assert 'value="DM-12256"' in page and 'data-shortcut="/"' in page
    # The chart's one bar links to the query narrowed to its month.
    assert 'href="/?q=DM-12256&amp;month=2017-10"' in page
    assert 'href="/ref/DM-12256"' in page


def test_search_page_json_twin_is_the_api_plus_page_data(client):
    data = twin(client, "/?q=qserv&per_page=3")
    api = client.get("/api/search?q=qserv&per_page=3").get_json()
    assert {k: data[k] for k in API_KEYS} == {k: api[k] for k in API_KEYS}
    assert [h["id"] for h in data["hits"]] == [h["id"] for h in api["hits"]]
    assert data["pagination"]["next"] == "/?q=qserv&per_page=3&page=2"
    assert data["pagination"]["previous"] is None
    assert [b["month"] for b in data["chart"]] == ["2017-10"]


def test_facet_sidebar_chips_and_tree(client):
    page = html(client, "/?q=pipeline&wbs=1.02C.03")
    # The selected element is a chip that removes it, and its children are listed.
    assert 'href="/?q=pipeline">' in page
    assert "WBS: Alert Production" in page
    assert 'class="facet-value is-selected"' in page
    assert "1.02C.03.04" in page and "Image Differencing Pipeline" in page
    data = twin(client, "/?q=pipeline&wbs=1.02C.03")
    chip = data["chips"][0]
    assert (chip["facet"], chip["value"], chip["url"]) == ("wbs", "1.02C.03", "/?q=pipeline")
    child = next(v for v in data["facets"]["wbs"] if v["value"] == "1.02C.03.04")
    # Choosing a child narrows to it (the parent leaves the selection).
    assert child["url"] == "/?q=pipeline&wbs=1.02C.03.04"
    year = data["month_groups"][0]
    assert year["value"] == "2017" and [m["value"] for m in year["months"]] == ["2017-10"]


def test_pagination_and_sort(client):
    page = html(client, "/?per_page=5&page=2&sort=oldest")
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert 'aria-current="page">2</a>' in page
    assert '<option value="oldest" selected>' in page
    data = twin(client, "/?per_page=5&page=2&sort=oldest")
    assert data["first"] == 6 and len(data["hits"]) == 5
    assert data["pagination"]["previous"] == "/?sort=oldest&per_page=5"
    beyond = html(client, "/?q=qserv&page=50")
    assert 'No results on page 50: <a href="/?q=qserv">go to the first page</a>' in beyond


def test_empty_state_suggestion_and_notice(client):
    page = html(client, "/?q=qserb")
    assert "No results" in page
    assert 'Did you mean <a href="/?q=qserv">qserv</a>' in page
    assert "Examples" in page
    notice = html(client, "/?q=%22unclosed+phrase")
    assert "Could not read the query as written" in notice


def test_bad_search_parameters_give_a_400_page(client):
    page = html(client, "/?month=2017-13", status=400)
    assert "month must be YYYY-MM" in page
    assert client.get("/?format=xml").status_code == 400
    response = client.get("/search.json?page=0")
    assert response.status_code == 400 and "page" in response.get_json()["error"]


# --- reports -------------------------------------------------------------------------


def test_report_list(client):
    page = html(client, "/reports")
    assert f'href="{REPORT}"' in page and "October 2017" in page
    data = twin(client, "/reports")
    assert data["total"] == 1
    (report,) = data["reports"]
    assert (report["id"], report["month"], report["file_name"]) == (
        OCT_ID,
        "2017-10",
        CORPUS_PDF.name,
    )


def test_report_page(client, expected):
    page = html(client, REPORT)
    assert "Large Synoptic Survey Telescope Data Management Monthly Report" in page
    assert "October 2017" in page
    # Contents by WBS, sections with anchors.
    assert 'href="#1.02C.03.04/accomplishments"' in page
    assert 'id="1.02C.03.00/accomplishments"' in page
    assert 'id="high-level-summary"' in page
    # The milestone table: rows with anchors and links to the milestone pages.
    row = re.search(r'<tr id="milestone/DLP-472">(.*?)</tr>', page, re.S).group(1)
    assert 'href="/milestones/DLP-472"' in row and "2017-05-31" in row
    assert "Qserv Data Distribution" in row
    # Identifiers linked where PRODUCT.md says.
    assert 'href="https://rubinobs.atlassian.net/browse/DM-12256"' in page
    assert 'href="https://dmtn-057.lsst.io"' in page
    assert 'href="https://ls.st/LDM-592"' in page
    assert 'href="/milestones/LDM-503-2"' in page
    assert f'href="/files/{OCT_ID}"' in page
    assert "No earlier report" in page and "No later report" in page

    data = twin(client, REPORT)
    places = [(s["wbs"], s["part"]) for s in data["sections"] if s["wbs"]]
    assert places == [tuple(p) for p in expected["sections"]]
    assert [s["anchor"] for s in data["sections"][:3]] == [
        "high-level-summary",
        "risk-management",
        "milestone-summary",
    ]
    assert [(m["id"], m["due"]) for m in data["milestones"]] == [
        (m["id"], m["due"]) for m in expected["milestones"]
    ]
    assert data["previous"] is None and data["next"] is None
    section = next(s for s in data["sections"] if s["anchor"] == "1.02C.03.00/accomplishments")
    assert section["page"] == 4 and section["file_url"] == f"/files/{OCT_ID}#page=4"
    assert "DM-12256" in [r["key"] for r in section["references"]]
    alert = next(g for g in data["toc"] if g["code"] == "1.02C.03")
    assert alert["label"] == "Alert Production"


# --- identifiers ---------------------------------------------------------------------


def test_ref_page_lists_the_ticket_in_october(client):
    page = html(client, "/ref/DM-12256")
    assert "October 2017" in page and "1.02C.03.00" in page
    assert f'href="{REPORT}#1.02C.03.00/accomplishments"' in page
    assert 'href="https://rubinobs.atlassian.net/browse/DM-12256"' in page
    assert "first seen in <strong>October 2017</strong>" in page
    data = twin(client, "/ref/DM-12256")
    assert (data["kind"], data["first_month"], data["last_month"]) == ("jira", "2017-10", "2017-10")
    assert data["url"] == "https://rubinobs.atlassian.net/browse/DM-12256"
    (month,) = data["months"]
    assert (month["month"], month["report"]) == ("2017-10", OCT_ID)
    (mention,) = month["mentions"]
    assert (mention["wbs"], mention["part"], mention["page"]) == (
        "1.02C.03.00",
        "accomplishments",
        4,
    )
    assert mention["context"].startswith("The simple source association system")
    assert mention["url"] == f"{REPORT}#1.02C.03.00/accomplishments"
    assert mention["file_url"] == f"/files/{OCT_ID}#page=4"


def test_ref_pages_of_other_kinds(client):
    technote = twin(client, "/ref/DMTN-057")
    assert (technote["kind"], technote["url"]) == ("technote", "https://dmtn-057.lsst.io")
    document = twin(client, "/ref/LSE-299")
    assert (document["kind"], document["url"]) == ("document", "https://ls.st/LSE-299")
    assert document["months"][0]["mentions"][0]["wbs"] == "1.02C.08.01"
    milestone = twin(client, "/ref/LDM-503-2")
    assert (milestone["kind"], milestone["url"]) == ("milestone", "/milestones/LDM-503-2")
    assert (milestone["document"], milestone["document_url"]) == (
        "LDM-503",
        "https://ls.st/LDM-503",
    )
    parent = twin(client, "/ref/LDM-503")
    assert parent["mention_count"] == 0
    assert "LDM-503-2" in [r["key"] for r in parent["related"]]


def test_ref_urls_are_checked_and_made_canonical(client):
    response = client.get("/ref/dm_12305")
    assert response.status_code == 301 and response.location == "/ref/DM-12305"
    assert client.get("/ref/dm-12305.json").location == "/ref/DM-12305.json"
    data = twin(client, "/ref/DM-12305")
    assert data["months"][0]["mentions"][0]["wbs"] == "1.02C.05.02"
    assert client.get("/ref/DM-1225").status_code == 404  # DM-12256 is not DM-1225
    assert client.get("/ref/not-a-key").status_code == 400
    assert client.get("/ref/DM-12256.json?format=xml").status_code == 400


# --- milestones ----------------------------------------------------------------------


def test_milestone_list(client, expected):
    page = html(client, "/milestones")
    assert 'href="/milestones/DLP-472"' in page
    data = twin(client, "/milestones")
    assert {m["id"] for m in data["milestones"]} == {m["id"] for m in expected["milestones"]}
    dlp472 = next(m for m in data["milestones"] if m["id"] == "DLP-472")
    assert (dlp472["latest_due"], dlp472["slips"], dlp472["reports"]) == ("2017-05-31", 0, 1)
    by_due = twin(client, "/milestones?sort=due")["milestones"]
    assert by_due[0]["id"] == "DLP-579" and by_due[0]["latest_due"] == "2016-08-31"
    assert client.get("/milestones?sort=bogus").status_code == 400


def test_milestone_page(client):
    page = html(client, "/milestones/DLP-472")
    assert "Qserv Data Distribution" in page and "2017-05-31" in page
    assert "Its due date never moved" in page
    assert 'class="due-chart"' in page
    data = twin(client, "/milestones/DLP-472")
    assert data["latest_due"] == "2017-05-31" and data["slips"] == 0
    assert [(e["month"], e["due"], e["slipped"]) for e in data["entries"]] == [
        ("2017-10", "2017-05-31", False)
    ]
    assert data["entries"][0]["row_url"] == f"{REPORT}#milestone/DLP-472"
    wrapped = twin(client, "/milestones/DMTC-7400-2420")
    assert (wrapped["latest_due"], wrapped["expected"]) == ("2017-07-31", "2017-11-10")


def test_milestone_known_only_from_text(client):
    page = html(client, "/milestones/LDM-503-2")
    assert "not listed in any report" in page and 'href="https://ls.st/LDM-503"' in page
    data = twin(client, "/milestones/LDM-503-2")
    assert data["entries"] == [] and data["document"] == "LDM-503"
    walls = {m["wbs"] for group in data["mentions"] for m in group["mentions"]}
    assert {"1.02C.04.00", "1.02C.07.08"} <= walls
    assert client.get("/milestones/DLP-1").status_code == 404
    # A ticket has an identifier page, not a milestone page.
    assert client.get("/milestones/DM-12256").location == "/ref/DM-12256"
    assert client.get("/milestones/dm-12256.json").location == "/ref/DM-12256.json"
    assert client.get("/milestones/<b>").status_code in (400, 404)


# --- WBS -----------------------------------------------------------------------------


def test_wbs_page(client, expected):
    page = html(client, "/wbs/1.02C.03")
    assert "Alert Production" in page
    assert 'href="/wbs/1.02C.03.04"' in page
    assert "No earlier report lists this element" in page
    data = twin(client, "/wbs/1.02C.03")
    below = sorted({code for code, _ in expected["sections"] if code.startswith("1.02C.03.")})
    assert [c["code"] for c in data["children"]] == below
    assert data["ancestors"] == [{"code": "1.02C", "label": "Data Management", "url": "/wbs/1.02C"}]
    (month,) = data["months"]
    assert month["month"] == "2017-10" and month["previous_month"] is None
    done = [(s["wbs"], s["part"]) for s in month["accomplishments"]]
    assert done == [
        tuple(p) for p in expected["sections"] if p[0] in below and p[1] == "accomplishments"
    ]
    assert [s["wbs"] for s in month["recruitment"]] == ["1.02C.03"]


def test_wbs_urls(client):
    assert client.get("/wbs/02C.03").location == "/wbs/1.02C.03"
    assert client.get("/wbs").location == "/wbs/1.02C"
    root = twin(client, "/wbs/1.02C")
    assert "1.02C.03" in [c["code"] for c in root["children"]] and root["months"] == []
    assert client.get("/wbs/1.02C.99").status_code == 404
    assert client.get("/wbs/nonsense").status_code == 400
    assert client.get("/wbs/1.02C.03?order=sideways").status_code == 400


# --- original files ------------------------------------------------------------------


def test_original_file_is_served_by_report_id(client):
    response = client.get(f"/files/{OCT_ID}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == CORPUS_PDF.read_bytes()
    response.close()
    data = twin(client, f"/files/{OCT_ID}")
    assert (data["id"], data["file_name"]) == (OCT_ID, CORPUS_PDF.name)


@pytest.mark.parametrize(
    "url",
    [
        "/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/files/%2e%2e",
        "/files/../pyproject.toml",
        "/files/lsst-dm-monthly-report-2017-10%2F..%2F..%2Fpyproject.toml",
        "/files/etc-passwd",
        "/files/" + "a" * 300,
    ],
)
def test_original_files_refuse_paths(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    body = response.get_data(as_text=True)
    assert "root:" not in body and "[project]" not in body


@pytest.mark.parametrize(
    ("endpoint", "name", "value", "anchor"),
    [
        ("pages.report", "rid", "lsst-dm-monthly-report-2017-10", "1.02C.03/accomplishments"),
        ("pages.report", "rid", "lsst-dm-monthly-report-2017-10", ""),
        ("pages.report", "rid", "lsst-dm-monthly-report-2017-10", None),
        ("pages.wbs", "code", "1.02C.03.04", None),
        ("pages.milestone", "mid", "LDM-503-2", None),
        ("pages.milestone", "mid", "DLP 472/x", None),
        ("pages.report", "rid", "r", "a b?c#d"),
    ],
)
def test_hit_links_are_what_url_for_gives(client, endpoint, name, value, anchor):
    app = client.application
    with app.test_request_context("/api/search", base_url="http://example.org/dm"):
        expected = url_for(endpoint, **{name: value}, _anchor=anchor)
        assert path_url(endpoint, name, value, anchor) == expected
        # The second call uses the request's template.
        assert path_url(endpoint, name, value, anchor) == expected
