"""One identifier across the reports: every mention, grouped by month."""

from __future__ import annotations

from flask import url_for

from search import library

from ..links import KIND_LABELS, document_url, outside_url
from ..render import month_label, part_label
from ..store import get_index
from .common import file_url
from .wbs import month_summary, page_number

# Months of mentions on one page of an identifier (the summary covers them all).
REF_MONTHS_PER_PAGE = 12


def ref_model(key: str, page: str | None = None) -> dict | None:
    """Return the identifier page of a canonical key, or None if no report names it.

    The mentions are grouped by month, oldest first, REF_MONTHS_PER_PAGE
    months a page (`?page=N`); the summary counts every month.
    """
    number = page_number(page)
    index = get_index()
    history = library.ref_history(index, key)
    if history is None:
        return None
    months = history.months
    groups = group_by_month(history.mentions)
    pages = max(1, -(-len(groups) // REF_MONTHS_PER_PAGE))
    start = (number - 1) * REF_MONTHS_PER_PAGE
    counts: dict[str, int] = {}
    for m in history.mentions:
        if m.month:
            counts[m.month] = counts.get(m.month, 0) + 1
    return {
        "key": key,
        "kind": history.kind,
        "kind_label": KIND_LABELS.get(history.kind, history.kind),
        "url": outside_url(key, history.kind),
        "document": history.document,
        "document_url": document_url(key),
        "mention_count": len(history.mentions),
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "first_month_label": month_label(months[0]) if months else None,
        "last_month_label": month_label(months[-1]) if months else None,
        "summary": month_summary(counts, library.report_months(index)),
        "months": groups[start : start + REF_MONTHS_PER_PAGE],
        "page": number,
        "pages": pages,
        "previous_url": _page_url(key, number - 1) if 1 < number <= pages + 1 else None,
        "next_url": _page_url(key, number + 1) if number < pages else None,
        "related": [{"key": k, "url": url_for("pages.ref", key=k)} for k in history.related],
        "search_url": url_for("pages.search", q=f"ref:{key}"),
    }


def _page_url(key: str, number: int) -> str:
    return url_for("pages.ref", key=key, **({"page": number} if number > 1 else {}))


def group_by_month(mentions) -> list[dict]:
    """Return mentions grouped by (month, report), oldest first."""
    groups: list[dict] = []
    for m in mentions:
        if not groups or (groups[-1]["month"], groups[-1]["report"]) != (m.month, m.report):
            groups.append(
                {
                    "month": m.month,
                    "label": month_label(m.month),
                    "report": m.report,
                    "report_url": url_for("pages.report", rid=m.report),
                    "mentions": [],
                }
            )
        anchor = m.doc_id.partition("#")[2] if m.doc_id else None
        groups[-1]["mentions"].append(
            {
                "context": m.context,
                "section_title": m.section_title,
                "wbs": m.wbs,
                "wbs_title": m.wbs_title,
                "part": m.part,
                "part_label": part_label(m.part),
                "page": m.page,
                "url": url_for("pages.report", rid=m.report, _anchor=anchor),
                "file_url": file_url(m.report, m.source, m.page),
            }
        )
    return groups
