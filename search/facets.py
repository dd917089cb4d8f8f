"""Facet filters and counts.

Several values of one facet combine with OR, different facets with AND. Each
facet is counted over the documents matching the query and every other
facet's selection but not its own, so choosing October still shows the other
months' counts.

Years and months are one facet, time, with one rule: a selected year selects
its months, and a month selected inside a selected year narrows the year to
it (year=2017&month=2017-06 is June 2017; year=2017&month=2016-12 is all of
2017 and December 2016). Both are counted without the time selection, so a
year's count is the sum of its months' and each count says what choosing it
gives. A month range (`from`, `to`) is a filter of its own.

Counting is set arithmetic: one document set per facet (shared by every facet
with nothing selected) intersected with each value's posting set, which is
read once per index generation and cached.
"""

from __future__ import annotations

import calendar
import json
from functools import lru_cache
from itertools import repeat
from operator import is_

import numpy as np

from ingest.models import PARTS, REF_KINDS
from ingest.references import kind_of, normalise_key
from ingest.wbs import GUIDE_NAMES

from .codec import read_postings, report_labels
from .engine import FacetArrays, Matcher, arrays_for, warm
from .indexer import Snapshot
from .models import FACETS, Facet, FacetValue, ReferenceCount, SearchRequest, unselected_values
from .schema import (
    DEFAULT_FIELDS,
    KIND_REPORT,
    SEARCH_KINDS,
    canonical_key,
    canonical_wbs,
    key_parents,
    wbs_ancestors,
    wbs_depth,
)

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
# Facets sharing one selection: each is counted without the whole group's filter.
FACET_GROUPS: dict[str, str] = {"month": "time", "year": "time"}
# The month range filter's group (set by `from` / `to`).
RANGE_GROUP = "range"


def facet_group(name: str) -> str:
    """Return the filter group a facet belongs to (its own name, or "time")."""
    return FACET_GROUPS.get(name, name)


def time_selection(months: tuple[str, ...], years: tuple[str, ...]) -> tuple[str, ...]:
    """Return the months and whole years a time selection stands for.

    A month inside a selected year narrows that year; a selected year with no
    month of its own selected stands whole.
    """
    narrowed = {m[:4] for m in months if m[:4] in years}
    return (*months, *(y for y in years if y not in narrowed))


def filter_masks(matcher: Matcher, request: SearchRequest) -> dict[str, np.ndarray | None]:
    """Return each filter group's mask (None where nothing is selected)."""
    out: dict[str, np.ndarray | None] = {}
    for name in FACETS:
        group = facet_group(name)
        if group == "time":
            if group not in out:
                out[group] = time_mask(matcher, request.month, request.year)
        else:
            out[group] = facet_mask(matcher, name, request.selected(name))
    out[RANGE_GROUP] = range_mask(matcher, request.month_from, request.month_to)
    return out


def time_mask(
    matcher: Matcher, months: tuple[str, ...], years: tuple[str, ...]
) -> np.ndarray | None:
    """Return the mask of a time selection (months and whole years, OR), or None."""
    values = time_selection(months, years)
    if not values:
        return None
    mask = np.zeros(matcher.arrays.size, dtype=bool)
    for value in values:
        mask |= matcher.term_mask("month" if len(value) == 7 else "year", value)
    return mask


def range_mask(matcher: Matcher, first: str | None, last: str | None) -> np.ndarray | None:
    """Return the mask of the months from first to last (either end open), or None."""
    if not first and not last:
        return None
    mask = np.zeros(matcher.arrays.size, dtype=bool)
    for month in matcher.facet("month").values:
        if (not first or month >= first) and (not last or month <= last):
            mask |= matcher.term_mask("month", month)
    return mask


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
        group = facet_group(name)
        if filters[group] is None:
            mask, matched = main, main_docs
        else:
            mask = text_mask.copy()
            for other, f in filters.items():
                if other != group and f is not None:
                    mask &= f
            matched = np.flatnonzero(mask)
        arrays = matcher.facet(FACET_FIELDS[name], skip=_SKIPPED)
        selected = request.selected(name)
        if name == "wbs":
            values = _wbs_values(arrays.counts(mask, matched), selected, wbs_labels(snap))
        elif not selected:
            values = _listed(name, arrays, *arrays.counted(mask, matched))
        else:
            values = _flat_values(name, arrays.counts(mask, matched), selected)
        facets[name] = Facet(name, FACET_LABELS[name], tuple(values), len(matched))
    return facets


