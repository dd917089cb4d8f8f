"""The report list and one report: its contents by WBS, sections, milestone table."""

from __future__ import annotations

from flask import url_for

from ingest.identifiers import wbs_ancestors
from search import Doc, ReportInfo, library

from ..params import wbs_breadcrumb
from ..render import month_label, part_label
from ..store import get_index
from .common import doc_model, file_url, path_url, reference_model

# The top part whose text is the milestone table (shown as a table instead).
MILESTONE_SUMMARY = "Milestone Summary"
# Sections without a WBS element are grouped under this heading in the contents.
SUMMARY_GROUP = "Summary"


def reports_model() -> dict:
    """Return every indexed report, newest first."""
    infos = library.reports(get_index())
    return {
        "total": len(infos),
        "reports": [report_summary(info) for info in reversed(infos)],
    }


def report_summary(info: ReportInfo) -> dict:
    """Return the facts of one report file with its links."""
    return {
        "id": info.id,
        "month": info.month,
        "month_label": month_label(info.month),
        "title": info.title,
        "file_name": info.source.rsplit("/", 1)[-1],
        "pages": info.pages,
        "sha256": info.sha256,
        "url": url_for("pages.report", rid=info.id),
        "file_url": url_for("pages.original_file", rid=info.id),
    }


def report_model(rid: str) -> dict | None:
    """Return one report's page, or None if no such report is indexed."""
    index = get_index()
    view = library.report_view(index, rid)
    if view is None:
        return None
    labels = library.wbs_labels(index)
    sections = [_section(doc, labels) for doc in view.sections]
    return {
        **report_summary(view.info),
        "previous": report_summary(view.previous) if view.previous else None,
        "next": report_summary(view.next) if view.next else None,
        "toc": _toc(sections, labels),
        "sections": sections,
        "milestones": [_milestone_row(doc) for doc in view.milestones],
        "warnings": list(view.report.warnings),
    }


def _section(doc: Doc, labels: dict[str, str]) -> dict:
    out = doc_model(doc)
    out["breadcrumb"] = [
        {**c, "url": path_url("pages.wbs", "code", c["code"])}
        for c in wbs_breadcrumb(doc.wbs, labels)
    ]
    out["milestone_table"] = doc.wbs is None and doc.title == MILESTONE_SUMMARY
    return out


def _milestone_row(doc: Doc) -> dict:
    return {
        "id": doc.milestone_id,
        "anchor": doc.id.partition("#")[2],
        "title": doc.title,
        "note": doc.text,
        "due": doc.due,
        "expected": doc.expected,
        "group": doc.group,
        "status": doc.status,
        "page": doc.page,
        "url": path_url("pages.milestone", "mid", doc.milestone_id),
        "file_url": file_url(doc.report, doc.source, doc.page),
        "references": [reference_model(k) for k in doc.references],
    }


def _toc(sections: list[dict], labels: dict[str, str]) -> list[dict]:
    """Group the sections by third-level WBS element, in the report's order."""
    groups: dict[str | None, dict] = {}
    for s in sections:
        code = wbs_ancestors(s["wbs"])[1] if s["wbs"] and s["wbs"].count(".") >= 2 else None
        group = groups.get(code)
        if group is None:
            group = groups[code] = {
                "code": code,
                "label": library.wbs_label(labels, code) if code else SUMMARY_GROUP,
                "url": url_for("pages.wbs", code=code) if code else None,
                "entries": [],
            }
        group["entries"].append(
            {
                "anchor": s["anchor"],
                "label": _toc_label(s, code),
                "part": s["part"],
                "part_label": part_label(s["part"]),
            }
        )
    return list(groups.values())


def _toc_label(section: dict, group: str | None) -> str:
    """Name a section in the contents: its element below the group, else its part or title."""
    if section["wbs"] and section["wbs"] != group:
        short = section["wbs"].removeprefix("1.")
        return f"{short} {section['wbs_title'] or ''}".strip()
    return part_label(section["part"]) if section["part"] else section["title"]
