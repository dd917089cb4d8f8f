"""The UI's routes; every page also answers as JSON (`.json` suffix or `?format=json`)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, redirect, request, send_file, url_for

from ingest.references import kind_of
from search import QueryError, library

from . import ids
from .csv_export import (
    HISTORY_COLUMNS,
    HIT_COLUMNS,
    MILESTONE_COLUMNS,
    REF_COLUMNS,
    csv_response,
)
from .render import JSON_SUFFIX, page, wants_json
from .store import get_index
from .views.milestones import (
    history_rows,
    milestone_model,
    milestone_rows,
    milestones_json,
    milestones_model,
)
from .views.refs import ref_model
from .views.reports import report_model, report_summary, reports_model
from .views.search import (
    failed_search_model,
    hit_rows,
    ref_rows,
    ref_sort,
    search_model,
    search_view,
)
from .views.wbs import page_number, wbs_model, wbs_params

bp = Blueprint("pages", __name__)

# What an original report file is served as; anything else is a download.
FILE_TYPES: dict[str, str] = {".pdf": "application/pdf", ".html": "text/html", ".htm": "text/html"}


def twin(rule: str) -> Callable:
    """Register a view under rule and under its JSON twin (rule + ".json")."""

    def register(view: Callable) -> Callable:
        bp.add_url_rule(rule, view_func=view, methods=["GET"])
        bp.add_url_rule(rule + JSON_SUFFIX, view_func=view, methods=["GET"])
        return view

    return register


def canonical_redirect(endpoint: str, **values):
    """Redirect to the canonical spelling of this URL, keeping the suffix and query."""
    target = url_for(endpoint, **values)
    if request.path.endswith(JSON_SUFFIX):
        target += JSON_SUFFIX
    if request.query_string:
        target += "?" + request.query_string.decode("utf-8", "replace")
    return redirect(target, code=301)


def search():
    """The search page: query box, facets, chart, results (or the identifiers they cite).

    A query that cannot be run keeps the page: the form, the filters' facets
    and the message, with status 400 (the JSON twin answers {"error": ...}).
    """
    try:
        return page("search.html", search_model(request.args))
    except QueryError as exc:
        if wants_json():
            raise
        return page("search.html", failed_search_model(request.args, exc), status=400)


# "/" first: url_for("pages.search") builds the first rule registered.
bp.add_url_rule("/", view_func=search, methods=["GET"])
twin("/search")(search)


@bp.get("/search.csv")
def search_csv():
    """Every hit of a search as CSV (view=refs: every identifier the hits cite)."""
    ref_sort(request.args)  # refused (400) when unknown, whichever view
    if search_view(request.args) == "refs":
        return csv_response("identifiers", REF_COLUMNS, ref_rows(request.args))
    return csv_response("search", HIT_COLUMNS, hit_rows(request.args))


@twin("/reports")
def reports():
    """Every indexed report, newest first."""
    return page("reports.html", reports_model())


@twin("/reports/<rid>")
def report(rid: str):
    """One report: contents by WBS, sections with anchors, milestone table."""
    model = report_model(ids.report_id(rid))
    if model is None:
        abort(404, f"No report {rid!r} is indexed.")
    return page("report.html", model)


def identified_page(
    endpoint: str,
    param: str,
    raw: str,
    canonical: str,
    build: Callable[[str], dict | None],
    template: str,
    missing: str,
):
    """Redirect a non-canonical spelling; else render the page, or 404 when build finds nothing."""
    if canonical != raw:
        return canonical_redirect(endpoint, **{param: canonical})
    model = build(canonical)
    if model is None:
        abort(404, missing.format(canonical))
    return page(template, model)


@twin("/ref/<key>")
def ref(key: str):
    """Every mention of an identifier, month by month (a page of months at a time)."""
    number = request.args.get("page")
    page_number(number)  # a bad page is refused (400) before a spelling is redirected
    return identified_page(
        "pages.ref",
        "key",
        key,
        ids.identifier(key),
        lambda canonical: ref_model(canonical, number),
        "ref.html",
        "No indexed report mentions {}.",
    )


@twin("/milestones")
def milestones():
    """The milestones with their latest due dates and slips, a page at a time (JSON: all)."""
    sort, number = request.args.get("sort"), request.args.get("page")
    if wants_json() and not number:
        return milestones_json(sort)
    return page("milestones.html", milestones_model(sort, number))


@bp.get("/milestones.csv")
def milestones_csv():
    """Every milestone of /milestones as CSV, in the order asked for."""
    return csv_response("milestones", MILESTONE_COLUMNS, milestone_rows(request.args.get("sort")))


@bp.get("/milestones/<mid>.csv")
def milestone_csv(mid: str):
    """One milestone's due date in every report that listed it, as CSV."""
    canonical = ids.identifier(mid)
    if canonical != mid:
        return canonical_redirect("pages.milestone_csv", mid=canonical)
    model = milestone_model(canonical)
    if model is None:
        abort(404, f"No indexed report lists milestone {canonical}.")
    return csv_response(canonical, HISTORY_COLUMNS, history_rows(model))


