"""A WBS element month by month: last month's plans beside this month's accomplishments."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, url_for

from ingest.identifiers import wbs_depth
from search import library

from ..params import MAX_PAGE
from ..render import month_label
from ..store import get_index
from .common import doc_model

WBS_ORDERS: tuple[str, ...] = ("newest", "oldest")
ROOT_DEPTH = 2
# Months shown on one page of an element's history.
MONTHS_PER_PAGE = 6
# A summary chart longer than this many months has one bar per year.
MAX_MONTH_BARS = 60


def wbs_params(order: str | None, page: str | None) -> tuple[str, int]:
    """Return the order and page number asked for (defaults for blanks); abort 400 if bad."""
    order = order or WBS_ORDERS[0]
    if order not in WBS_ORDERS:
        abort(400, f"order must be {' or '.join(WBS_ORDERS)}, not {order!r}")
    return order, page_number(page)


def wbs_model(code: str, order: str | None, page: str | None = None) -> dict | None:
    """Return a canonical WBS element's history, or None if no report has text under it."""
    order, number = wbs_params(order, page)
    # DM as a whole is the whole report: its page lists the elements below it only.
    deep = wbs_depth(code) > ROOT_DEPTH
    start = (number - 1) * MONTHS_PER_PAGE
    history = library.wbs_history(get_index(), code, order, start, MONTHS_PER_PAGE if deep else 0)
    if history is None:
        return None
    pages = max(1, -(-(history.month_count if deep else 0) // MONTHS_PER_PAGE))
    months = [_month(m) for m in history.months]
    # The summary counts every month's sections (counted at ingest), not only this page's.
    counts = {month: n for month, n in history.counts if month}
    return {
        "summary": month_summary(counts, library.report_months(get_index())),
        "code": code,
        "title": history.title,
        "ancestors": [_link(c, label) for c, label in history.ancestors],
        "children": [_link(c, label) for c, label in history.children],
        "order": order,
        "orders": [{"value": o, "selected": o == order} for o in WBS_ORDERS],
        "months": months,
        "page": number,
        "pages": pages,
        "previous_url": _page_url(code, order, number - 1) if 1 < number <= pages + 1 else None,
        "next_url": _page_url(code, order, number + 1) if number < pages else None,
        "search_url": url_for("pages.search", wbs=code),
    }


def page_number(raw: str | None) -> int:
    """Return a page number parameter (1 when blank); abort 400 when it is not one."""
    if not raw:
        return 1
    # Length first: int() refuses strings of more than 4,300 digits with a ValueError.
    if len(raw) > len(str(MAX_PAGE)) or not raw.isdecimal() or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, f"page must be a whole number from 1, not {raw[:20]!r}")
    return int(raw)


def _page_url(code: str, order: str, number: int) -> str:
    args = {"order": order} if order != WBS_ORDERS[0] else {}
    if number > 1:
        args["page"] = number
    return url_for("pages.wbs", code=code, **args)


def _link(code: str, label: str) -> dict:
    return {"code": code, "label": label, "url": url_for("pages.wbs", code=code)}


def _month(m: library.WbsMonth) -> dict:
    return {
        "month": m.month,
        "label": month_label(m.month),
        "report": m.report,
        "report_url": url_for("pages.report", rid=m.report),
        "accomplishments": [doc_model(d) for d in m.accomplishments],
        "planned": [doc_model(d) for d in m.planned],
        "recruitment": [doc_model(d) for d in m.recruitment],
        "previous_month": m.previous_month,
        "previous_label": month_label(m.previous_month) if m.previous_month else None,
        "previous_planned": [doc_model(d) for d in m.previous_planned],
    }


def month_summary(counts: dict[str, int], indexed: Sequence[str]) -> dict:
    """A page's summary: months with something, first and last, and one bar per report month.

    counts: {month: how many} for the months that have something; indexed: the
    reports' months, oldest first. The chart spans every indexed month from
    the first to the last of counts, so gaps show.
    """
    months = sorted(counts)
    first, last = (months[0], months[-1]) if months else (None, None)
    span = [mo for mo in indexed if first and first <= mo <= last]
    if len(span) > MAX_MONTH_BARS:
        bars = _by_year(span, counts)
    else:
        bars = [
            {
                "month": mo,
                "label": month_label(mo),
                "count": counts.get(mo, 0),
                "url": "",
                "selected": False,
            }
            for mo in span
        ]
    return {
        "months": len(months),
        "total": sum(counts.values()),
        "first_month": first,
        "last_month": last,
        "first_month_label": month_label(first) if first else None,
        "last_month_label": month_label(last) if last else None,
        "by_year": len(bars) != len(span),
        "chart": bars,
    }


def _by_year(span: list[str], counts: dict[str, int]) -> list[dict]:
    """One bar per year of the months (a chart of decades of months would be a smear)."""
    years: dict[str, dict] = {}
    for mo in span:
        year = mo[:4]
        into = years.setdefault(
            year, {"month": year, "label": year, "count": 0, "url": "", "selected": False}
        )
        into["count"] += counts.get(mo, 0)
    return list(years.values())
