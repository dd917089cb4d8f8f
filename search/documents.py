"""Turn a parsed Report into index documents (plain dicts keyed by schema field)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from ingest.models import Milestone, Reference, Report, Section

from .schema import (
    KIND_MILESTONE,
    KIND_REPORT,
    KIND_SECTION,
    TOKEN_TEXT_RE,
    canonical_wbs,
)


def report_doc_id(report_id: str) -> str:
    """Return the id of a report's hidden metadata document."""
    return f"{report_id}#report"


def section_doc_id(report_id: str, section: Section) -> str:
    """Return `<report>#<wbs>/<part>` (or `<report>#<title slug>` for a top part)."""
    if section.wbs is None:
        return f"{report_id}#{slugify(section.title) or 'section'}"
    wbs = canonical_wbs(section.wbs) or section.wbs
    return f"{report_id}#{wbs}/{section.part}" if section.part else f"{report_id}#{wbs}"


def milestone_doc_id(report_id: str, milestone: Milestone) -> str:
    """Return `<report>#milestone/<ID>`."""
    return f"{report_id}#milestone/{milestone.id}"


def slugify(text: str) -> str:
    """Return lowercase ASCII letters and digits joined by single hyphens."""
    out = []
    for ch in text.lower():
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def report_docs(
    report: Report, report_id: str, head: bool = True, words: bool = True
) -> Iterator[dict]:
    """Yield the report's documents: sections, milestones, then (with head) its metadata doc.

    words=False leaves the metadata doc's `words` out, for an indexer that
    makes it from the tokens of the other documents' VOCABULARY_FIELDS
    (`vocabulary_of`) instead of tokenising every text a second time.
    """
    seen: dict[str, int] = {}
    common = _common_fields(report, report_id)
    refs = _section_references(report)
    order = 0
    for i, section in enumerate(report.sections):
        doc = _section_doc(section, refs[i])
        doc.update(common, doc_id=_unique(section_doc_id(report_id, section), seen), order=order)
        order += 1
        yield doc
    for milestone in report.milestones:
        doc = _milestone_doc(milestone)
        doc.update(
            common, doc_id=_unique(milestone_doc_id(report_id, milestone), seen), order=order
        )
        order += 1
        yield doc
    if head:
        yield _report_doc(report, report_id, common, words)


def _unique(doc_id: str, seen: dict[str, int]) -> str:
    # A report may repeat a heading; later copies get -2, -3...
    seen[doc_id] = seen.get(doc_id, 0) + 1
    return doc_id if seen[doc_id] == 1 else f"{doc_id}-{seen[doc_id]}"


def _common_fields(report: Report, report_id: str) -> dict:
    doc = {"report": report_id, "source": report.source, "sha256": report.sha256}
    if report.month:
        doc.update(month=report.month, year=report.month[:4])
    return doc


def _section_doc(section: Section, refs: list[Reference]) -> dict:
    keys = list(dict.fromkeys(r.key for r in refs))
    doc = {
        "kind": KIND_SECTION,
        "title": section.title,
        "text": section.text,
        "page": section.page,
        "ref_keys": keys,
        "refs": " ".join(keys),
        "ref_kinds": " ".join(sorted({r.kind for r in refs})),
    }
    wbs = canonical_wbs(section.wbs) if section.wbs else None
    if wbs:
        doc.update(wbs=wbs, wbs_code=wbs)
    if section.wbs_title:
        doc["wbs_title"] = section.wbs_title
    if section.part:
        doc["part"] = section.part
    return doc


def _milestone_doc(milestone: Milestone) -> dict:
    doc = {
        "kind": KIND_MILESTONE,
        "milestone_id": milestone.id,
        "title": milestone.title,
        "text": milestone.note,
        "page": milestone.page,
        "ref_keys": [milestone.id],
        "refs": milestone.id,
        "ref_kinds": "milestone",
        "expected": milestone.expected_completion,
        "group": milestone.group,
    }
    if milestone.due:
        doc["due"] = milestone.due
    if milestone.status:
        doc["status"] = milestone.status
    return doc


def _report_doc(report: Report, report_id: str, common: dict, words: bool) -> dict:
    labels = {}
    for section in report.sections:
        wbs = canonical_wbs(section.wbs) if section.wbs else None
        if wbs and section.wbs_title:
            labels[wbs] = section.wbs_title
    doc = {
        **common,
        "doc_id": report_doc_id(report_id),
        "kind": KIND_REPORT,
        "report_title": report.title,
        "pages": report.pages,
        "labels": json.dumps(labels, ensure_ascii=False),
    }
    if words:
        doc["words"] = vocabulary(report)
    return doc


# The fields of section and milestone documents whose texts make the vocabulary.
VOCABULARY_FIELDS = frozenset({"title", "wbs_title", "text"})


def vocabulary(report: Report) -> str:
    """Return each distinct token of the report's titles and texts once, in order."""
    texts = [t for s in report.sections for t in (s.title, s.wbs_title or "", s.text)]
    texts += [t for m in report.milestones for t in (m.title, m.note)]
    # One scan of all the texts: a token never spans the line break between two.
    return " ".join(dict.fromkeys(TOKEN_TEXT_RE.findall("\n".join(texts))))


def vocabulary_of(tokens: Iterable[tuple[str, str, str]]) -> str:
    """Each distinct token once, from the tokens (TOKEN_RE.findall) of a report's texts.

    The same tokens as `vocabulary` (the order aside, which the unpositioned
    `words` field does not keep).
    """
    return " ".join(dict.fromkeys(map("".join, tokens)))


def _section_references(report: Report) -> list[list[Reference]]:
    """Give each section the references the parser placed under its WBS and part.

    When several sections share a (wbs, part), or a reference names no WBS, it
    goes to the first of the candidate sections whose text quotes the key.
    """
    by_place: dict[tuple, list[int]] = {}
    for i, section in enumerate(report.sections):
        by_place.setdefault(_place(section.wbs, section.part), []).append(i)
    out: list[list[Reference]] = [[] for _ in report.sections]
    everywhere = range(len(report.sections))
    folded = [section.text.casefold() for section in report.sections]
    for ref in report.references:
        candidates = by_place.get(_place(ref.wbs, ref.part), [])
        quoting = [i for i in candidates or everywhere if _quotes(folded[i], ref.key)]
        chosen = quoting[:1] or candidates[:1]
        for i in chosen:
            out[i].append(ref)
    return out


def _place(wbs: str | None, part: str | None) -> tuple:
    return (canonical_wbs(wbs) if wbs else None, part)


def _quotes(text: str, key: str) -> bool:
    """True when a section's text (casefolded) quotes the key."""
    return key.casefold() in text or key.casefold().replace("-", "_", 1) in text


def stored_common(fields: dict) -> dict:
    """The stored fields every hit and document carries, named as the models name them."""
    return {
        "id": fields["doc_id"],
        "kind": fields["kind"],
        "report": fields["report"],
        "month": fields.get("month"),
        "wbs": fields.get("wbs_code"),
        "wbs_title": fields.get("wbs_title"),
        "part": fields.get("part"),
        "title": fields.get("title", ""),
        "page": fields.get("page"),
        "source": fields["source"],
        "references": tuple(fields.get("ref_keys") or ()),
        "milestone_id": fields.get("milestone_id"),
        "due": fields.get("due"),
        "group": fields.get("group"),
        "status": fields.get("status"),
    }