@twin("/milestones/<mid>")
def milestone(mid: str):
    """One milestone's due date in every report that listed it."""
    canonical = ids.identifier(mid)
    if kind_of(canonical) != "milestone" and not _in_a_milestone_table(canonical):
        # A ticket, document or technote has an identifier page, not a milestone page.
        return canonical_redirect("pages.ref", key=canonical)
    return identified_page(
        "pages.milestone",
        "mid",
        mid,
        canonical,
        milestone_model,
        "milestone.html",
        "No indexed report lists milestone {}.",
    )


@twin("/wbs/<code>")
def wbs(code: str):
    """A WBS element month by month, with its children."""
    order, number = request.args.get("order"), request.args.get("page")
    # Bad parameters are refused (400) before a non-canonical code is redirected.
    wbs_params(order, number)
    return identified_page(
        "pages.wbs",
        "code",
        code,
        ids.wbs_code(code),
        lambda canonical: wbs_model(canonical, order, number),
        "wbs.html",
        "No indexed report has text under WBS {}.",
    )


def _in_a_milestone_table(key: str) -> bool:
    history = library.milestone_history(get_index(), key)
    return bool(history and history.entries)


@twin("/wbs")
def wbs_root():
    """The WBS tree starts at DM's element: the page redirects there, the JSON twin is its data."""
    if not wants_json():
        return redirect(url_for("pages.wbs", code=library.DM_ROOT), code=302)
    order, number = request.args.get("order"), request.args.get("page")
    wbs_params(order, number)
    model = wbs_model(library.DM_ROOT, order, number)
    if model is None:
        abort(404, f"No indexed report has text under WBS {library.DM_ROOT}.")
    return page("wbs.html", model)


@twin("/files/<rid>")
def original_file(rid: str):
    """Send an indexed report's original file (found by report id, never by a path)."""
    info = library.report_info(get_index(), ids.report_id(rid))
    if info is None:
        abort(404, f"No report {rid!r} is indexed.")
    if wants_json():
        return jsonify(report_summary(info))
    path = source_path(info.source)
    if path is None:
        abort(404, f"The original file of {rid} is no longer where it was indexed.")
    suffix = path.suffix.lower()
    mimetype = FILE_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    return send_file(
        path,
        mimetype=mimetype or "application/octet-stream",
        as_attachment=suffix not in FILE_TYPES,
        download_name=path.name,
        conditional=True,
        max_age=0,
    )


def source_path(source: str) -> Path | None:
    """Return the stored source path of a report as an existing file, or None."""
    path = Path(source)
    if not path.is_absolute():
        path = Path(current_app.config["SOURCE_ROOT"]) / path
    return path if path.is_file() else None
