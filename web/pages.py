"""The UI's routes; every page also answers as JSON (`.json` suffix or `?format=json`)."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, redirect, request, send_file, url_for

from ingest.references import kind_of
from search import library

from . import ids
from .render import JSON_SUFFIX, page, wants_json
from .store import get_index
from .views.milestones import milestone_model, milestones_model
from .views.refs import ref_model
from .views.reports import report_model, report_summary, reports_model
from .views.search import search_model
from .views.wbs import wbs_model, wbs_params

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
    """The search page: query box, facets, chart, results."""
    return page("search.html", search_model(request.args))


# "/" first: url_for("pages.search") builds the first rule registered.
bp.add_url_rule("/", view_func=search, methods=["GET"])
twin("/search")(search)


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
    """Every mention of an identifier, month by month."""
    return identified_page(
        "pages.ref",
        "key",
        key,
        ids.identifier(key),
        ref_model,
        "ref.html",
        "No indexed report mentions {}.",
    )


@twin("/milestones")
def milestones():
    """Every milestone with its latest due date and number of slips."""
    return page("milestones.html", milestones_model(request.args.get("sort")))


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


@bp.route("/wbs", methods=["GET"])
def wbs_root():
    """The WBS tree starts at DM's element."""
    return redirect(url_for("pages.wbs", code=library.DM_ROOT), code=302)


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
