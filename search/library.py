"""What the pages over time need from the index: reports, mentions, milestone and WBS history.

Every page is answered from the current generation's history store
(`search/history.py`), written at ingest, reading the rows of the keys it
shows: a report by id, a key's mentions, a milestone's rows, a WBS element's
sections of the months shown. No page parses more than the reports it shows.
Nothing here returns a Whoosh object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ingest.identifiers import kind_of, normalise_key, parent_document, url_of
from ingest.models import Report

from .facets import PART_LABELS, element_label
from .history import (
    CHANGES,
    MILESTONE_ORDERS,
    MILESTONE_SUMMARY_TITLE,
    PULLED_IN,
    SLIPPED,
    UNCHANGED,
    HistoryReader,
    Mention,
    MilestoneSummary,
    classify_change,
    milestone_entries,
)
from .indexer import Index
from .models import Doc, MilestoneEntry, ReportInfo
from .schema import (
    KIND_MILESTONE,
    wbs_ancestors,
)

__all__ = [
    "PART_LABELS",
    "DM_ROOT",
    "MILESTONE_ORDERS",
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
    "classify_change",
    "milestone_history",
    "milestone_count",
    "milestones",
    "iter_milestones",
    "report_months",
    "ref_history",
    "report_info",
    "report_view",
    "reports",
    "wbs_history",
    "wbs_label",
    "wbs_labels",
]

# The DM element every code hangs from, and its label (no report names it).
DM_ROOT = "1.02C"
ROOT_LABELS: dict[str, str] = {DM_ROOT: "Data Management"}


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
    """A WBS element month by month (the months asked for), with its ancestors and children."""

    code: str
    title: str
    ancestors: tuple[tuple[str, str], ...]
    children: tuple[tuple[str, str], ...]
    months: tuple[WbsMonth, ...]
    # Months with text under the element in all (`months` may be one page of them).
    month_count: int = 0
    # (month, sections) of every report with text under the element, oldest first:
    # its accomplishments, plans and recruitment, counted at ingest.
    counts: tuple[tuple[str | None, int], ...] = ()


def canonical_key(raw: str) -> str | None:
    """Return an identifier in canonical form (`dm_12305` -> `DM-12305`), or None."""
    return normalise_key(raw) if raw else None


def _store(index: Index) -> HistoryReader:
    return index.history()


def reports(index: Index) -> tuple[ReportInfo, ...]:
    """Return every indexed report, oldest month first."""
    return _store(index).reports()


def report_info(index: Index, report_id: str) -> ReportInfo | None:
    """Return one indexed report's file facts, or None."""
    return _store(index).report_info(report_id)


def report_view(index: Index, report_id: str) -> ReportView | None:
    """Return one report with its documents and the reports before and after it."""
    store = _store(index)
    info = store.report_info(report_id)
    report = store.report(report_id) if info else None
    if info is None or report is None:
        return None
    docs = store.docs(report_id)
    previous, following = store.neighbours(info)
    return ReportView(
        info=info,
        report=report,
        sections=tuple(d for d in docs if d.kind != KIND_MILESTONE),
        milestones=tuple(d for d in docs if d.kind == KIND_MILESTONE),
        previous=previous,
        next=following,
    )


def report_months(index: Index) -> tuple[str, ...]:
    """Return the months of the indexed reports, oldest first."""
    return _store(index).months()


def wbs_labels(index: Index) -> dict[str, str]:
    """Return {canonical WBS code: title}, the newest report's title winning.

    Cheap: one small table of the history store, written at ingest, read once per reader.
    """
    return _store(index).wbs_labels()


def wbs_label(labels: dict[str, str], code: str) -> str:
    """Return a code's title from the reports, else DM's guide, else after its named parent."""
    return element_label(labels, code, ROOT_LABELS)


def ref_history(index: Index, key: str) -> RefHistory | None:
    """Return every mention of an identifier (exact key), or None if no report names it."""
    store = _store(index)
    mentions = store.mentions(key) or _row_mentions(store, key)
    # LDM-503 is worth a page when only its milestones (LDM-503-2) are mentioned.
    related = store.keys_below(key)
    if not mentions and not related:
        return None
    kind = kind_of(key)
    return RefHistory(
        key=key,
        kind=kind,
        url=url_of(key, kind),
        document=parent_document(key),
        mentions=mentions,
        related=related,
    )


