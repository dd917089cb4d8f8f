"""What the pages over time need from the index: reports, mentions, milestone and WBS history.

Everything here is read from the stored fields of one index generation and
derived once per generation (cached in the snapshot's cache), so a page costs
a dictionary lookup after the first request. Nothing here returns a Whoosh
object.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ingest.models import Reference, Report
from ingest.references import find_identifiers, kind_of, normalise_key, parent_document, url_of
from ingest.wbs import GUIDE_NAMES

from .documents import _section_references, stored_common
from .facets import PART_LABELS
from .facets import wbs_labels as _wbs_labels
from .indexer import Index, Snapshot
from .models import Doc, MilestoneEntry, ReportInfo
from .schema import (
    KIND_MILESTONE,
    KIND_REPORT,
    KIND_SECTION,
    canonical_wbs,
    wbs_ancestors,
    wbs_depth,
)

__all__ = [
    "PART_LABELS",
    "DM_ROOT",
    "Catalog",
    "MilestoneHistory",
    "MilestoneSummary",
    "Mention",
    "RefHistory",
    "ReportView",
    "WbsHistory",
    "WbsMonth",
    "CHANGES",
    "PULLED_IN",
    "SLIPPED",
    "UNCHANGED",
    "canonical_key",
    "canonical_wbs",
    "classify_change",
    "find_identifiers",
    "kind_of",
    "milestone_history",
    "milestones",
    "parent_document",
    "ref_history",
    "report_view",
    "reports",
    "url_of",
    "wbs_ancestors",
    "wbs_depth",
    "wbs_history",
    "wbs_label",
    "wbs_labels",
]

_CACHE_KEY = ("library", "catalog")
# The DM element every code hangs from, and its label (no report names it).
DM_ROOT = "1.02C"
ROOT_LABELS: dict[str, str] = {DM_ROOT: "Data Management"}
# How a milestone's due date changed from one report listing it to the next.
SLIPPED = "slipped"
PULLED_IN = "pulled in"
UNCHANGED = "unchanged"
CHANGES: tuple[str, ...] = (SLIPPED, PULLED_IN, UNCHANGED)


def classify_change(previous_due: str | None, due: str | None) -> tuple[str, int]:
    """Return how a due date moved and by how many days (later is positive).

    `("slipped", 61)` when it moved later, `("pulled in", -61)` when earlier,
    `("unchanged", 0)` when it stayed or either date is missing or no date.
    """
    before, after = _iso_day(previous_due), _iso_day(due)
    if before is None or after is None or before == after:
        return UNCHANGED, 0
    shift = (after - before).days
    return (SLIPPED if shift > 0 else PULLED_IN), shift


def _iso_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Mention:
    """One mention of an identifier in one report: its sentence and where it stands."""

    key: str
    kind: str
    month: str | None
    report: str
    doc_id: str | None
    section_title: str | None
    wbs: str | None
    wbs_title: str | None
    part: str | None
    page: int | None
    context: str


@dataclass(frozen=True)
class RefHistory:
    """Every mention of an identifier across the indexed reports, oldest first."""

    key: str
    kind: str
    url: str
    document: str | None
    mentions: tuple[Mention, ...]
    related: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        """Return the months with a mention, oldest first."""
        return tuple(dict.fromkeys(m.month for m in self.mentions if m.month))


@dataclass(frozen=True)
class MilestoneHistory:
    """A milestone as every report listed it, oldest first; each change named."""

    id: str
    title: str
    entries: tuple[MilestoneEntry, ...]
    mentions: tuple[Mention, ...]

    @property
    def slips(self) -> int:
        """Return how many times the due date moved later."""
        return sum(1 for e in self.entries if e.change == SLIPPED)

    @property
    def pull_ins(self) -> int:
        """Return how many times the due date moved earlier."""
        return sum(1 for e in self.entries if e.change == PULLED_IN)

    @property
    def slip_days(self) -> int:
        """Return the total slip in days: every change summed (a pull-in counts negative)."""
        return sum(e.shift_days for e in self.entries)


@dataclass(frozen=True)
class MilestoneSummary:
    """One milestone in the overview: its latest listing, its slips and pull-ins.

    slip_days is the total slip in days, every change summed (a pull-in counts
    negative), so it is the latest due date minus the first listed one.
    """

    id: str
    title: str
    group: str | None
    status: str | None
    latest_due: str | None
    expected: str | None
    first_month: str | None
    last_month: str | None
    reports: int
    slips: int
    pull_ins: int = 0
    slip_days: int = 0


@dataclass(frozen=True)
class ReportView:
    """One report with its stored documents and its neighbours in time."""

    info: ReportInfo
    report: Report
    sections: tuple[Doc, ...]
    milestones: tuple[Doc, ...]
    previous: ReportInfo | None
    next: ReportInfo | None


@dataclass(frozen=True)
class WbsMonth:
    """What one report said under a WBS element (and its descendants)."""

    month: str | None
    report: str
    accomplishments: tuple[Doc, ...]
    planned: tuple[Doc, ...]
    recruitment: tuple[Doc, ...]
    previous_month: str | None
    previous_report: str | None
    previous_planned: tuple[Doc, ...]


@dataclass(frozen=True)
class WbsHistory:
    """A WBS element month by month, with its ancestors and children."""

    code: str
    title: str
    ancestors: tuple[tuple[str, str], ...]
    children: tuple[tuple[str, str], ...]
    months: tuple[WbsMonth, ...]


@dataclass(frozen=True)
class _Entry:
    info: ReportInfo
    report: Report
    sections: tuple[Doc, ...]
    milestones: tuple[Doc, ...]
    mentions: tuple[Mention, ...]


@dataclass(frozen=True)
class Catalog:
    """Every indexed report with its documents, oldest month first (built once a generation)."""

    entries: tuple[_Entry, ...]
    labels: dict[str, str]

    def entry(self, report_id: str) -> _Entry | None:
        """Return one report's entry, or None."""
        for entry in self.entries:
            if entry.info.id == report_id:
                return entry
        return None


