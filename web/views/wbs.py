"""A WBS element month by month: last month's plans beside this month's accomplishments."""

from __future__ import annotations

from flask import abort, url_for

from search import library

from ..render import month_label
from ..store import get_index
from .common import doc_model

WBS_ORDERS: tuple[str, ...] = ("newest", "oldest")
ROOT_DEPTH = 2


def wbs_model(code: str, order: str | None) -> dict | None:
    """Return a canonical WBS element's history, or None if no report has text under it."""
    order = order or WBS_ORDERS[0]
    if order not in WBS_ORDERS:
        abort(400, f"order must be {' or '.join(WBS_ORDERS)}, not {order!r}")
    index = get_index()
    history = library.wbs_history(index, code)
    if history is None:
        return None
    # DM as a whole is the whole report: its page lists the elements below it only.
    months = [_month(m) for m in history.months] if library.wbs_depth(code) > ROOT_DEPTH else []
    if order == "newest":
        months.reverse()
    return {
        "code": code,
        "title": history.title,
        "ancestors": [_link(c, label) for c, label in history.ancestors],
        "children": [_link(c, label) for c, label in history.children],
        "order": order,
        "orders": [{"value": o, "selected": o == order} for o in WBS_ORDERS],
        "months": months,
        "search_url": url_for("pages.search", wbs=code),
    }


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
