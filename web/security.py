"""Security headers on every response, a sandbox for original files served back, and a
Host header that cannot break the app."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.exceptions import BadHost

# No inline script or style anywhere: the one CSS and JS file ship in web/static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# An original HTML report is somebody else's markup: shown in a sandbox, no script at all.
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
# PDF viewers are plugins: a PDF gets only the base policy without object-src.
PDF_POLICY = "default-src 'self'; frame-ancestors 'none'"
HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# A request whose Host header no URL can be built with (a label over 63
# characters, say) is answered 400; the app sees this host instead, so that the
# error page can still be built.
STAND_IN_HOST = "localhost"
BAD_HOST_KEY = "dmreports.bad_host"
BAD_HOST = "The Host header is not a valid host name."


def init_app(app: Flask) -> None:
    """Add the headers to every response the app gives; refuse unusable Host headers."""
    app.wsgi_app = _HostCheck(app.wsgi_app, app)
    app.before_request(refuse_bad_host)
    app.after_request(add_headers)


class _HostCheck:
    """WSGI middleware: a Host header Werkzeug cannot bind URLs to is replaced and flagged.

    Werkzeug fails such a request before any view runs, and then the error
    handler cannot build a URL either (a 500 on every HTML page).
    """

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.url_map = app.url_map

    def __call__(self, environ, start_response):
        try:
            self.url_map.bind_to_environ(environ)
        except BadHost:
            environ = {**environ, "HTTP_HOST": STAND_IN_HOST, BAD_HOST_KEY: True}
        except Exception:  # noqa: BLE001 - anything else is the app's to answer
            pass
        return self.wsgi_app(environ, start_response)


def refuse_bad_host() -> None:
    """Answer 400 (in the format asked for) to a request that came with an unusable Host."""
    if request.environ.get(BAD_HOST_KEY):
        abort(400, BAD_HOST)


def add_headers(response: Response) -> Response:
    """Set CSP, nosniff, Referrer-Policy and framing headers on a response."""
    policy = CONTENT_SECURITY_POLICY
    if request.endpoint == "pages.original_file":
        policy = PDF_POLICY if response.mimetype == "application/pdf" else FILE_POLICY
    response.headers["Content-Security-Policy"] = policy
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