def canonical_key(raw: str) -> str | None:
    """Return an identifier in canonical form (`dm_12305` -> `DM-12305`), or None."""
    return normalise_key(raw) if raw and len(raw) <= 40 else None


def catalog(index: Index) -> Catalog:
    """Return the catalog of the index's current generation."""
    with index.reading() as snap:
        return _catalog(snap)


def reports(index: Index) -> tuple[ReportInfo, ...]:
    """Return every indexed report, oldest month first."""
    return tuple(e.info for e in catalog(index).entries)


def report_info(index: Index, report_id: str) -> ReportInfo | None:
    """Return one indexed report's file facts, or None."""
    entry = catalog(index).entry(report_id)
    return entry.info if entry else None


def report_view(index: Index, report_id: str) -> ReportView | None:
    """Return one report with its documents and the reports before and after it."""
    cat = catalog(index)
    infos = [e.info for e in cat.entries]
    for i, entry in enumerate(cat.entries):
        if entry.info.id == report_id:
            return ReportView(
                info=entry.info,
                report=entry.report,
                sections=entry.sections,
                milestones=entry.milestones,
                previous=infos[i - 1] if i > 0 else None,
                next=infos[i + 1] if i + 1 < len(infos) else None,
            )
    return None


def wbs_labels(index: Index) -> dict[str, str]:
    """Return {canonical WBS code: title}, the newest report's title winning.

    Cheap: read from the reports' small label fields, without parsing any report.
    """
    with index.reading() as snap:
        return _wbs_labels(snap)


def wbs_label(labels: dict[str, str], code: str) -> str:
    """Return a code's title from the reports, else DM's guide, else the code itself."""
    return labels.get(code) or GUIDE_NAMES.get(code) or ROOT_LABELS.get(code) or code


