"""Indexes and apps the web tests share, built once per session whichever test file asks first.

Fixtures live in each test_web_*.py file; they call these builders, which
remember what they built, so the indexes are made once per test session.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Flask

from ingest.models import Milestone, Report, Section
from ingest.pipeline import load_report
from search import Index
from tests.fixtures.months import write_months
from web import create_app

OCT_ID = "lsst-dm-monthly-report-2017-10"
XSS_ID = "test-fixture-xss-report"
MONTH_ID = "test-fixture-dm-monthly-report-{month}"
# Payloads that must come back as text, never as markup.
XSS_SCRIPT = "<script>alert('xss')</script>"
XSS_IMG = '<img src=x onerror="alert(1)">'
XSS_ATTR = '"><svg onload=alert(2)>'

_built: dict[str, object] = {}


def get_json(client, url: str) -> dict:
    """GET a JSON twin with a Flask test client; fail with the answer unless it is 200."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return response.get_json()


def _once(key: str, build):
    if key not in _built:
        _built[key] = build()
    return _built[key]


def october_app(tmp_path_factory, pdf_report: Report) -> Flask:
    """An app over an index of the real October 2017 report (the corpus PDF)."""

    def build() -> Flask:
        path = tmp_path_factory.mktemp("web-october") / "index"
        Index.open(path, create=True).add_report(pdf_report)
        return create_app(path)

    return _once("october", build)


def months_app(tmp_path_factory) -> Flask:
    """An app over the four-month fixture index (2017-08..11, October the real text)."""

    def build() -> Flask:
        root = tmp_path_factory.mktemp("web-months")
        index = Index.open(root / "index", create=True)
        with index.writer() as writer:
            for path in write_months(root / "src", fmt="html"):
                writer.add_report(load_report(path))
        return create_app(root / "index")

    return _once("months", build)


def xss_report(source: Path, base: Report) -> Report:
    """A TEST FIXTURE report whose text, titles and milestone carry HTML payloads."""
    section = base.sections[4]
    evil = dataclasses.replace(
        section,
        title=f"{section.title} {XSS_ATTR}",
        wbs_title=f"{section.wbs_title} {XSS_IMG}",
        text=f"{section.text}\nPayload {XSS_SCRIPT} and {XSS_IMG} near DM-12256.",
    )
    row = Milestone(
        id="DLP-999",
        title=f"Payload milestone {XSS_SCRIPT}",
        note=f"Note with {XSS_IMG}",
        due="2017-12-01",
        expected_completion=None,
        group=XSS_ATTR,
        status="delayed",
        page=1,
    )
    top = Section(None, None, None, "Milestone Summary", "DLP-999 payload", 1)
    return dataclasses.replace(
        base,
        month="2017-12",
        title=f"Fixture {XSS_SCRIPT}",
        source=str(source),
        sha256="0" * 64,
        sections=(top, evil),
        milestones=(row,),
        references=(),
    )


def xss_app(tmp_path_factory, pdf_report: Report) -> Flask:
    """An app over one fixture report full of HTML payloads, its 'original' an HTML file."""

    def build() -> Flask:
        root = tmp_path_factory.mktemp("web-xss")
        source = root / f"{XSS_ID}.html"
        source.write_text(f"<html><body>{XSS_SCRIPT}</body></html>", encoding="utf-8")
        index = Index.open(root / "index", create=True)
        index.add_report(xss_report(source, pdf_report))
        return create_app(root / "index")

    return _once("xss", build)


def schema_validator(document: dict, name: str):
    """Return a JSON Schema validator for one component schema of an OpenAPI 3.1 document."""
    from jsonschema import Draft202012Validator

    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid(document: dict, name: str, instance) -> None:
    """Fail with every schema error when instance does not match the named schema."""
    errors = sorted(schema_validator(document, name).iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
