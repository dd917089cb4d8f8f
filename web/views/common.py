"""Pieces several pages share: a stored document, a reference, a link to the original file."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import g, url_for

from ingest.references import kind_of
from search import Doc

from ..links import KIND_LABELS, outside_url
from ..render import month_label, part_label

# Values a path segment carries as they are (report ids, WBS codes, milestone IDs).
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_PLACEHOLDER = "0dmreports-value0"
# What Flask's url_for leaves unquoted in an anchor.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def path_url(endpoint: str, name: str, value: str, anchor: str | None = None) -> str:
    """url_for(endpoint, name=value, _anchor=anchor), at a fraction of its cost.

    A search answer links every hit to its report, WBS elements and milestone:
    url_for is asked once per endpoint and request, and the value put in place.
    """
    if not _PLAIN_SEGMENT.match(value):
        return url_for(endpoint, **{name: value}, _anchor=anchor)
    templates = g.setdefault("path_url_templates", {})
    template = templates.get((endpoint, name))
    if template is None:
        template = templates[(endpoint, name)] = url_for(endpoint, **{name: _PLACEHOLDER})
    url = template.replace(_PLACEHOLDER, value)
    return f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}" if anchor is not None else url


def file_url(report: str, source: str, page: int | None) -> str:
    """Return the link to a report's original file, at a page for PDFs."""
    url = path_url("pages.original_file", "rid", report)
    if page and source.lower().endswith(".pdf"):
        url += f"#page={page}"
    return url


def reference_model(key: str) -> dict:
    """Return an identifier with its kind, outside link and history page."""
    kind = kind_of(key)
    return {
        "key": key,
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "url": outside_url(key, kind),
        "ref_url": path_url("pages.ref", "key", key),
    }


def doc_model(doc: Doc) -> dict:
    """Return a stored section as pages show it, with its anchor in the report page."""
    anchor = doc.id.partition("#")[2]
    return {
        "id": doc.id,
        "anchor": anchor,
        "report": doc.report,
        "month": doc.month,
        "month_label": month_label(doc.month),
        "wbs": doc.wbs,
        "wbs_title": doc.wbs_title,
        "part": doc.part,
        "part_label": part_label(doc.part),
        "title": doc.title,
        "text": doc.text,
        "page": doc.page,
        "url": path_url("pages.report", "rid", doc.report, anchor),
        "file_url": file_url(doc.report, doc.source, doc.page),
        "references": [reference_model(k) for k in doc.references],
    }
