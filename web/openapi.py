"""The OpenAPI 3.1 document: /api/search and the JSON twin of every page.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), so tests validate real
responses against them with `jsonschema` directly.
"""

from __future__ import annotations

from flask import url_for

from ingest import identifiers
from ingest.models import PARTS, REF_KINDS
from search import FACETS, MAX_PER_PAGE, SORTS
from search.library import CHANGES
from search.models import DEFAULT_PER_PAGE, MAX_QUERY_LENGTH

from .csv_export import (
    CSV_MIMETYPE,
    HISTORY_COLUMNS,
    HIT_COLUMNS,
    MILESTONE_COLUMNS,
    REF_COLUMNS,
)
from .params import MAX_PAGE
from .views.milestones import MILESTONE_SORTS, MILESTONES_PER_PAGE
from .views.refs import REF_MONTHS_PER_PAGE
from .views.search import DEFAULT_REF_SORT, DEFAULT_VIEW, REF_SORTS, VIEWS
from .views.wbs import MAX_MONTH_BARS, MONTHS_PER_PAGE, WBS_ORDERS

VERSION = "1.0.0"
KINDS = ["section", "milestone"]
# Patterns say [0-9], not \d: a JSON Schema \d may match any script's digits.
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
YEAR_PATTERN = r"^[0-9]{4}$"
# WBS codes and identifiers as the parser reads them (ingest/identifiers.py): `1.02C`,
# `1.02C.03` or `02C.03` without the root; DM-12256, dm_12256, LDM-503-2, DM-NCSA-5, DMTN-057.
WBS_PATTERN = identifiers.WBS_JSON_PATTERN
# As web.ids.report_id reads them: slugs of file names.
REPORT_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
KEY_PATTERN = identifiers.KEY_JSON_PATTERN
KEY_MAX_LENGTH = identifiers.KEY_MAX_LENGTH
ID_MAX_LENGTH = 200


