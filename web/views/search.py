"""The search page and the search API: one view model, the API a projection of it."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator

from flask import abort, g, url_for
from werkzeug.datastructures import MultiDict

from search import (
    FACETS,
    SORTS,
    FacetValue,
    Hit,
    QueryError,
    ReferenceResult,
    SearchRequest,
    SearchResult,
    iter_hits,
    library,
    references,
    search,
)
from search.facets import REF_KIND_LABELS, REF_KINDS

from ..csv_export import absolute
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
# The search page shows the hits (default) or the distinct identifiers they cite.
VIEWS: tuple[str, ...] = ("hits", "refs")
DEFAULT_VIEW = "hits"
# Identifiers per page of the references view (its CSV has them all).
REFS_PER_PAGE = 100
REF_SORTS: dict[str, str] = {
    "sections": "Most cited first",
    "key": "Identifier",
    "first": "First cited",
    "last": "Last cited",
}
DEFAULT_REF_SORT = "sections"
# A month range typed in the query: month:[2017-06 TO 2017-10] (either end may be open).
TYPED_RANGE_RE = re.compile(
    r"(?<!\S)month:\s*[\[{]\s*(?P<start>[^\s\]}]*)\s+TO\s*(?P<end>[^\]}\s]*)\s*[\]}]",
    re.IGNORECASE,
)
EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    ("Qserv data distribution", "words, stemmed"),
    ('"image differencing"', "a phrase"),
    ("DM-12256", "a JIRA ticket"),
    ("LDM-503", "a document and its milestones"),
    ("wbs:02C.06 part:planned", "plans under one WBS element"),
    ("kind:milestone delayed", "milestone rows"),
    ("month:[2017-06 TO 2017-10] DCR", "a month range"),
)


def _choice(args: MultiDict, name: str, choices, default: str) -> str:
    """Return a parameter that must be one of choices (abort 400 if not); note it for links.

    Every link the page builds keeps it: web.params.state reads g.search_<name>.
    """
    value = (args.get(name) or default).strip()
    if value not in choices:
        abort(400, f"{name} must be one of {', '.join(choices)}, not {value!r}")
    setattr(g, f"search_{name}", None if value == default else value)
    return value


def search_view(args: MultiDict) -> str:
    """Return the view the parameters ask for (hits or refs); abort 400 on another."""
    return _choice(args, "view", VIEWS, DEFAULT_VIEW)


def ref_sort(args: MultiDict) -> str:
    """Return the references view's order; abort 400 on an unknown one."""
    return _choice(args, "ref_sort", REF_SORTS, DEFAULT_REF_SORT)


def search_model(args: MultiDict) -> dict:
    """Run the search the parameters ask for; return the page's view model."""
    view = search_view(args)
    sort = ref_sort(args)
    req, result = _run(args)
    model = build_model(req, result, library.wbs_labels(get_index()))
    model["view"] = view
    if view == "refs":
        model["csv_url"] = csv_url(req)
    model["views"] = _views(req, view)
    if view == "refs":
        model["refs"] = refs_model(req, references(get_index(), req), sort, args)
    return model


def failed_search_model(args: MultiDict, error: QueryError) -> dict:
    """The search page for a query that cannot be run: the form, the facets, the message.

    The facets are those of the filters alone (the query text left out), so
    the user can still narrow or widen; no hits are listed. Parameters that
    cannot be read at all raise their QueryError (the short error page).
    """
    search_view(args)
    # A request that cannot even be read (a query over the length cap, a bad
    # month) gets the short error page: raised from here, the error handler answers.
    req = search_request(args)
    bare = dataclasses.replace(req, q="", page=1)
    result = search(get_index(), bare)
    empty = SearchResult(bare, (), 0, 0, result.facets, months=result.months)
    model = build_model(req, empty, library.wbs_labels(get_index()))
    model.update(error=str(error), view=DEFAULT_VIEW, views=[], total=0, chart=[])
    return model


def hit_rows(args: MultiDict) -> Iterator[dict]:
    """Every hit of a search as CSV rows, in the page's order (all pages).

    The query is parsed and checked before the first row is returned, so a
    bad query is refused (400) before anything is sent.
    """
    req = search_request(args)
    hits = iter_hits(get_index(), req)
    first = next(hits, None)
    return _hit_rows(first, hits)


