"""The search page and the search API: one view model, the API a projection of it."""

from __future__ import annotations

from flask import url_for
from werkzeug.datastructures import MultiDict

from search import FACETS, SORTS, FacetValue, Hit, SearchRequest, SearchResult, library, search

from ..params import (
    query_pairs,
    search_request,
    search_url,
    state,
    toggle_url,
    wbs_breadcrumb,
)
from ..render import month_label, part_label
from ..store import get_index
from .common import file_url, path_url

# The keys of a facet value in the API (issue 3 §4).
FACET_VALUE_KEYS: tuple[str, ...] = ("value", "label", "count", "selected")
SORT_LABELS: dict[str, str] = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
}
# Pages linked on either side of the current one.
PAGE_WINDOW = 2
EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    ("Qserv data distribution", "words, stemmed"),
    ('"image differencing"', "a phrase"),
    ("DM-12256", "a JIRA ticket"),
    ("LDM-503", "a document and its milestones"),
    ("wbs:02C.06 part:planned", "plans under one WBS element"),
    ("kind:milestone delayed", "milestone rows"),
    ("month:[2017-06 TO 2017-10] DCR", "a month range"),
)


def search_model(args: MultiDict) -> dict:
    """Run the search the parameters ask for; return the page's view model."""
    req, result = _run(args)
    return build_model(req, result, library.wbs_labels(get_index()))


def api_search(args: MultiDict) -> dict:
    """Run the search the parameters ask for; return the exact JSON of GET /api/search.

    Built from the same hits and facets as the page, without the page's links
    (a link per facet value, chip and chart bar, a hit's breadcrumb) that the
    API does not return.
    """
    req, result = _run(args)
    return {
        **_result_fields(req, result),
        "hits": [api_hit(hit) for hit in result.hits],
        "facets": {
            name: [_api_value(name, _facet_value(v)) for v in result.facets[name].values]
            for name in FACETS
        },
    }


def _run(args: MultiDict) -> tuple[SearchRequest, SearchResult]:
    req = search_request(args)
    return req, search(get_index(), req)


def _result_fields(req: SearchRequest, result: SearchResult) -> dict:
    """The top-level fields the API and the page share."""
    return {
        "query": req.q,
        "total": result.total,
        "page": req.page,
        "per_page": req.per_page,
        "pages": result.pages,
        "sort": req.sort,
        "suggestion": result.suggestion,
        "notice": result.notice,
    }


def build_model(req: SearchRequest, result: SearchResult, labels: dict[str, str]) -> dict:
    """Return the view model of a search result (API keys first, then what the page adds)."""
    facets = {name: _facet_values(req, result, name) for name in FACETS}
    return {
        **_result_fields(req, result),
        "hits": [hit_model(hit, labels) for hit in result.hits],
        "facets": facets,
        "facet_labels": {name: result.facets[name].label for name in FACETS},
        "month_groups": _month_groups(req, facets["month"], facets["year"]),
        "hidden": [list(pair) for pair in query_pairs(state(req, page=1))],
        "chips": _chips(req, result),
        "chart": _chart(req, facets["month"]),
        "sorts": [{"value": s, "label": SORT_LABELS[s], "selected": s == req.sort} for s in SORTS],
        "pagination": _pagination(req, result.pages),
        "suggestion_url": search_url(req, q=result.suggestion, page=1)
        if result.suggestion
        else None,
        "clear_url": search_url(req, page=1, **{name: [] for name in FACETS}),
        "first_page_url": search_url(req, page=1),
        "examples": [
            {"query": q, "about": about, "url": url_for("pages.search", q=q)}
            for q, about in EXAMPLE_QUERIES
        ],
        "first": (req.page - 1) * req.per_page + 1,
        "api_url": _api_url(req),
    }


def _api_value(name: str, value: dict) -> dict:
    out = {key: value[key] for key in FACET_VALUE_KEYS}
    if name == "wbs":
        # The tree: a child of a selected element names its parent.
        out["parent"] = value["parent"]
    return out