def _nullable(schema: dict) -> dict:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    out = {**schema, "type": [*kinds, "null"]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _object(props: dict, closed: bool = False, optional: tuple[str, ...] = ()) -> dict:
    schema = {
        "type": "object",
        "required": [k for k in props if k not in optional],
        "properties": props,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


STR = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
BOOL = {"type": "boolean"}
MONTH = {"type": "string", "pattern": MONTH_PATTERN}
URL = {"type": "string", "format": "uri-reference"}

FACET_VALUE = _object(
    {
        "value": STR,
        "label": STR,
        "count": INT,
        "selected": BOOL,
        "parent": _nullable(STR),
    },
    closed=True,
    optional=("parent",),
)
HIT = _object(
    {
        "id": STR,
        "kind": {"type": "string", "enum": KINDS},
        "wbs": _nullable(STR),
        "wbs_title": _nullable(STR),
        "month": _nullable(MONTH),
        "part": _nullable({"type": "string", "enum": list(PARTS)}),
        "title": STR,
        "snippet": {"type": "string", "description": "HTML: text escaped, matches in <mark>"},
        "score": {"type": "number"},
        "url": URL,
        "file_url": URL,
        "page": _nullable({"type": "integer", "minimum": 1}),
        "references": _array(_ref("HitReference")),
    },
    closed=True,
)
HIT_REFERENCE = _object(
    {"key": STR, "kind": {"type": "string", "enum": list(REF_KINDS)}}, closed=True
)
REFERENCE_ROW = _object(
    {
        "key": STR,
        "kind": {"type": "string", "enum": list(REF_KINDS)},
        "sections": {"type": "integer", "minimum": 1},
        "first_month": _nullable(MONTH),
        "last_month": _nullable(MONTH),
        "url": URL,
    }
)
REFERENCE_VIEW = _object(
    {
        "total": INT,
        "documents": INT,
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "sort": {"type": "string", "enum": list(REF_SORTS)},
        "kinds": _array(
            _object({"value": STR, "label": STR, "count": INT, "selected": BOOL, "url": URL})
        ),
        "references": _array(REFERENCE_ROW),
        "csv_url": URL,
    }
)
_RESULT_FIELDS = {
    "query": STR,
    "total": INT,
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    "pages": INT,
    "sort": {"type": "string", "enum": list(SORTS)},
    "suggestion": _nullable(STR),
    "notice": _nullable(STR),
}
SEARCH_RESPONSE = _object(
    {
        **_RESULT_FIELDS,
        "hits": _array(_ref("Hit")),
        "facets": _object({name: _array(_ref("FacetValue")) for name in FACETS}, closed=True),
    },
    closed=True,
)
SEARCH_PAGE = _object(
    {
        **_RESULT_FIELDS,
        "hits": _array({**HIT, "additionalProperties": True}),
        "facets": _object(
            {name: _array({**FACET_VALUE, "additionalProperties": True}) for name in FACETS}
        ),
        "chips": _array(_object({"facet": STR, "value": STR, "label": STR, "url": URL})),
        "chart": _array(_object({"month": MONTH, "count": INT, "selected": BOOL, "url": URL})),
        "month_groups": _array(
            _object(
                {
                    "value": {"type": "string", "pattern": YEAR_PATTERN},
                    "count": INT,
                    "selected": BOOL,
                    "narrowed": BOOL,
                    "url": URL,
                    "months": _array(
                        _object({"value": MONTH, "count": INT, "selected": BOOL, "url": URL})
                    ),
                }
            )
        ),
        "view": {"type": "string", "enum": list(VIEWS)},
        "refs": REFERENCE_VIEW,
        "csv_url": URL,
        "range": _object(
            {
                "from": _nullable(MONTH),
                "to": _nullable(MONTH),
                "months": _array(_object({"value": MONTH, "label": STR})),
            }
        ),
        "pagination": _object(
            {
                "previous": _nullable(URL),
                "next": _nullable(URL),
                "pages": _array({"type": "object"}),
            }
        ),
    },
    optional=("refs",),
)
REPORT_SUMMARY = _object(
    {
        "id": STR,
        "month": _nullable(MONTH),
        "month_label": STR,
        "title": STR,
        "file_name": STR,
        "pages": INT,
        "sha256": STR,
        "url": URL,
        "file_url": URL,
    }
)
REFERENCE = _object(
    {"key": STR, "kind": {"type": "string", "enum": list(REF_KINDS)}, "url": URL, "ref_url": URL}
)
SECTION = _object(
    {
        "id": STR,
        "anchor": STR,
        "wbs": _nullable(STR),
        "wbs_title": _nullable(STR),
        "part": _nullable({"type": "string", "enum": list(PARTS)}),
        "title": STR,
        "text": STR,
        "page": _nullable(INT),
        "url": URL,
        "file_url": URL,
        "references": _array(_ref("Reference")),
    }
)
MILESTONE_ROW = _object(
    {
        "id": STR,
        "anchor": STR,
        "title": STR,
        "note": STR,
        "due": _nullable(STR),
        "expected": _nullable(STR),
        "group": _nullable(STR),
        "status": _nullable(STR),
        "url": URL,
    }
)
REPORT = {
    "allOf": [
        REPORT_SUMMARY,
        _object(
            {
                "previous": {"oneOf": [{"type": "null"}, _ref("ReportSummary")]},
                "next": {"oneOf": [{"type": "null"}, _ref("ReportSummary")]},
                "toc": _array(
                    _object({"code": _nullable(STR), "label": STR, "entries": _array({})})
                ),
                "sections": _array(_ref("Section")),
                "milestones": _array(_ref("MilestoneRow")),
            }
        ),
    ]
}
MENTION_MONTH = _object(
    {
        "month": _nullable(MONTH),
        "label": STR,
        "report": STR,
        "report_url": URL,
        "mentions": _array(
            _object(
                {
                    "context": STR,
                    "section_title": _nullable(STR),
                    "wbs": _nullable(STR),
                    "part": _nullable(STR),
                    "page": _nullable(INT),
                    "url": URL,
                    "file_url": URL,
                }
            )
        ),
    }
)
MONTH_OR_YEAR = {"anyOf": [MONTH, {"type": "string", "pattern": YEAR_PATTERN}]}
MONTH_SUMMARY = _object(
    {
        "months": INT,
        "total": INT,
        "first_month": _nullable(MONTH),
        "last_month": _nullable(MONTH),
        "by_year": {
            "type": "boolean",
            "description": f"The chart has one bar per year (its span is over {MAX_MONTH_BARS} "
            "months).",
        },
        "chart": _array(_object({"month": MONTH_OR_YEAR, "count": INT})),
    }
)
PAGING = {
    "page": {"type": "integer", "minimum": 1},
    "pages": {"type": "integer", "minimum": 1},
    "previous_url": _nullable(URL),
    "next_url": _nullable(URL),
}
REF_PAGE = _object(
    {
        "summary": _ref("MonthSummary"),
        **PAGING,
        "key": STR,
        "kind": {"type": "string", "enum": list(REF_KINDS)},
        "url": URL,
        "document": _nullable(STR),
        "document_url": _nullable(URL),
        "mention_count": INT,
        "first_month": _nullable(MONTH),
        "last_month": _nullable(MONTH),
        "months": _array(_ref("MentionMonth")),
        "related": _array(_object({"key": STR, "url": URL})),
    }
)
MILESTONE_LIST = _object(
    {
        "sort": {"type": "string", "enum": list(MILESTONE_SORTS)},
        "total": INT,
        "page": {
            **_nullable({"type": "integer", "minimum": 1}),
            "description": f"Page of {MILESTONES_PER_PAGE} milestones; null: every milestone "
            "(no page asked for).",
        },
        "pages": {"type": "integer", "minimum": 1},
        "previous_url": _nullable(URL),
        "next_url": _nullable(URL),
        "milestones": _array(
            _object(
                {
                    "id": STR,
                    "title": STR,
                    "group": _nullable(STR),
                    "latest_due": _nullable(STR),
                    "first_month": _nullable(MONTH),
                    "last_month": _nullable(MONTH),
                    "reports": INT,
                    "slips": INT,
                    "pull_ins": INT,
                    "slip_days": {
                        "type": "integer",
                        "description": "Total slip in days: every change summed, a pull-in "
                        "negative (the latest due date minus the first listed).",
                    },
                    "url": URL,
                }
            )
        ),
    }
)
MILESTONE_PAGE = _object(
    {
        "id": STR,
        "title": STR,
        "latest_due": _nullable(STR),
        "slips": INT,
        "pull_ins": INT,
        "slip_days": {"type": "integer"},
        "changes_sentence": STR,
        "slip_months": _array(_nullable(MONTH)),
        "pull_in_months": _array(_nullable(MONTH)),
        "entries": _array(
            _object(
                {
                    "month": _nullable(MONTH),
                    "report": STR,
                    "due": _nullable(STR),
                    "expected": _nullable(STR),
                    "slipped": {
                        "type": "boolean",
                        "description": "True for a slip only (never for a pull-in).",
                    },
                    "change": {"type": "string", "enum": list(CHANGES)},
                    "shift_days": {
                        "type": "integer",
                        "description": "Days the due date moved since the previous listing "
                        "(later positive, earlier negative).",
                    },
                    "previous_due": _nullable(STR),
                    "row_url": URL,
                }
            )
        ),
        "mentions": _array(_ref("MentionMonth")),
    }
)
WBS_PAGE = _object(
    {
        "summary": _ref("MonthSummary"),
        "code": STR,
        "title": STR,
        "ancestors": _array(_ref("WbsLink")),
        "children": _array(_ref("WbsLink")),
        "order": {"type": "string", "enum": list(WBS_ORDERS)},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "previous_url": _nullable(URL),
        "next_url": _nullable(URL),
        "months": _array(
            _object(
                {
                    "month": _nullable(MONTH),
                    "report": STR,
                    "accomplishments": _array(_ref("Section")),
                    "planned": _array(_ref("Section")),
                    "recruitment": _array(_ref("Section")),
                    "previous_month": _nullable(MONTH),
                    "previous_planned": _array(_ref("Section")),
                }
            )
        ),
    }
)
SCHEMAS: dict[str, dict] = {
    "Error": _object({"error": STR}, closed=True),
    "FacetValue": FACET_VALUE,
    "Hit": HIT,
    "HitReference": HIT_REFERENCE,
    "MonthSummary": MONTH_SUMMARY,
    "ReferenceRow": REFERENCE_ROW,
    "SearchResponse": SEARCH_RESPONSE,
    "SearchPage": SEARCH_PAGE,
    "ReportSummary": REPORT_SUMMARY,
    "ReportList": _object({"total": INT, "reports": _array(_ref("ReportSummary"))}),
    "Reference": REFERENCE,
    "Section": SECTION,
    "MilestoneRow": MILESTONE_ROW,
    "Report": REPORT,
    "MentionMonth": MENTION_MONTH,
    "RefPage": REF_PAGE,
    "MilestoneList": MILESTONE_LIST,
    "MilestonePage": MILESTONE_PAGE,
    "WbsLink": _object({"code": STR, "label": STR, "url": URL}),
    "WbsPage": WBS_PAGE,
}


def _blank_ok(schema: dict) -> dict:
    """Allow "" too: the app reads an empty parameter (as a form may send) as an absent one."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    if "pattern" in schema:
        return {**schema, "pattern": f"^$|{schema['pattern']}"}
    return {"anyOf": [schema, {"const": ""}]}


BLANK = " An empty value counts as absent."


def _facet_param(name: str, items: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": description + " Repeat the parameter to select several (OR)." + BLANK,
        "schema": _array(_blank_ok(items)),
    }


SEARCH_PARAMETERS = [
    {
        "name": "q",
        "in": "query",
        "required": False,
        "description": 'Query: words, "phrases", AND/OR/NOT, -word, field filters such as '
        "wbs:02C.06, month:[2017-06 TO 2017-10], ref:DM-12256, kind:milestone.",
        "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    },
    _facet_param(
        "wbs",
        {"type": "string", "pattern": WBS_PATTERN},
        "WBS element (with or without the leading 1.); matches everything below it.",
    ),
    _facet_param("month", MONTH, "Report month, YYYY-MM."),
    _facet_param("year", {"type": "string", "pattern": YEAR_PATTERN}, "Report year."),
    _facet_param("part", {"type": "string", "enum": list(PARTS)}, "Part of a WBS section."),
    _facet_param("kind", {"type": "string", "enum": KINDS}, "Document kind."),
    _facet_param("ref_kind", {"type": "string", "enum": list(REF_KINDS)}, "Kind of identifier."),
    {
        "name": "from",
        "in": "query",
        "required": False,
        "description": "First month of a range, YYYY-MM (ANDed with the facets)." + BLANK,
        "schema": _blank_ok(MONTH),
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "Last month of a range, YYYY-MM (from after to: the two swap)." + BLANK,
        "schema": _blank_ok(MONTH),
    },
    {
        "name": "sort",
        "in": "query",
        "required": False,
        "description": BLANK.strip(),
        "schema": _blank_ok({"type": "string", "enum": list(SORTS), "default": "relevance"}),
    },
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": BLANK.strip(),
        "schema": _blank_ok({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": BLANK.strip(),
        "schema": _blank_ok(
            {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PER_PAGE,
                "default": DEFAULT_PER_PAGE,
            }
        ),
    },
]


VIEW_PARAMETERS = [
    {
        "name": "view",
        "in": "query",
        "required": False,
        "description": "hits: the matching sections; refs: the distinct identifiers they cite "
        "(a ref_kind selection keeps those kinds)." + BLANK,
        "schema": _blank_ok({"type": "string", "enum": list(VIEWS), "default": DEFAULT_VIEW}),
    },
    {
        "name": "ref_sort",
        "in": "query",
        "required": False,
        "description": "Order of the identifiers (view=refs)." + BLANK,
        "schema": _blank_ok(
            {"type": "string", "enum": list(REF_SORTS), "default": DEFAULT_REF_SORT}
        ),
    },
]
# A CSV export has every row: the paging parameters do not apply.
CSV_SEARCH_PARAMETERS = [
    p for p in SEARCH_PARAMETERS + VIEW_PARAMETERS if p["name"] not in ("page", "per_page")
]


def _csv(summary: str, columns, params: list | None = None, found: bool = False) -> dict:
    responses = {
        "200": {
            "description": f"{summary} Columns: {', '.join(columns)}.",
            "content": {CSV_MIMETYPE: {"schema": {"type": "string"}}},
        },
        **ERRORS,
        **(NOT_FOUND if found else {}),
    }
    if found:
        responses["301"] = {"description": "Redirect to the identifier's canonical spelling."}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


ERRORS = {
    "400": _json("Error", "A parameter is invalid; the message says which and why."),
    "503": _json("Error", "No index has been built yet (run `dmreports ingest`)."),
}
NOT_FOUND = {"404": _json("Error", "Nothing indexed under this identifier.")}


def _path_param(
    name: str, description: str, example: str, pattern: str, max_length: int = ID_MAX_LENGTH
) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "example": example,
        "schema": {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": pattern},
    }


def _get(summary: str, schema: str, params: list | None = None, found: bool = False) -> dict:
    responses = {"200": _json(schema, summary), **ERRORS, **(NOT_FOUND if found else {})}
    if found:
        responses["301"] = {"description": "Redirect to the identifier's canonical spelling."}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _paths() -> dict:
    report_id = _path_param(
        "rid",
        "Report id (slug of the file name).",
        "lsst-dm-monthly-report-2017-10",
        REPORT_ID_PATTERN,
    )
    key = _path_param(
        "key",
        "Identifier: ticket, milestone, document, technote.",
        "DM-12256",
        KEY_PATTERN,
        KEY_MAX_LENGTH,
    )
    mid = _path_param("mid", "Milestone ID.", "DLP-472", KEY_PATTERN, KEY_MAX_LENGTH)
    code = _path_param("code", "WBS code, with or without the leading 1.", "1.02C.03", WBS_PATTERN)
    milestone_sort = {
        "name": "sort",
        "in": "query",
        "required": False,
        "description": BLANK.strip(),
        "schema": _blank_ok({"type": "string", "enum": list(MILESTONE_SORTS), "default": "id"}),
    }
    order = {
        "name": "order",
        "in": "query",
        "required": False,
        "description": BLANK.strip(),
        "schema": _blank_ok({"type": "string", "enum": list(WBS_ORDERS), "default": "newest"}),
    }
    wbs_page = {
        "name": "page",
        "in": "query",
        "required": False,
        "description": f"Page of {MONTHS_PER_PAGE} months." + BLANK,
        "schema": _blank_ok({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    }
    ref_page = {
        **wbs_page,
        "description": f"Page of {REF_MONTHS_PER_PAGE} months of mentions." + BLANK,
    }
    milestone_page = {
        **wbs_page,
        "description": f"Page of {MILESTONES_PER_PAGE} milestones; without it, every "
        "milestone." + BLANK,
    }
    return {
        url_for("api.search"): _get("Search the reports.", "SearchResponse", SEARCH_PARAMETERS),
        url_for("api.openapi"): {
            "get": {
                "summary": "This document.",
                "responses": {"200": {"description": "OpenAPI 3.1 document."}},
            }
        },
        "/search.json": _get(
            "The search page's data.", "SearchPage", SEARCH_PARAMETERS + VIEW_PARAMETERS
        ),
        "/search.csv": _csv(
            "Every hit of a search (view=refs: every identifier its hits cite, columns "
            f"{', '.join(REF_COLUMNS)}).",
            HIT_COLUMNS,
            CSV_SEARCH_PARAMETERS,
        ),
        "/reports.json": _get("Every indexed report, newest first.", "ReportList"),
        "/reports/{rid}.json": _get("One report.", "Report", [report_id], found=True),
        "/files/{rid}.json": _get(
            "Facts of a report's original file.", "ReportSummary", [report_id], found=True
        ),
        "/ref/{key}.json": _get(
            "Every mention of an identifier, by month.", "RefPage", [key, ref_page], found=True
        ),
        "/milestones.json": _get(
            "Every milestone, or a page of them.", "MilestoneList", [milestone_sort, milestone_page]
        ),
        "/milestones.csv": _csv("Every milestone.", MILESTONE_COLUMNS, [milestone_sort]),
        "/milestones/{mid}.json": _get(
            "A milestone's due date in every report.", "MilestonePage", [mid], found=True
        ),
        "/milestones/{mid}.csv": _csv(
            "A milestone's due date in every report.", HISTORY_COLUMNS, [mid], found=True
        ),
        "/wbs.json": _get(
            "DM's element (1.02C), as /wbs/1.02C.json.", "WbsPage", [order, wbs_page]
        ),
        "/wbs/{code}.json": _get(
            "A WBS element month by month.", "WbsPage", [code, order, wbs_page], found=True
        ),
    }


def openapi_document() -> dict:
    """Return the OpenAPI 3.1 document (paths resolved for this app's URL root)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dmreports",
            "version": VERSION,
            "description": "Search the LSST Data Management monthly reports. Every HTML page "
            "has a JSON twin (`.json` suffix or `?format=json`); errors are "
            '`{"error": "..."}` with status 400, 404 or 503.',
        },
        "paths": _paths(),
        "components": {"schemas": SCHEMAS},
    }
