"""Every failure answered in the format asked for, with a message and never a traceback."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from search import IndexCorrupt, IndexMissing, IndexOutdated, QueryError
from search.models import MAX_QUERY_LENGTH

from .render import FORMATS, JSON_SUFFIX

API_PREFIX = "/api/"
NO_INDEX = "No index has been built yet: run `dmreports ingest` to build it."
OUTDATED = "The index was built by another version: run `dmreports ingest --full` to rebuild it."
CORRUPT = "The index cannot be read: run `dmreports ingest --full` to rebuild it."
SERVER_ERROR = "Something went wrong on our side; it has been logged."
TITLES: dict[int, str] = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    503: "Index unavailable",
}


def init_app(app: Flask) -> None:
    """Register the handlers: HTTP errors, bad queries, a missing index, anything else."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(QueryError, bad_query)
    app.register_error_handler(IndexMissing, unavailable)
    app.register_error_handler(IndexCorrupt, unavailable)
    app.register_error_handler(Exception, server_error)


def wants_json_error() -> bool:
    """Return whether an error should be JSON: API routes and JSON twins get JSON."""
    fmt = request.args.get("format", "")
    return (
        request.path.startswith(API_PREFIX)
        or request.path.endswith(JSON_SUFFIX)
        or (fmt == "json" and fmt in FORMATS)
    )


def error_response(status: int, message: str, headers: dict | None = None):
    """Return {"error": message} or the HTML error page with that status."""
    if wants_json_error():
        response = jsonify({"error": message})
    else:
        title = TITLES.get(status, "Error")
        # The search box keeps the query, unless it is one no search accepts (never echo 100 KB).
        query = request.args.get("q", "")
        query = query if len(query) <= MAX_QUERY_LENGTH else ""
        response = current_app.make_response(
            render_template("error.html", status=status, title=title, message=message, query=query)
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(exc: HTTPException):
    """Answer aborts and unknown routes (400, 404, 405...) with their description."""
    if isinstance(exc, InternalServerError):
        return server_error(exc)
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return error_response(exc.code or 500, exc.description or TITLES.get(exc.code, ""), headers)


def bad_query(exc: QueryError):
    """A search request that cannot be answered as asked is the client's: 400."""
    return error_response(400, str(exc))


def unavailable(exc: Exception):
    """No readable index: 503 saying how to build one."""
    current_app.logger.warning("index unavailable: %s", exc)
    message = NO_INDEX
    if isinstance(exc, IndexOutdated):
        message = OUTDATED
    elif isinstance(exc, IndexCorrupt):
        message = CORRUPT
    return error_response(503, message, {"Retry-After": "60"})


def server_error(exc: Exception):
    """Log the failure and answer 500 without any detail of it."""
    original = getattr(exc, "original_exception", None) or exc
    current_app.logger.error("unhandled error on %s", request.path, exc_info=original)
    return error_response(500, SERVER_ERROR)