def api_hit(hit: Hit) -> dict:
    """Return one hit as the API shows it (issue 3 §4)."""
    return {
        "id": hit.id,
        "kind": hit.kind,
        "wbs": hit.wbs,
        "wbs_title": hit.wbs_title,
        "month": hit.month,
        "part": hit.part,
        "title": hit.title,
        "snippet": hit.snippet,
        "score": hit.score,
        "url": path_url("pages.report", "rid", hit.report, anchor=hit.id.partition("#")[2]),
        "file_url": file_url(hit.report, hit.source, hit.page),
        "page": hit.page,
        "references": list(hit.references),
    }


def hit_model(hit: Hit, labels: dict[str, str]) -> dict:
    """Return one hit as the API shows it, plus what the page shows around it."""
    milestone = None
    if hit.milestone_id:
        milestone = {
            "id": hit.milestone_id,
            "due": hit.due,
            "status": hit.status,
            "group": hit.group,
            "url": path_url("pages.milestone", "mid", hit.milestone_id),
        }
    return {
        **api_hit(hit),
        "report": hit.report,
        "report_url": path_url("pages.report", "rid", hit.report),
        "month_label": month_label(hit.month),
        "part_label": part_label(hit.part),
        "breadcrumb": [
            {**crumb, "url": path_url("pages.wbs", "code", crumb["code"])}
            for crumb in wbs_breadcrumb(hit.wbs, labels)
        ],
        "milestone": milestone,
        "file_name": hit.source.rsplit("/", 1)[-1],
    }


def _facet_values(req: SearchRequest, result: SearchResult, name: str) -> list[dict]:
    return [
        {**_facet_value(v), "url": toggle_url(req, name, v.value)}
        for v in result.facets[name].values
    ]


def _facet_value(v: FacetValue) -> dict:
    return {
        "value": v.value,
        "label": v.label,
        "count": v.count,
        "selected": v.selected,
        "parent": v.parent,
    }


def _month_groups(req: SearchRequest, months: list[dict], years: list[dict]) -> list[dict]:
    """Months under their year, newest first."""
    by_year = {v["value"]: v for v in years}
    names = sorted({*by_year, *(v["value"][:4] for v in months)}, reverse=True)
    groups = []
    for year in names:
        head = by_year.get(year) or {
            "value": year,
            "label": year,
            "count": 0,
            "selected": False,
            "url": toggle_url(req, "year", year),
        }
        groups.append({**head, "months": [v for v in months if v["value"][:4] == year]})
    return groups


def _chips(req: SearchRequest, result: SearchResult) -> list[dict]:
    chips = []
    for name in FACETS:
        labels = {v.value: v.label for v in result.facets[name].values}
        for value in req.selected(name):
            chips.append(
                {
                    "facet": name,
                    "facet_label": result.facets[name].label,
                    "value": value,
                    "label": labels.get(value, value),
                    "url": toggle_url(req, name, value),
                }
            )
    return chips


def _chart(req: SearchRequest, months: list[dict]) -> list[dict]:
    """Hits per month, oldest first; each bar links to the query narrowed to its month."""
    return [
        {
            "month": v["value"],
            "label": v["label"],
            "count": v["count"],
            "selected": v["selected"],
            "url": search_url(req, page=1, month=[v["value"]]),
        }
        for v in sorted(months, key=lambda v: v["value"])
    ]


def _pagination(req: SearchRequest, pages: int) -> dict:
    current = req.page
    shown = {1, pages, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    links: list[dict] = []
    for i, n in enumerate(numbers):
        if i and n - numbers[i - 1] > 1:
            links.append({"number": None, "url": None, "current": False})
        links.append({"number": n, "url": search_url(req, page=n), "current": n == current})
    return {
        "previous": search_url(req, page=current - 1) if 1 < current <= pages + 1 else None,
        "next": search_url(req, page=current + 1) if current < pages else None,
        "pages": links if pages > 1 else [],
    }


def _api_url(req: SearchRequest) -> str:
    page_url = search_url(req)
    _, _, query = page_url.partition("?")
    base = url_for("api.search")
    return f"{base}?{query}" if query else base