def _listed(name: str, arrays: FacetArrays, at: np.ndarray, counts: np.ndarray) -> list[FacetValue]:
    """A facet's counted values with none selected, in `_flat_values`' order (labels made once)."""
    found = arrays.derived.get(name)
    if found is None:
        values = arrays.values
        known = {"part": PARTS, "ref_kind": REF_KINDS, "kind": SEARCH_KINDS}.get(name)
        if known is None:  # months and years: newest first
            rank = np.argsort(np.argsort(values)[::-1])
        else:
            order = sorted(range(len(values)), key=lambda i: _known_order(known, values[i]))
            rank = np.argsort(order)
        found = arrays.derived[name] = (rank, [_label(name, v) for v in values], {})
    rank, labels, made = found
    values = arrays.values
    order = np.argsort(rank[at], kind="stable")
    if len(made) > _MADE_VALUES:  # replaced, never cleared: another search may be reading it
        made = {}
        arrays.derived[name] = (rank, labels, made)
    at, counts = at[order], counts[order]
    # Values are immutable: one per (value, count) in a generation, looked up by
    # one number (value index and count); those not made yet are made in one go.
    keys = (at.astype(np.int64) << 32 | counts).tolist()
    out = list(map(made.get, keys))
    if any(map(is_, out, repeat(None))):
        known = np.fromiter(map(made.__contains__, keys), dtype=bool, count=len(keys))
        missing = np.flatnonzero(~known)
        indices = at[missing].tolist()
        new = unselected_values(
            list(map(values.__getitem__, indices)),
            list(map(labels.__getitem__, indices)),
            counts[missing].tolist(),
        )
        made.update(zip(map(keys.__getitem__, missing.tolist()), new, strict=True))
        out = list(map(made.__getitem__, keys))
    return out


# FacetValues a facet keeps for reuse (by value and count) in one generation.
_MADE_VALUES = 200_000


def _known_order(known: tuple[str, ...], value: str) -> tuple[int, str]:
    return (known.index(value) if value in known else len(known), value)


def _flat_values(name: str, counts: dict[str, int], selected: tuple[str, ...]) -> list[FacetValue]:
    values = {v for v, n in counts.items() if n} | set(selected)
    if name in ("month", "year"):
        ordered = sorted(values, reverse=True)
    else:
        known = {"part": PARTS, "ref_kind": REF_KINDS, "kind": SEARCH_KINDS}[name]
        ordered = sorted(values, key=lambda v: _known_order(known, v))
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
            label = element_label(labels, code)
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


def element_label(labels: dict[str, str], code: str, roots: dict[str, str] | None = None) -> str:
    """Return a WBS code's name: its title in the reports, else DM's guide's name for it.

    An element no report titles and the guide does not name (`1.02C.06.01`)
    is named after the nearest ancestor that has a name, with its own number
    (`Science Data Archive & Application Services: .01`); the code itself only
    when no ancestor has a name.
    """
    roots = roots or {}
    own = labels.get(code) or GUIDE_NAMES.get(code) or roots.get(code)
    if own:
        return own
    for ancestor in reversed(wbs_ancestors(code)[:-1]):
        named = labels.get(ancestor) or GUIDE_NAMES.get(ancestor) or roots.get(ancestor)
        if named:
            return f"{named}: {code[len(ancestor) :]}"
    return code


def warm_snapshot(snap: Snapshot) -> None:
    """Build what every search of a generation reads: arrays, facets, WBS labels, lengths."""
    facet_fields = [(FACET_FIELDS[name], _SKIPPED) for name in FACETS]
    scored = [name for name in DEFAULT_FIELDS if snap.searcher.schema[name].scorable]
    warm(snap.searcher, snap.cache, facet_fields, lengths=scored, sort_fields=("month",))
    wbs_labels(snap)


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
    """(document number, month, WBS labels) of each report document of one segment.

    From the segment's arrays file, which keeps them; else (a file written before
    it did) from each report document's stored fields.
    """
    found = report_labels(segment)
    if found is not None:
        return found
    return stored_labels(segment)


