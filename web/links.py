"""Where identifiers and WBS codes point, and report text with them turned into links."""

from __future__ import annotations

from flask import current_app, url_for
from markupsafe import Markup, escape

from ingest.identifiers import (
    canonical_wbs,
    find_identifiers,
    find_wbs_codes,
    kind_of,
    parent_document,
    url_of,
)

KIND_LABELS: dict[str, str] = {
    "jira": "JIRA ticket",
    "milestone": "Milestone",
    "document": "Document",
    "technote": "Technote",
}


def outside_url(key: str, kind: str | None = None) -> str:
    """Return where an identifier lives: JIRA, ls.st, lsst.io, or this service's milestone page."""
    kind = kind or kind_of(key)
    if kind == "milestone":
        return url_for("pages.milestone", mid=key)
    base = current_app.config.get("JIRA_BASE")
    if kind == "jira" and base:
        return base.rstrip("/") + "/" + key
    return url_of(key, kind)


def document_url(key: str) -> str | None:
    """Return the ls.st link of the document a milestone such as LDM-503-2 belongs to."""
    parent = parent_document(key)
    return url_of(parent, "document") if parent else None


def linkify(text: str | None) -> Markup:
    """Return text HTML-escaped, identifiers linked outside and WBS codes to their pages."""
    if not text:
        return Markup("")
    spans: list[tuple[int, int, str, str]] = []
    for ident in find_identifiers(text):
        spans.append((ident.start, ident.end, outside_url(ident.key, ident.kind), ident.key))
    for match in find_wbs_codes(text):
        code = canonical_wbs(match.group(0))
        if code:
            spans.append((match.start(), match.end(), url_for("pages.wbs", code=code), code))
    out: list[str] = []
    last = 0
    for start, end, href, title in sorted(spans):
        if start < last:
            continue
        out.append(str(escape(text[last:start])))
        out.append(
            f'<a href="{escape(href)}" title="{escape(title)}">{escape(text[start:end])}</a>'
        )
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
