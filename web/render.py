"""One view model, two renderings: Jinja HTML or its JSON twin (`?format=json` or `.json`)."""

from __future__ import annotations

import calendar
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.wrappers import Response

from search import library
from search.models import MAX_QUERY_LENGTH

from . import charts, links

FORMATS = ("html", "json")
JSON_SUFFIX = ".json"


def init_app(app: Flask) -> None:
    """Register the template filters and helpers the pages share."""
    app.jinja_env.filters.update(
        linkify=links.linkify,
        month_label=month_label,
        part_label=part_label,
        signed_days=signed_days,
    )
    app.jinja_env.globals.update(
        json_url=json_url,
        kind_label=lambda kind: links.KIND_LABELS.get(kind, kind),
        bar_chart=charts.bar_chart,
        due_chart=charts.due_chart,
        wbs_url=links.wbs_url,
    )


def compile_templates(app: Flask) -> list[str]:
    """Compile every page template now, so a worker's first page does not pay for it.

    A server worker calls it before it accepts a request; returns the names compiled.
    """
    names = app.jinja_env.list_templates(extensions=("html",))
    for name in names:
        app.jinja_env.get_template(name)
    return names


def wants_json() -> bool:
    """Return whether this request asks for the JSON twin; abort 400 on an unknown format."""
    fmt = request.args.get("format", "")
    if fmt and fmt not in FORMATS:
        abort(400, f"format must be {' or '.join(FORMATS)}, not {fmt!r}")
    return fmt == "json" or request.path.endswith(JSON_SUFFIX)


def page(template: str, model: dict, status: int = 200) -> Response | tuple[str, int]:
    """Render a view model as the page's HTML, or as JSON when the request asks for it."""
    if wants_json():
        response = jsonify(model)
        response.status_code = status
        return response
    return render_template(template, m=model), status


def json_url() -> str:
    """Return the current URL of this page's JSON twin.

    A value no request accepts (longer than a query may be) is left out: the
    page that refused it does not repeat it in its links.
    """
    args = [
        (k, v)
        for k, v in request.args.items(multi=True)
        if k != "format" and len(v) <= MAX_QUERY_LENGTH
    ]
    args.append(("format", "json"))
    return f"{request.path}?{urlencode(args)}"


def month_label(month: str | None) -> str:
    """Return "October 2017" for "2017-10" (and "undated" for None)."""
    if not month:
        return "undated"
    year, _, number = month.partition("-")
    if not number.isdigit() or not 1 <= int(number) <= 12:
        return month
    return f"{calendar.month_name[int(number)]} {year}"


def signed_days(days: int) -> str:
    """Return "+61 days", "−61 days", "1 day" style text for a due-date shift."""
    unit = "day" if abs(days) == 1 else "days"
    if days > 0:
        return f"+{days} {unit}"
    if days < 0:
        return f"\u2212{-days} {unit}"
    return f"0 {unit}"


def part_label(part: str | None) -> str:
    """Return "Current accomplishments" for "accomplishments"."""
    return library.PART_LABELS.get(part, part or "")
