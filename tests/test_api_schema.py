"""schemathesis against /api/openapi.json: every documented operation, in-process over WSGI.

Each GET operation of the document is fuzzed with schema-valid requests
(positive: they must be accepted, and every answer must match its documented
status, content type and schema) and, where it takes parameters, with
schema-violating ones (negative: they must be refused with a documented 4xx).
Never a 5xx. The app serves the four-month fixture index of tests/web_support.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode

from search import library
from tests.web_support import months_app
from web import create_app
from web.openapi import openapi_document

EXAMPLES = 50
SCHEMA_PATH = "/api/openapi.json"
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The app is shared by the module, and schemathesis filters its own draws.
    suppress_health_check=list(HealthCheck),
)
# Path parameters that name identifiers: words shaped like one (UTF-8, ISO-9001) are not.
IDENTIFIER_PARAMS = ("key", "mid")


def operations() -> list[tuple[str, GenerationMode]]:
    """(path, mode) of every documented operation; negative only where there is a parameter."""
    app = create_app("/nonexistent-index")
    with app.test_request_context():
        paths = openapi_document()["paths"]
    out = []
    for path, item in sorted(paths.items()):
        out.append((path, GenerationMode.POSITIVE))
        if item["get"].get("parameters"):
            out.append((path, GenerationMode.NEGATIVE))
    return out


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, months_app(tmp_path_factory))


def test_every_operation_is_fuzzed(api_schema):
    documented = {path for path, _ in operations()}
    # schemathesis leaves out the document's own path; the test below still fuzzes it.
    loaded = {op.ok().path for op in api_schema.get_all_operations()} | {SCHEMA_PATH}
    assert loaded == documented
    assert {"/api/search", "/search.json", "/ref/{key}.json", "/wbs/{code}.json"} <= loaded


def _blank(value) -> bool:
    if isinstance(value, dict | list | tuple):
        return all(_blank(item) for item in (value.values() if isinstance(value, dict) else value))
    return value == "" or value is None


@pytest.mark.parametrize(("path", "mode"), operations(), ids=lambda v: str(v))
def test_api_conforms_to_its_openapi_document(api_schema, path, mode):
    operation = api_schema[path]["GET"]

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        if mode is GenerationMode.POSITIVE:
            for name in IDENTIFIER_PARAMS:
                if name in (case.path_parameters or {}):
                    assume(library.canonical_key(case.path_parameters[name]) is not None)
        else:
            # A value that goes into the URL as nothing (an empty object, list or
            # string) is the documented blank, which every parameter accepts.
            assume(not any(_blank(value) for value in (case.query or {}).values()))
        response = case.call()
        assert response.status_code < 500, case.as_curl_command()
        case.validate_response(response)

    check()
