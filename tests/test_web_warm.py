"""A serve worker compiles every page template before it accepts its first request."""

from __future__ import annotations

import pytest

from ingest.models import Report
from search import Index
from web import create_app
from web.render import compile_templates

PAGES = (
    "/",
    "/?q=qserv",
    "/milestones",
    "/milestones/DLP-472",
    "/ref/DM-12256",
    "/wbs/1.02C.03",
    "/reports",
    "/reports/lsst-dm-monthly-report-2017-10",
)


def _fail_loading(environment, template):
    raise AssertionError(f"template {template} loaded while serving")


@pytest.fixture
def app(tmp_path, pdf_report: Report):
    path = tmp_path / "index"
    Index.open(path, create=True).add_report(pdf_report)
    return create_app(path)


def test_every_page_template_is_compiled(app):
    names = compile_templates(app)
    assert {"search.html", "milestones.html", "milestone.html", "ref.html", "wbs.html"} <= set(
        names
    )
    assert {"report.html", "reports.html", "error.html", "base.html", "_macros.html"} <= set(names)


@pytest.mark.parametrize("url", PAGES)
def test_no_page_compiles_a_template_after_the_warm_up(app, url, monkeypatch):
    compile_templates(app)
    monkeypatch.setattr(app.jinja_env.loader, "get_source", _fail_loading)
    response = app.test_client().get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "<html" in response.get_data(as_text=True)


def test_the_first_page_needs_the_loader_without_the_warm_up(app, monkeypatch):
    monkeypatch.setattr(app.jinja_env.loader, "get_source", _fail_loading)
    with pytest.raises(AssertionError, match="loaded while serving"):
        app.test_client().get("/")