def _hit_rows(first: Hit | None, rest: Iterator[Hit]) -> Iterator[dict]:
    if first is None:
        return
    for hit in itertools.chain((first,), rest):
        yield {
            "report": hit.report,
            "month": hit.month,
            "wbs": hit.wbs,
            "part": hit.part,
            "title": f"{hit.milestone_id}: {hit.title}" if hit.milestone_id else hit.title,
            "page": hit.page,
            "url": absolute(
                path_url("pages.report", "rid", hit.report, anchor=hit.id.partition("#")[2])
            ),
            "keys": list(hit.references),
        }


def ref_rows(args: MultiDict) -> list[dict]:
    """Every distinct identifier of a search (the references view, unpaged) as CSV rows."""
    req = search_request(args)
    found = references(get_index(), req)
    rows = [ref_row(r) for r in _sorted_refs(found, ref_sort(args))]
    return [{**row, "url": absolute(row["url"])} for row in rows]


def _views(req: SearchRequest, view: str) -> list[dict]:
    labels = {"hits": "Sections", "refs": "Identifiers cited"}
    out = []
    for name in VIEWS:
        g.search_view = None if name == DEFAULT_VIEW else name
        out.append(
            {
                "value": name,
                "label": labels[name],
                "selected": name == view,
                "url": search_url(req, page=1),
            }
        )
    g.search_view = None if view == DEFAULT_VIEW else view
    return out


