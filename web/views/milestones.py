"""Milestones: all of them with their latest due date, and one milestone's history."""

from __future__ import annotations

from flask import abort, url_for

from search import MilestoneEntry, library

from ..links import document_url
from ..render import month_label
from ..store import get_index
from .common import report_sources
from .refs import group_by_month

MILESTONE_SORTS: dict[str, str] = {
    "id": "ID",
    "due": "Latest due date",
    "slips": "Most slips",
    "slip_days": "Total slip in days",
    "group": "Group",
}
DEFAULT_MILESTONE_SORT = "id"


def milestones_model(sort: str | None) -> dict:
    """Return every milestone a report's table listed, in the order asked for."""
    sort = sort or DEFAULT_MILESTONE_SORT
    if sort not in MILESTONE_SORTS:
        abort(400, f"sort must be one of {', '.join(MILESTONE_SORTS)}, not {sort!r}")
    rows = list(library.milestones(get_index()))
    if sort == "due":
        rows.sort(key=lambda m: m.latest_due or "9999")
    elif sort == "slips":
        rows.sort(key=lambda m: -m.slips)
    elif sort == "slip_days":
        rows.sort(key=lambda m: -m.slip_days)
    elif sort == "group":
        rows.sort(key=lambda m: m.group or "")
    return {
        "sort": sort,
        "sorts": [
            {"value": k, "label": v, "selected": k == sort} for k, v in MILESTONE_SORTS.items()
        ],
        "total": len(rows),
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "group": m.group,
                "status": m.status,
                "latest_due": m.latest_due,
                "expected": m.expected,
                "first_month": m.first_month,
                "last_month": m.last_month,
                "last_month_label": month_label(m.last_month),
                "reports": m.reports,
                "slips": m.slips,
                "pull_ins": m.pull_ins,
                "slip_days": m.slip_days,
                "url": url_for("pages.milestone", mid=m.id),
            }
            for m in rows
        ],
    }


def milestone_model(mid: str) -> dict | None:
    """Return one milestone's due date in every report, or None if no report names it."""
    index = get_index()
    history = library.milestone_history(index, mid)
    if history is None:
        return None
    previous = _previous(history.entries)
    entries = [_entry(e, prev) for e, prev in zip(history.entries, previous, strict=True)]
    latest = history.entries[-1] if history.entries else None
    return {
        "id": mid,
        "title": history.title,
        "group": latest.group if latest else None,
        "status": latest.status if latest else None,
        "latest_due": latest.due if latest else None,
        "expected": latest.expected if latest else None,
        "slips": history.slips,
        "pull_ins": history.pull_ins,
        "slip_days": history.slip_days,
        "changes_sentence": changes_sentence(history.slips, history.pull_ins),
        "slip_months": [e["month"] for e in entries if e["change"] == library.SLIPPED],
        "pull_in_months": [e["month"] for e in entries if e["change"] == library.PULLED_IN],
        "entries": entries,
        "mentions": group_by_month(history.mentions, report_sources(index)),
        "document": document_url(mid) and mid.rsplit("-", 1)[0],
        "document_url": document_url(mid),
        "ref_url": url_for("pages.ref", key=mid),
        "search_url": url_for("pages.search", q=mid),
    }


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def changes_sentence(slips: int, pull_ins: int) -> str:
    """Return "Slipped 3 times, pulled in once" (or "Its due date never moved")."""
    parts = []
    if slips:
        parts.append(f"slipped {_times(slips)}")
    if pull_ins:
        parts.append(f"pulled in {_times(pull_ins)}")
    if not parts:
        return "Its due date never moved"
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def _previous(entries: tuple[MilestoneEntry, ...]) -> list[str | None]:
    out, last = [], None
    for e in entries:
        out.append(last)
        last = e.due or last
    return out


def _entry(e: MilestoneEntry, previous_due: str | None) -> dict:
    return {
        "month": e.month,
        "month_label": month_label(e.month),
        "report": e.report,
        "report_url": url_for("pages.report", rid=e.report),
        "row_url": url_for("pages.report", rid=e.report, _anchor=f"milestone/{e.milestone_id}"),
        "title": e.title,
        "due": e.due,
        "expected": e.expected,
        "status": e.status,
        "group": e.group,
        "note": e.note,
        "slipped": e.slipped,
        "change": e.change,
        "shift_days": e.shift_days,
        "previous_due": previous_due,
    }
