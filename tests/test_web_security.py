"""Headers, escaping, CSP-clean markup, missing index, and no 500 for any input."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import Index
from tests.web_support import (
    OCT_ID,
    XSS_ATTR,
    XSS_ID,
    XSS_IMG,
    XSS_SCRIPT,
    october_app,
    xss_app,
)
from web import create_app

PAGES = [
    "/",
    "/?q=DM-12256&wbs=1.02C.03",
    "/?q=zzzz",
    "/reports",
    f"/reports/{OCT_ID}",
    "/ref/DM-12256",
    "/milestones",
    "/milestones/DLP-472",
    "/wbs/1.02C.03",
    "/nope",
    "/reports/unknown-report",
    "/?page=0",
]
# Any of these in served HTML would need 'unsafe-inline' in the CSP.
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),
    re.compile(r"<style[\s>]"),
    re.compile(r"\sstyle="),
    re.compile(r"\son[a-z]+="),
    re.compile(r"javascript:"),
]


@pytest.fixture(scope="session")
def client(tmp_path_factory, pdf_report):
    return october_app(tmp_path_factory, pdf_report).test_client()


@pytest.fixture(scope="session")
def xss(tmp_path_factory, pdf_report):
    return xss_app(tmp_path_factory, pdf_report).test_client()


def assert_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp or "default-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url",
    [*PAGES, "/api/search?q=qserv", "/api/search?page=x", "/static/style.css", "/static/app.js"],
)
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    response.close()
    assert_headers(response)
    if response.mimetype == "text/html":
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_no_inline_script_or_style(client, url):
    page = client.get(url).get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    for pattern in INLINE:
        assert not pattern.search(page), (url, pattern.pattern)
    assert '<script src="/static/app.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page
    assert "http://" not in page.split("<body>")[0] and "https://" not in page.split("<body>")[0]


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_unique_ids_and_labelled_regions(client, url):
    page = client.get(url).get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert len(ids) == len(set(ids)), url
    for target in re.findall(r'aria-labelledby="([^"]*)"', page):
        assert target in ids, (url, target)
    for field in re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]*)"', page):
        assert f'<label for="{field}"' in page, (url, field)
    assert '<html lang="en">' in page and '<main id="main"' in page


def test_static_assets_ship_with_the_package(client):
    script = client.get("/static/app.js")
    assert script.mimetype == "text/javascript" and b"data-shortcut" in script.data
    script.close()
    css = client.get("/static/style.css")
    assert css.mimetype == "text/css" and b":focus-visible" in css.data
    assert b"url(" not in css.data and b"@import" not in css.data
    css.close()


def test_xss_payload_in_the_query_is_escaped(client):
    page = client.get("/?q=" + quote(XSS_SCRIPT)).get_data(as_text=True)
    assert XSS_SCRIPT not in page
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    attr = client.get("/?q=" + quote(XSS_ATTR)).get_data(as_text=True)
    assert XSS_ATTR not in attr and "&#34;&gt;&lt;svg onload=alert(2)&gt;" in attr
    api = client.get("/api/search?q=" + quote(XSS_IMG))
    assert api.status_code == 200 and api.get_json()["query"] == XSS_IMG
    bad = client.get("/ref/" + quote(XSS_IMG, safe=""))
    assert bad.status_code == 400 and XSS_IMG not in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"/reports/{XSS_ID}",
        "/?q=payload",
        "/?q=alert",
        "/milestones",
        "/milestones/DLP-999",
        "/wbs/1.02C.01",
        "/reports",
        "/ref/DLP-999",
    ],
)
def test_xss_payload_inside_a_document_is_escaped(xss, url):
    response = xss.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    for payload in (XSS_SCRIPT, XSS_IMG, XSS_ATTR, "<svg onload", "<img src=x"):
        assert payload not in page, (url, payload)
    assert "&lt;" in page


def test_snippets_of_a_document_with_markup_are_escaped(xss):
    data = xss.get("/api/search?q=payload").get_json()
    snippets = " ".join(h["snippet"] for h in data["hits"])
    assert "<mark>Payload</mark>" in snippets
    assert "&lt;script&gt;" in snippets and "<script>" not in snippets


def test_original_html_file_is_sandboxed(xss):
    response = xss.get(f"/files/{XSS_ID}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "script-src" not in csp and "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_not_found_in_both_formats(client):
    page = client.get("/reports/unknown-report")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "No report &#39;unknown-report&#39; is indexed." in page.get_data(as_text=True)
    twin = client.get("/reports/unknown-report.json")
    assert twin.status_code == 404
    assert twin.get_json() == {"error": "No report 'unknown-report' is indexed."}
    assert client.get("/api/nothing").get_json()["error"]
    assert client.get("/nope").status_code == 404


def test_missing_index_answers_503_saying_how_to_build_it(tmp_path):
    client = create_app(tmp_path / "no-index").test_client()
    page = client.get("/")
    assert page.status_code == 503 and "dmreports ingest" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "60"
    for url in ("/api/search?q=x", "/reports.json", "/milestones/DLP-472?format=json"):
        response = client.get(url)
        assert response.status_code == 503
        assert "dmreports ingest" in response.get_json()["error"]
    assert client.get("/api/openapi.json").status_code == 200
    # Once `dmreports ingest` has built the index, the same app serves it.
    Index.open(tmp_path / "no-index", create=True)
    empty = client.get("/")
    assert empty.status_code == 200
    assert "The index holds no reports yet" in empty.get_data(as_text=True)
    assert client.get("/api/search").get_json()["total"] == 0
    assert client.get("/reports.json").get_json() == {"total": 0, "reports": []}


def test_unexpected_errors_are_logged_and_answered_without_detail(tmp_path, caplog):
    app = create_app(tmp_path / "no-index")

    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/api/boom", view_func=boom, endpoint="api_boom")
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        page = client.get("/boom")
        api = client.get("/api/boom")
    assert page.status_code == 500 and api.status_code == 500
    assert "secret detail" not in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert api.get_json() == {"error": "Something went wrong on our side; it has been logged."}
    assert "secret detail" in caplog.text
    assert_headers(page)


def test_only_get_and_head(client):
    assert client.post("/").status_code == 405
    assert client.delete(f"/reports/{OCT_ID}").status_code == 405
    assert client.head("/reports").status_code == 200


PARAMS = st.sampled_from(
    ["q", "wbs", "month", "year", "part", "kind", "ref_kind", "sort", "page", "per_page", "format"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.lists(st.tuples(PARAMS, st.text(max_size=30)), max_size=4))
def test_no_search_parameters_give_a_500(client, params):
    for path in ("/api/search", "/"):
        response = client.get(path, query_string=params)
        assert response.status_code in (200, 400), (params, response.get_data(as_text=True))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=st.sampled_from(["reports", "ref", "milestones", "wbs", "files"]),
    value=st.text(min_size=1, max_size=40),
    suffix=st.sampled_from(["", ".json"]),
)
def test_no_identifier_in_a_url_gives_a_500(client, route, value, suffix):
    response = client.get(f"/{route}/{quote(value, safe='')}{suffix}")
    # 308: Werkzeug merges the slashes of a decoded %2F.
    assert response.status_code in (200, 301, 308, 400, 404), (route, value)
    response.close()
