"""Facet filters and counts.

Several values of one facet combine with OR, different facets with AND. Each
facet is counted over the documents matching the query and every other
facet's selection but not its own, so choosing October still shows the other
months' counts. Counting is set arithmetic: one document set per facet
(shared by every facet with nothing selected) intersected with each value's
posting set, which is read once per index generation and cached.
"""

from __future__ import annotations

import calendar
import json
from functools import lru_cache

import numpy as np

from ingest.models import PARTS, REF_KINDS
from ingest.wbs import GUIDE_NAMES

from .codec import read_postings
from .engine import Matcher, arrays_for
from .indexer import Snapshot
from .models import FACETS, Facet, FacetValue, SearchRequest
from .schema import KIND_REPORT, SEARCH_KINDS, canonical_wbs, wbs_ancestors, wbs_depth

# The index field behind each facet.
FACET_FIELDS: dict[str, str] = {
    "wbs": "wbs",
    "month": "month",
    "year": "year",
    "part": "part",
    "ref_kind": "ref_kinds",
    "kind": "kind",
}
FACET_LABELS: dict[str, str] = {
    "wbs": "WBS",
    "month": "Month",
    "year": "Year",
    "part": "Part",
    "ref_kind": "Reference kind",
    "kind": "Kind",
}
PART_LABELS: dict[str, str] = {
    "accomplishments": "Current accomplishments",
    "planned": "Planned activities",
    "recruitment": "Recruitment update",
}
REF_KIND_LABELS: dict[str, str] = {
    "jira": "JIRA ticket",
    "milestone": "Milestone",
    "document": "Document",
    "technote": "Technote",
}
KIND_LABELS: dict[str, str] = {"section": "Section", "milestone": "Milestone"}
# The WBS facet lists this level, and the children of each selected element.
WBS_FACET_LEVEL = 3

# Values never offered as facets: the hidden per-report documents' kind.
_SKIPPED = frozenset({KIND_REPORT})


def facet_mask(matcher: Matcher, name: str, values: tuple[str, ...]) -> np.ndarray | None:
    """Return the mask of one facet's selected values (OR), or None if none is selected."""
    if not values:
        return None
    mask = np.zeros(matcher.arrays.size, dtype=bool)
    for value in values:
        mask |= matcher.term_mask(FACET_FIELDS[name], value.lower())
    return mask


def count_facets(
    snap: Snapshot,
    matcher: Matcher,
    text_mask: np.ndarray,
    filters: dict[str, np.ndarray | None],
    main: np.ndarray,
    request: SearchRequest,
) -> dict[str, Facet]:
    """Count every facet's values under the query and every other facet's selection."""
    facets = {}
    main_docs = np.flatnonzero(main)  # shared by every facet counted under the main mask
    for name in FACETS:
        if filters[name] is None:
            mask, matched = main, main_docs
        else:
            mask = text_mask.copy()
            for other, f in filters.items():
                if other != name and f is not None:
                    mask &= f
            matched = np.flatnonzero(mask)
        counts = matcher.facet(FACET_FIELDS[name], skip=_SKIPPED).counts(mask, matched)
        selected = request.selected(name)
        if name == "wbs":
            values = _wbs_values(counts, selected, wbs_labels(snap))
        else:
            values = _flat_values(name, counts, selected)
        facets[name] = Facet(name, FACET_LABELS[name], tuple(values))
    return facets


def _flat_values(name: str, counts: dict[str, int], selected: tuple[str, ...]) -> list[FacetValue]:
    values = {v for v, n in counts.items() if n} | set(selected)
    if name in ("month", "year"):
        ordered = sorted(values, reverse=True)
    else:
        known = {"part": PARTS, "ref_kind": REF_KINDS, "kind": SEARCH_KINDS}[name]
        ordered = sorted(values, key=lambda v: (known.index(v) if v in known else len(known), v))
    return [FacetValue(v, _label(name, v), counts.get(v, 0), v in selected) for v in ordered]


# English month names, fixed (calendar.month_name formats them anew on every lookup).
MONTH_NAMES = tuple(calendar.month_name)


@lru_cache(maxsize=20_000)
def _label(name: str, value: str) -> str:
    if name == "month":
        year, month = value.split("-")
        return f"{MONTH_NAMES[int(month)]} {year}"
    labels = {"part": PART_LABELS, "ref_kind": REF_KIND_LABELS, "kind": KIND_LABELS}
    return labels.get(name, {}).get(value, value)


def _wbs_values(
    counts: dict[str, int], selected: tuple[str, ...], labels: dict[str, str]
) -> list[FacetValue]:
    counts = {canonical_wbs(term): n for term, n in counts.items() if n}
    expanded = {
        a for code in selected for a in wbs_ancestors(code) if wbs_depth(a) >= WBS_FACET_LEVEL
    }
    out: list[FacetValue] = []

    def add_level(parent: str | None, depth: int) -> None:
        codes = {c for c in counts.keys() | expanded if wbs_depth(c) == depth}
        if parent is not None:
            codes = {c for c in codes if c.startswith(parent + ".")}
        for code in sorted(codes):
            label = labels.get(code) or GUIDE_NAMES.get(code) or code
            out.append(FacetValue(code, label, counts.get(code, 0), code in selected, parent))
            if code in expanded:
                add_level(code, depth + 1)

    add_level(None, WBS_FACET_LEVEL)
    # An element above the facet's level (`1.02C`) is listed on its own, first.
    above = [
        FacetValue(c, labels.get(c, c), counts.get(c, 0), True)
        for c in selected
        if c not in expanded
    ]
    return above + out


def wbs_labels(snap: Snapshot) -> dict[str, str]:
    """Return {canonical WBS code: title}, the newest report's title winning.

    Each segment's report labels are read once and kept while the segment is
    (a new generation reads only its new segments' reports).
    """
    if "wbs_labels" not in snap.cache:
        arrays = arrays_for(snap.searcher, snap.cache)
        reports = []
        for (_, offset), found in zip(
            arrays.segments, arrays.by_segment("wbs labels", _segment_labels), strict=True
        ):
            reports += [
                (month, labels) for docnum, month, labels in found if arrays.live[offset + docnum]
            ]
        merged: dict[str, str] = {}
        for _, labels in sorted(reports, key=lambda report: report[0]):
            merged.update(labels)
        snap.cache["wbs_labels"] = merged
    return snap.cache["wbs_labels"]


def _segment_labels(segment) -> list[tuple[int, str, dict[str, str]]]:
    """(document number, month, WBS labels) of each report document of one segment."""
    docs = read_postings(segment, "kind", KIND_REPORT)[0].tolist()
    out = []
    for docnum in docs:
        fields = segment.stored_fields(docnum)
        out.append((docnum, fields.get("month") or "", json.loads(fields.get("labels") or "{}")))
    return out