def ref_history(index: Index, key: str) -> RefHistory | None:
    """Return every mention of an identifier (exact key), or None if no report names it."""
    cat = catalog(index)
    found = tuple(m for e in cat.entries for m in e.mentions if m.key == key)
    mentions = found or _milestone_mentions(cat, key)
    # LDM-503 is worth a page when only its milestones (LDM-503-2) are mentioned.
    related = sorted(
        {m.key for e in cat.entries for m in e.mentions if m.key.startswith(key + "-")}
    )
    if not mentions and not related:
        return None
    kind = kind_of(key)
    return RefHistory(
        key=key,
        kind=kind,
        url=url_of(key, kind),
        document=parent_document(key),
        mentions=mentions,
        related=tuple(related),
    )


def milestone_history(index: Index, milestone_id: str) -> MilestoneHistory | None:
    """Return a milestone's due date in every report that listed it, or None if unknown.

    A milestone only mentioned in text (never in a milestone table) has no
    entries but its mentions.
    """
    cat = catalog(index)
    entries = _milestone_entries(cat, milestone_id)
    mentions = tuple(m for e in cat.entries for m in e.mentions if m.key == milestone_id)
    if not entries and not mentions:
        return None
    title = entries[-1].title if entries else ""
    return MilestoneHistory(milestone_id, title, entries, mentions)


def milestones(index: Index) -> tuple[MilestoneSummary, ...]:
    """Return every milestone any report's table listed, by ID."""
    cat = catalog(index)
    ids = sorted(
        {d.milestone_id for e in cat.entries for d in e.milestones if d.milestone_id},
        key=_natural,
    )
    out = []
    for milestone_id in ids:
        entries = _milestone_entries(cat, milestone_id)
        last = entries[-1]
        out.append(
            MilestoneSummary(
                id=milestone_id,
                title=last.title,
                group=last.group,
                status=last.status,
                latest_due=last.due,
                expected=last.expected,
                first_month=entries[0].month,
                last_month=last.month,
                reports=len(entries),
                slips=sum(1 for e in entries if e.change == SLIPPED),
                pull_ins=sum(1 for e in entries if e.change == PULLED_IN),
                slip_days=sum(e.shift_days for e in entries),
            )
        )
    return tuple(out)


def wbs_history(index: Index, code: str) -> WbsHistory | None:
    """Return what every report said under a WBS element and below it, or None if none did."""
    cat = catalog(index)
    months: list[WbsMonth] = []
    children: set[str] = set()
    depth = wbs_depth(code)
    for entry in cat.entries:
        docs = [d for d in entry.sections if d.wbs and _within(d.wbs, code)]
        if not docs:
            continue
        children.update(wbs_ancestors(d.wbs)[depth - 1] for d in docs if wbs_depth(d.wbs) > depth)
        previous = months[-1] if months else None
        months.append(
            WbsMonth(
                month=entry.info.month,
                report=entry.info.id,
                accomplishments=tuple(d for d in docs if d.part == "accomplishments"),
                planned=tuple(d for d in docs if d.part == "planned"),
                recruitment=tuple(d for d in docs if d.part == "recruitment"),
                previous_month=previous.month if previous else None,
                previous_report=previous.report if previous else None,
                previous_planned=previous.planned if previous else (),
            )
        )
    if not months:
        return None
    labels = cat.labels
    return WbsHistory(
        code=code,
        title=wbs_label(labels, code),
        ancestors=tuple((a, wbs_label(labels, a)) for a in wbs_ancestors(code)[:-1]),
        children=tuple((c, wbs_label(labels, c)) for c in sorted(children)),
        months=tuple(months),
    )


def _within(wbs: str, code: str) -> bool:
    return wbs == code or wbs.startswith(code + ".")


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in text.replace("-", " ").split())


def _milestone_entries(cat: Catalog, milestone_id: str) -> tuple[MilestoneEntry, ...]:
    out: list[MilestoneEntry] = []
    last_due: str | None = None
    for entry in cat.entries:
        doc = next((d for d in entry.milestones if d.milestone_id == milestone_id), None)
        if doc is None:
            continue
        change, shift = classify_change(last_due, doc.due)
        out.append(
            MilestoneEntry(
                month=entry.info.month,
                report=entry.info.id,
                milestone_id=milestone_id,
                title=doc.title,
                due=doc.due,
                expected=doc.expected,
                status=doc.status,
                group=doc.group,
                note=doc.text,
                slipped=change == SLIPPED,
                change=change,
                shift_days=shift,
            )
        )
        last_due = doc.due or last_due
    return tuple(out)


