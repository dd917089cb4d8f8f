"""Security headers on every response, and a sandbox for original files served back."""

from __future__ import annotations

from flask import Flask, Response, request

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


def init_app(app: Flask) -> None:
    """Add the headers to every response the app gives."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """Set CSP, nosniff, Referrer-Policy and framing headers on a response."""
    policy = CONTENT_SECURITY_POLICY
    if request.endpoint == "pages.original_file":
        policy = PDF_POLICY if response.mimetype == "application/pdf" else FILE_POLICY
    response.headers["Content-Security-Policy"] = policy
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
