"""Where identifiers and WBS codes point, and report text with them turned into links."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
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
        from .views.common import path_url  # the views import this module

        return path_url("pages.milestone", "mid", key)
    base = current_app.config.get("JIRA_BASE")
    if kind == "jira" and base:
        return base.rstrip("/") + "/" + key
    return url_of(key, kind)


def wbs_url(code: str) -> str:
    """Return a WBS element's page (url_for's URL, at a fraction of its cost)."""
    from .views.common import path_url  # the views import this module

    return path_url("pages.wbs", "code", code)


def document_url(key: str) -> str | None:
    """Return the ls.st link of the document a milestone such as LDM-503-2 belongs to."""
    parent = parent_document(key)
    return url_of(parent, "document") if parent else None


# Texts whose identifier and WBS code positions are remembered (a page over time shows
# the same sections again: last month's plans beside this month's accomplishments).
SPAN_CACHE = 4096
_WBS = "wbs"


@lru_cache(maxsize=SPAN_CACHE)
def _spans(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, kind, key) of each identifier and WBS code (kind "wbs") in a text."""
    spans = [(i.start, i.end, i.kind, i.key) for i in find_identifiers(text)]
    for match in find_wbs_codes(text):
        code = canonical_wbs(match.group(0))
        if code:
            spans.append((match.start(), match.end(), _WBS, code))
    return tuple(sorted(spans))


def linkify(text: str | None) -> Markup:
    """Return text HTML-escaped, identifiers linked outside and WBS codes to their pages."""
    if not text:
        return Markup("")

    spans = [
        (
            start,
            end,
            wbs_url(key) if kind == _WBS else outside_url(key, kind),
            key,
        )
        for start, end, kind, key in _spans(text)
    ]
    out: list[str] = []
    last = 0
    for start, end, href, title in spans:
        if start < last:
            continue
        out.append(str(escape(text[last:start])))
        out.append(
            f'<a href="{escape(href)}" title="{escape(title)}">{escape(text[start:end])}</a>'
        )
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