def _milestone_mentions(cat: Catalog, milestone_id: str) -> tuple[Mention, ...]:
    # A milestone row is a mention even when the parser made no reference of it.
    out = []
    for entry in cat.entries:
        for doc in entry.milestones:
            if doc.milestone_id == milestone_id:
                out.append(_row_mention(entry.info, doc))
    return tuple(out)


def _row_mention(info: ReportInfo, doc: Doc) -> Mention:
    return Mention(
        key=doc.milestone_id or "",
        kind=KIND_MILESTONE,
        month=info.month,
        report=info.id,
        doc_id=doc.id,
        section_title="Milestone Summary",
        wbs=None,
        wbs_title=None,
        part=None,
        page=doc.page,
        context=f"{doc.milestone_id}: {doc.title} {doc.text}".strip(),
    )


def _catalog(snap: Snapshot) -> Catalog:
    cached = snap.cache.get(_CACHE_KEY)
    if cached is None:
        docs: dict[str, list[dict]] = {}
        heads = []
        for fields in snap.searcher.documents():
            if fields.get("kind") == KIND_REPORT:
                heads.append(fields)
            else:
                docs.setdefault(fields["report"], []).append(fields)
        entries = [_entry(head, docs.get(head["report"], [])) for head in heads]
        entries.sort(key=lambda e: (e.info.month or "", e.info.id))
        cached = Catalog(tuple(entries), dict(_wbs_labels(snap)))
        snap.cache[_CACHE_KEY] = cached
    return cached


def _entry(head: dict, stored: list[dict]) -> _Entry:
    report = Report.from_dict(json.loads(head["report_json"]))
    info = ReportInfo(
        id=head["report"],
        month=head.get("month"),
        title=head.get("report_title") or report.title,
        source=head["source"],
        sha256=head["sha256"],
        pages=head.get("pages") or report.pages,
    )
    stored = sorted(stored, key=lambda f: f.get("order", 0))
    sections = tuple(_doc(f) for f in stored if f.get("kind") == KIND_SECTION)
    rows = tuple(_doc(f) for f in stored if f.get("kind") == KIND_MILESTONE)
    return _Entry(info, report, sections, rows, tuple(_mentions(info, report, sections, rows)))


def _doc(fields: dict) -> Doc:
    return Doc(
        **stored_common(fields),
        text=fields.get("text", ""),
        expected=fields.get("expected"),
    )


def _mentions(
    info: ReportInfo, report: Report, sections: tuple[Doc, ...], rows: tuple[Doc, ...]
) -> Iterable[Mention]:
    # Stored sections keep the report's order, so section i is report.sections[i].
    placed = _section_references(report)
    if len(placed) != len(sections):
        placed = [[] for _ in sections]
    where: dict[int, Doc] = {}
    for doc, refs in zip(sections, placed, strict=True):
        for ref in refs:
            where[id(ref)] = doc
    row_of = {d.milestone_id: d for d in rows}
    for ref in report.references:
        doc = where.get(id(ref))
        if ref.wbs is None and ref.key in row_of and ref.context.startswith(ref.key + ":"):
            doc = row_of[ref.key]
        yield _mention(info, ref, doc)


def _mention(info: ReportInfo, ref: Reference, doc: Doc | None) -> Mention:
    wbs = canonical_wbs(ref.wbs) if ref.wbs else None
    mention = Mention(
        key=ref.key,
        kind=ref.kind,
        month=info.month,
        report=info.id,
        doc_id=doc.id if doc else None,
        section_title=None,
        wbs=wbs,
        wbs_title=None,
        part=ref.part,
        page=ref.page,
        context=ref.context,
    )
    if doc is None:
        return mention
    if doc.kind == KIND_MILESTONE:
        return replace(mention, section_title="Milestone Summary")
    return replace(
        mention,
        section_title=doc.title,
        wbs=doc.wbs or wbs,
        wbs_title=doc.wbs_title,
        part=doc.part or ref.part,
    )