def refs_model(req: SearchRequest, found: ReferenceResult, sort: str, args: MultiDict) -> dict:
    """The references view: one row per distinct identifier, paged; kinds to filter by."""
    rows = _sorted_refs(found, sort)
    total = len(rows)
    pages = max(1, (total + REFS_PER_PAGE - 1) // REFS_PER_PAGE)
    start = (req.page - 1) * REFS_PER_PAGE
    shown = rows[start : start + REFS_PER_PAGE]
    kinds = [
        {
            "value": kind,
            "label": REF_KIND_LABELS.get(kind, kind),
            "count": found.kinds.get(kind, 0),
            "selected": kind in req.ref_kind,
            "url": search_url(req, page=1, ref_kind=[] if kind in req.ref_kind else [kind]),
        }
        for kind in REF_KINDS
        if found.kinds.get(kind) or kind in req.ref_kind
    ]
    return {
        "total": total,
        "documents": found.documents,
        "page": req.page,
        "pages": pages,
        "per_page": REFS_PER_PAGE,
        "first": start + 1,
        "sort": sort,
        "sorts": [{"value": k, "label": v, "selected": k == sort} for k, v in REF_SORTS.items()],
        "kinds": kinds,
        "all_kinds_url": search_url(req, page=1, ref_kind=[]),
        "previous_url": search_url(req, page=req.page - 1) if req.page > 1 else None,
        "next_url": search_url(req, page=req.page + 1) if req.page < pages else None,
        "references": [ref_row(r) for r in shown],
        "csv_url": csv_url(req),
    }


def _sorted_refs(found: ReferenceResult, sort: str) -> list:
    rows = list(found.references)  # most cited first, then by key
    if sort == "key":
        rows.sort(key=lambda r: _natural_key(r.key))
    elif sort == "first":
        rows.sort(key=lambda r: (r.first_month or "9999", _natural_key(r.key)))
    elif sort == "last":
        rows.sort(key=lambda r: r.last_month or "", reverse=True)
    return rows


def ref_row(r) -> dict:
    """One distinct identifier as the references view, its JSON and its CSV show it."""
    return {
        "key": r.key,
        "kind": r.kind,
        "kind_label": REF_KIND_LABELS.get(r.kind, r.kind),
        "sections": r.sections,
        "first_month": r.first_month,
        "last_month": r.last_month,
        "first_month_label": month_label(r.first_month),
        "last_month_label": month_label(r.last_month),
        "url": path_url("pages.ref", "key", r.key),
    }


def _natural_key(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def csv_url(req: SearchRequest) -> str:
    """Return the URL of this search's CSV (every row, not one page)."""
    page_url = search_url(req, page=1)
    _, _, query = page_url.partition("?")
    base = url_for("pages.search_csv")
    return f"{base}?{query}" if query else base


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
    groups = _month_groups(
        req, facets["month"], facets["year"], result.total, result.facets["month"].counted
    )
    return {
        **_result_fields(req, result),
        "hits": [hit_model(hit, labels) for hit in result.hits],
        "facets": facets,
        "facet_labels": {name: result.facets[name].label for name in FACETS},
        "month_groups": groups,
        "hidden": [list(pair) for pair in query_pairs(state(req, page=1))],
        "chips": _chips(req, result),
        "chart": _chart([m for group in groups for m in group["months"]]),
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
        "csv_url": csv_url(req),
        "range": {
            "from": req.month_from,
            "to": req.month_to,
            "months": [{"value": m, "label": month_label(m)} for m in result.months],
        },
        "error": None,
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
        "references": [{"key": key, "kind": library.kind_of(key)} for key in hit.references],
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


def _month_groups(
    req: SearchRequest, months: list[dict], years: list[dict], total: int, unfiltered: int
) -> list[dict]:
    """Months under their year, newest first: one tree, one rule.

    A selected year selects its months (each shown selected); a month chosen
    inside it narrows it (only the chosen months then show selected). Each
    count is what the value holds under the query and the other filters, and
    each value says what choosing it gives (`gives`: the total after the
    click); a value that would give nothing is not listed unless selected.
    total is the current total, unfiltered the total with no time selection.
    """
    by_year = {v["value"]: v for v in years}
    names = sorted({*by_year, *(v["value"][:4] for v in months)}, reverse=True)
    # What each year contributes to the current total.
    share: dict[str, int] = {}
    for year in names:
        in_year = [v for v in months if v["value"][:4] == year]
        chosen = [v for v in in_year if v["selected"]]
        head = by_year.get(year)
        if chosen:
            share[year] = sum(v["count"] for v in chosen)
        elif head and head["selected"]:
            share[year] = head["count"]
    anything = bool(req.month or req.year)
    groups = []
    for year in names:
        in_year = [v for v in months if v["value"][:4] == year]
        head = by_year.get(year) or {
            "value": year,
            "label": year,
            "count": sum(v["count"] for v in in_year),
            "selected": False,
            "url": toggle_url(req, "year", year),
        }
        narrowed = any(v["selected"] for v in in_year)
        whole = head["selected"] and not narrowed
        mine = share.get(year, 0)
        elsewhere = any(y != year for y in req.year) or any(m[:4] != year for m in req.month)
        if head["selected"]:
            head_gives = total - mine if elsewhere else unfiltered
        else:
            head_gives = total - mine + head["count"] if anything else head["count"]
        rows = []
        for v in in_year:
            if whole:
                # The whole year is chosen: a month narrows it to that month.
                row = {**v, "selected": True, "implied": True}
                row["gives"] = total - mine + v["count"]
            elif v["selected"]:
                others = len(req.month) > 1 or bool(req.year)
                if head["selected"] and not [
                    m for m in req.month if m[:4] == year and m != v["value"]
                ]:
                    # The last month narrowing a selected year: the whole year again.
                    row = {**v, "gives": total - v["count"] + head["count"]}
                else:
                    row = {**v, "gives": total - v["count"] if others else unfiltered}
            else:
                row = {**v, "gives": total + v["count"] if anything else v["count"]}
            rows.append(row)
        if not head["count"] and not head["selected"] and not narrowed:
            continue
        groups.append({**head, "gives": head_gives, "narrowed": narrowed, "months": rows})
    return groups


def typed_range(q: str) -> re.Match | None:
    """Return the month range typed in a query (`month:[2017-06 TO 2017-10]`), or None."""
    return TYPED_RANGE_RE.search(q)


def _range_label(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{month_label(start)} to {month_label(end)}"
    if start:
        return f"from {month_label(start)}"
    return f"up to {month_label(end)}"


def _chips(req: SearchRequest, result: SearchResult) -> list[dict]:
    chips = []
    if req.month_from or req.month_to:
        chips.append(
            {
                "facet": "range",
                "facet_label": "Months",
                "value": f"{req.month_from or ''}..{req.month_to or ''}",
                "label": _range_label(req.month_from, req.month_to),
                "url": search_url(req, page=1, **{"from": None, "to": None}),
            }
        )
    typed = typed_range(req.q)
    if typed:
        start, end = typed.group("start"), typed.group("end")
        rest = " ".join((req.q[: typed.start()] + " " + req.q[typed.end() :]).split())
        chips.append(
            {
                "facet": "query_range",
                "facet_label": "Months (typed)",
                "value": typed.group(0),
                "label": _range_label(start or None, end or None),
                "url": search_url(req, page=1, q=rest),
            }
        )
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


def _chart(months: list[dict]) -> list[dict]:
    """Hits per month, oldest first; a bar adds its month to the selection (or removes it)."""
    return [
        {
            "month": v["value"],
            "label": v["label"],
            "count": v["count"],
            "selected": v["selected"],
            "url": v["url"],
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
