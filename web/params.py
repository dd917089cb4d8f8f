"""Search state <-> URL: read a SearchRequest from query parameters, write links back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote_plus

from flask import g, url_for
from werkzeug.datastructures import MultiDict

from ingest.identifiers import wbs_ancestors
from search import FACETS, QueryError, SearchRequest, library
from search.models import DEFAULT_PER_PAGE

DEFAULT_SORT = "relevance"
# Largest page number a link may carry (anything beyond has no hits anyway).
MAX_PAGE = 100_000
_NUMBER = re.compile(r"\d{1,7}")


def search_request(args: MultiDict) -> SearchRequest:
    """Build a SearchRequest from query parameters; raises QueryError on a bad value."""
    facets = {name: [v.strip() for v in args.getlist(name) if v.strip()] for name in FACETS}
    return SearchRequest(
        q=args.get("q", ""),
        sort=args.get("sort") or DEFAULT_SORT,
        page=_number(args, "page", 1),
        per_page=_number(args, "per_page", DEFAULT_PER_PAGE),
        # Only an empty value is blank (the form's "any month"); anything else must be a month.
        month_from=args.get("from") or None,
        month_to=args.get("to") or None,
        **facets,
    )


def _number(args: Mapping, name: str, default: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _NUMBER.fullmatch(raw) or int(raw) > MAX_PAGE:
        raise QueryError(f"{name} must be a whole number from 1, not {raw!r}")
    return int(raw)


def state(req: SearchRequest, **changes) -> dict:
    """Return the request as a dict of URL state, with some values changed."""
    out = {
        "q": req.q,
        "sort": req.sort,
        "page": req.page,
        "per_page": req.per_page,
        "from": req.month_from,
        "to": req.month_to,
        # The search page's view (hits or refs), set by the view for its links.
        "view": g.get("search_view"),
        "ref_sort": g.get("search_ref_sort"),
        **{name: list(req.selected(name)) for name in FACETS},
    }
    out.update(changes)
    return out


def query_pairs(values: dict) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of a state, defaults left out."""
    pairs: list[tuple[str, str]] = []
    if values["q"]:
        pairs.append(("q", values["q"]))
    for name in FACETS:
        pairs.extend((name, v) for v in values[name])
    for name in ("from", "to"):
        if values.get(name):
            pairs.append((name, values[name]))
    if values.get("view"):
        pairs.append(("view", values["view"]))
    if values.get("ref_sort"):
        pairs.append(("ref_sort", values["ref_sort"]))
    if values["sort"] != DEFAULT_SORT:
        pairs.append(("sort", values["sort"]))
    if values["per_page"] != DEFAULT_PER_PAGE:
        pairs.append(("per_page", str(values["per_page"])))
    if values["page"] != 1:
        pairs.append(("page", str(values["page"])))
    return pairs


def search_url(req: SearchRequest, **changes) -> str:
    """Return the search page URL for the request with some state changed.

    A results page links every facet value, chip and chart bar: the base path
    is built once per request and each value quoted once per process.
    """
    pairs = query_pairs(state(req, **changes))
    base = g.get("search_base")
    if base is None:
        base = g.search_base = url_for("pages.search")
    if not pairs:
        return base
    return base + "?" + "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in pairs)


@lru_cache(maxsize=65_536)
def _quoted(text: str) -> str:
    return quote_plus(text)


def toggled(req: SearchRequest, facet: str, value: str) -> list[str]:
    """Return a facet's selection with value switched on or off.

    Choosing a WBS element drops its selected ancestors and descendants: under
    OR they would only blur the choice.
    """
    if facet in ("month", "year"):
        return time_toggled(req, facet, value)[facet]
    current = list(req.selected(facet))
    if value in current:
        return [v for v in current if v != value]
    if facet == "wbs":
        current = [v for v in current if not _related_wbs(v, value)]
    return [*current, value]


def time_toggled(req: SearchRequest, facet: str, value: str) -> dict[str, list[str]]:
    """Return the month and year selections after choosing a year or a month.

    Choosing a year selects all its months (its months chosen before are
    dropped: they would narrow it); removing a year removes its months too. A
    month is switched on or off on its own: inside a selected year it narrows
    the year to the months chosen.
    """
    months, years = list(req.month), list(req.year)
    if facet == "year":
        months = [m for m in months if m[:4] != value]
        years = [y for y in years if y != value] if value in years else [*years, value]
    elif value in months:
        months = [m for m in months if m != value]
    else:
        months = [*months, value]
    return {"month": months, "year": years}


def _related_wbs(a: str, b: str) -> bool:
    return a.startswith(b + ".") or b.startswith(a + ".")


def toggle_url(req: SearchRequest, facet: str, value: str) -> str:
    """Return the URL that switches one facet value on or off (back to page 1)."""
    if facet in ("month", "year"):
        return search_url(req, page=1, **time_toggled(req, facet, value))
    return search_url(req, page=1, **{facet: toggled(req, facet, value)})


def wbs_breadcrumb(code: str | None, labels: dict[str, str]) -> list[dict]:
    """Return [{code, label}] from `1.02C` down to code."""
    if not code:
        return []
    return [{"code": c, "label": library.wbs_label(labels, c)} for c in wbs_ancestors(code)]