def stored_labels(segment) -> list[tuple[int, str, dict[str, str]]]:
    """`_segment_labels` read from each report document's stored fields."""
    docs = read_postings(segment, "kind", KIND_REPORT)[0].tolist()
    out = []
    # Reports of one era list the same headings: each distinct labels text is parsed once
    # (the dicts are shared, never changed).
    parsed: dict[str, dict[str, str]] = {}
    for docnum in docs:
        fields = segment.stored_fields(docnum)
        text = fields.get("labels") or "{}"
        labels = parsed.get(text)
        if labels is None:
            labels = parsed[text] = json.loads(text)
        out.append((docnum, fields.get("month") or "", labels))
    return out


# The arrays of the identifiers each document cites (cached per generation).
_CITED = "refs:cited"


def cited_keys(matcher: Matcher) -> FacetArrays:
    """Return, per identifier, the documents that cite it themselves.

    The `refs` field also indexes a key's parents (LDM-503 for LDM-503-2), each
    cited key once, so a document cites a key exactly when the key's term
    frequency exceeds the number of its descendants the document cites.
    Deepest keys are worked out first.
    """
    found = matcher.arrays.facets.get(_CITED)
    if found is not None:
        return found
    terms = [t for t in matcher.reader.field_terms("refs")]
    known = set(terms)
    descendants: dict[str, list[str]] = {}
    for term in terms:
        for parent in key_parents(term):
            if parent in known:
                descendants.setdefault(parent, []).append(term)
    cited: dict[str, np.ndarray] = {}
    for term in sorted(terms, key=lambda t: -t.count("-")):
        ids, weights = matcher.postings("refs", term)
        below = [cited[d] for d in descendants.get(term, ()) if len(cited[d])]
        if below:
            uniq, n = np.unique(np.concatenate(below), return_counts=True)
            at = np.clip(np.searchsorted(uniq, ids), 0, len(uniq) - 1)
            extra = np.where(uniq[at] == ids, n[at], 0)
            ids = ids[weights > extra]
        cited[term] = ids
    values = [t for t in terms if len(cited[t])]
    found = FacetArrays.of(values, [cited[t] for t in values], matcher.arrays.size)
    matcher.arrays.facets[_CITED] = found
    return found


def reference_counts(matcher: Matcher, mask: np.ndarray) -> list[ReferenceCount]:
    """Return every identifier the masked documents cite, with counts and first/last month."""
    arrays = cited_keys(matcher)
    if not arrays.values:
        return []
    counts = arrays.counts(mask, np.flatnonzero(mask))
    if not counts:
        return []
    size = len(arrays.values)
    lengths = np.diff(np.append(arrays.starts, len(arrays.pair_doc)))
    pair_value = np.repeat(np.arange(size), lengths)
    chosen = mask[arrays.pair_doc]
    docs, values = arrays.pair_doc[chosen], pair_value[chosen]
    ranks = matcher.sort_key("month")[docs]
    dated = ranks >= 0
    low = np.full(size, np.iinfo(np.int64).max)
    high = np.full(size, -1)
    np.minimum.at(low, values[dated], ranks[dated])
    np.maximum.at(high, values[dated], ranks[dated])
    months = month_terms(matcher)
    index = {v: i for i, v in enumerate(arrays.values)}
    out = []
    for key, n in counts.items():
        i = index[key]
        first = months[low[i]] if high[i] >= 0 else None
        last = months[high[i]] if high[i] >= 0 else None
        shown = _display_key(key)
        out.append(ReferenceCount(shown, _kind(shown), n, first, last))
    return out


def month_terms(matcher: Matcher) -> list[str]:
    """Return the month field's terms in rank order (as Matcher.sort_key ranks them)."""
    found = matcher.arrays.facets.get("month:terms")
    if found is None:
        found = matcher.arrays.facets["month:terms"] = list(matcher.reader.field_terms("month"))
    return found


@lru_cache(maxsize=100_000)
def _kind(key: str) -> str:
    return kind_of(key)


@lru_cache(maxsize=100_000)
def _display_key(term: str) -> str:
    # Index terms are lower case (dm-12256); reports and links spell DM-12256.
    return normalise_key(term) or term.upper()


def index_key(key: str) -> str:
    """Return the `refs` index term of an identifier (DM-12256 -> dm-12256)."""
    return canonical_key(key).lower()