def milestone_history(index: Index, milestone_id: str) -> MilestoneHistory | None:
    """Return a milestone's due date in every report that listed it, or None if unknown.

    A milestone only mentioned in text (never in a milestone table) has no
    entries but its mentions.
    """
    store = _store(index)
    entries = milestone_entries(store.milestone_rows(milestone_id))
    mentions = store.mentions(milestone_id)
    if not entries and not mentions:
        return None
    title = entries[-1].title if entries else ""
    return MilestoneHistory(milestone_id, title, entries, mentions)


def milestones(
    index: Index, order: str = "id", start: int = 0, count: int | None = None
) -> tuple[MilestoneSummary, ...]:
    """Return the milestones any report's table listed, in an order of MILESTONE_ORDERS.

    `count` of them (all when None) from `start` on; ties in natural ID order.
    """
    return tuple(_store(index).milestones(order, start, count))


def iter_milestones(index: Index, order: str = "id") -> Iterator[MilestoneSummary]:
    """Yield every milestone in an order, a batch read at a time (for a streamed answer)."""
    return _store(index).iter_milestones(order)


def milestone_count(index: Index) -> int:
    """Return how many milestones the reports' tables list."""
    return _store(index).milestone_count()


def wbs_history(
    index: Index,
    code: str,
    order: str = "oldest",
    start: int = 0,
    count: int | None = None,
) -> WbsHistory | None:
    """Return what reports said under a WBS element and below it, or None if none did.

    months holds `count` months (all when None) from `start` on, in `order`
    (`oldest` or `newest` first); month_count says how many there are in all.
    Only the sections of the months returned (and of the month before each,
    for its plans) are read.
    """
    store = _store(index)
    counted = store.wbs_counts(code)
    listed = [report for _, report, _ in counted]
    if not listed:
        return None
    positions = list(range(len(listed)))
    if order == "newest":
        positions.reverse()
    chosen = positions[start : None if count is None else start + count]
    wanted = sorted({p for i in chosen for p in (i, i - 1) if p >= 0})
    docs = store.wbs_docs(code, [listed[p] for p in wanted])
    months = tuple(_wbs_month(listed, docs, i) for i in chosen)
    labels = wbs_labels(index)
    children = store.wbs_children(code)
    return WbsHistory(
        code=code,
        title=wbs_label(labels, code),
        ancestors=tuple((a, wbs_label(labels, a)) for a in wbs_ancestors(code)[:-1]),
        children=tuple((c, wbs_label(labels, c)) for c in children),
        months=months,
        month_count=len(listed),
        counts=tuple((sort or None, n) for sort, _, n in counted),
    )


def _wbs_month(listed: list[str], docs: dict[str, list[Doc]], i: int) -> WbsMonth:
    mine = docs[listed[i]]
    before = docs[listed[i - 1]] if i > 0 else None
    return WbsMonth(
        month=mine[0].month if mine else None,
        report=listed[i],
        accomplishments=tuple(d for d in mine if d.part == "accomplishments"),
        planned=tuple(d for d in mine if d.part == "planned"),
        recruitment=tuple(d for d in mine if d.part == "recruitment"),
        previous_month=before[0].month if before else None,
        previous_report=listed[i - 1] if i > 0 else None,
        previous_planned=tuple(d for d in before if d.part == "planned") if before else (),
    )


def _row_mentions(store: HistoryReader, milestone_id: str) -> tuple[Mention, ...]:
    # A milestone row is a mention even when the parser made no reference of it.
    return tuple(
        Mention(
            key=doc.milestone_id or "",
            kind=KIND_MILESTONE,
            month=info.month,
            report=info.id,
            doc_id=doc.id,
            section_title=MILESTONE_SUMMARY_TITLE,
            wbs=None,
            wbs_title=None,
            part=None,
            page=doc.page,
            context=f"{doc.milestone_id}: {doc.title} {doc.text}".strip(),
            source=info.source,
        )
        for doc, info in store.milestone_rows(milestone_id)
    )
