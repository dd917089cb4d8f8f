"""Milestones: all of them with their latest due date, and one milestone's history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from flask import Response, abort, current_app, url_for

from search import MilestoneEntry, library

from ..csv_export import absolute
from ..links import document_url
from ..render import month_label
from ..store import get_index
from .refs import group_by_month
from .wbs import page_number

MILESTONE_SORTS: dict[str, str] = {
    "id": "ID",
    "due": "Latest due date",
    "slips": "Most slips",
    "slip_days": "Total slip in days",
    "group": "Group",
}
DEFAULT_MILESTONE_SORT = "id"
# Milestones on one page of the list (its JSON and CSV twins give them all).
MILESTONES_PER_PAGE = 100
_PLACEHOLDER = "0dmreports-milestone0"


def milestone_sort(sort: str | None) -> str:
    """Return the sort asked for (the default for a blank); abort 400 if it is not one."""
    sort = sort or DEFAULT_MILESTONE_SORT
    if sort not in MILESTONE_SORTS:
        abort(400, f"sort must be one of {', '.join(MILESTONE_SORTS)}, not {sort!r}")
    return sort


def milestones_model(sort: str | None, page: str | None = None, every: bool = False) -> dict:
    """Return a page of the milestones a report's table listed, in the order asked for.

    MILESTONES_PER_PAGE a page (`?page=N`), read from the overview lines the
    ingest wrote, by key and LIMIT; every=True puts every milestone in (lazily:
    `milestones` is then an iterator, for a streamed answer).
    """
    sort = milestone_sort(sort)
    number = page_number(page)
    index = get_index()
    total = library.milestone_count(index)
    pages = max(1, -(-total // MILESTONES_PER_PAGE))
    paged = not every
    link = milestone_links()
    if every:
        rows = (milestone_line(m, link) for m in library.iter_milestones(index, sort))
    else:
        start = (number - 1) * MILESTONES_PER_PAGE
        lines = library.milestones(index, sort, start, MILESTONES_PER_PAGE)
        rows = [milestone_line(m, link) for m in lines]
    return {
        "sort": sort,
        "sorts": [
            {"value": k, "label": v, "selected": k == sort} for k, v in MILESTONE_SORTS.items()
        ],
        "total": total,
        "page": None if every else number,
        "pages": pages,
        "first": None if every else min(total, (number - 1) * MILESTONES_PER_PAGE + 1),
        "previous_url": _page_url(sort, number - 1)
        if not every and 1 < number <= pages + 1
        else None,
        "next_url": _page_url(sort, number + 1) if paged and number < pages else None,
        "milestones": rows,
    }


def _page_url(sort: str, number: int) -> str:
    args = {"sort": sort} if sort != DEFAULT_MILESTONE_SORT else {}
    if number > 1:
        args["page"] = number
    return url_for("pages.milestones", **args)


def milestone_links() -> Callable[[str], str]:
    """A function giving a milestone's page URL as url_for does, callable outside the request."""
    template = url_for("pages.milestone", mid=_PLACEHOLDER)
    converter = current_app.url_map.converters["default"](current_app.url_map)
    return lambda mid: template.replace(_PLACEHOLDER, converter.to_url(mid))


def milestone_line(m: library.MilestoneSummary, link: Callable[[str], str]) -> dict:
    """One milestone of the list as pages show it."""
    return {
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
        "url": link(m.id),
    }


def milestones_json(sort: str | None) -> Response:
    """Every milestone of /milestones as JSON, streamed a batch of rows at a time."""
    model = milestones_model(sort, every=True)
    rows = model.pop("milestones")
    head = json.dumps(model, ensure_ascii=False)[:-1]

    def chunks() -> Iterator[str]:
        yield head + ', "milestones": ['
        for n, row in enumerate(rows):
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    # Every value the rows need from the request is taken now: the rows are read as sent.
    return Response(chunks(), mimetype="application/json")


def milestone_model(mid: str) -> dict | None:
    """Return one milestone's due date in every report, or None if no report names it."""
    history = library.milestone_history(get_index(), mid)
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
        "mentions": group_by_month(history.mentions),
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


def milestone_rows(sort: str | None) -> Iterator[dict]:
    """Every milestone of /milestones, in the order asked for, as CSV rows (read lazily)."""
    rows = milestones_model(sort, every=True)["milestones"]
    return ({**row, "url": absolute(row["url"])} for row in rows)


def history_rows(model: dict) -> list[dict]:
    """One milestone's due date in every report, as CSV rows."""
    return [{**e, "url": absolute(e["row_url"])} for e in model["entries"]]
