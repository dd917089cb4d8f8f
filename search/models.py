"""What callers hand to search/ and what they get back: plain frozen dataclasses.

`dataclasses.asdict()` of any of them is the JSON the API serves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.models import PARTS, REF_KINDS

from .errors import QueryError
from .schema import SEARCH_KINDS, canonical_wbs

SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 1000
# The facets a request can filter on, in display order.
FACETS: tuple[str, ...] = ("wbs", "month", "year", "part", "ref_kind", "kind")

_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_YEAR_RE = re.compile(r"\d{4}")


@dataclass(frozen=True)
class SearchRequest:
    """One search: query text, facet selections (OR inside a facet), sort and page.

    Lists are stored as tuples and WBS codes in canonical form; any invalid
    value raises QueryError with a message fit to show the user.
    """

    q: str = ""
    wbs: Sequence[str] = ()
    month: Sequence[str] = ()
    year: Sequence[str] = ()
    part: Sequence[str] = ()
    kind: Sequence[str] = ()
    ref_kind: Sequence[str] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    # A month range (YYYY-MM, either end open), ANDed with the facets.
    month_from: str | None = None
    month_to: str | None = None

    def __post_init__(self) -> None:
        if len(self.q) > MAX_QUERY_LENGTH:
            raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if not isinstance(self.page, int) or self.page < 1:
            raise QueryError(f"page must be a whole number from 1, not {self.page!r}")
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be from 1 to {MAX_PER_PAGE}, not {self.per_page!r}")
        for name in FACETS:
            values = getattr(self, name)
            if isinstance(values, str):
                values = (values,)
            object.__setattr__(self, name, tuple(dict.fromkeys(_check(name, v) for v in values)))
        for name, label in (("month_from", "from"), ("month_to", "to")):
            value = getattr(self, name) or None
            if value is not None and not (isinstance(value, str) and _MONTH_RE.fullmatch(value)):
                raise QueryError(f"{label} must be a month YYYY-MM, not {value!r}")
            object.__setattr__(self, name, value)
        if self.month_from and self.month_to and self.month_from > self.month_to:
            # From January back to December means December to January.
            first, last = self.month_to, self.month_from
            object.__setattr__(self, "month_from", first)
            object.__setattr__(self, "month_to", last)

    def selected(self, facet: str) -> tuple[str, ...]:
        """Return the values selected in one facet."""
        return getattr(self, facet)


def _check(facet: str, value: str) -> str:
    ok = {
        "wbs": lambda v: canonical_wbs(v) is not None,
        "month": _MONTH_RE.fullmatch,
        "year": _YEAR_RE.fullmatch,
        "part": lambda v: v in PARTS,
        "kind": lambda v: v in SEARCH_KINDS,
        "ref_kind": lambda v: v in REF_KINDS,
    }[facet]
    if not isinstance(value, str) or not ok(value):
        hints = {
            "wbs": "a WBS code such as 1.02C.03 or 02C.03",
            "month": "YYYY-MM",
            "year": "YYYY",
            "part": " or ".join(PARTS),
            "kind": " or ".join(SEARCH_KINDS),
            "ref_kind": " or ".join(REF_KINDS),
        }
        raise QueryError(f"{facet} must be {hints[facet]}, not {value!r}")
    return canonical_wbs(value) if facet == "wbs" else value


@dataclass(frozen=True)
class Hit:
    """One matching section or milestone row, with a highlighted snippet.

    snippet is safe HTML: matched terms in <mark>, everything else escaped;
    snippet_text is the same text without markup. For milestones, milestone_id,
    due, group and status are set and wbs/part are None.
    """

    id: str
    kind: str
    report: str
    month: str | None
    wbs: str | None
    wbs_title: str | None
    part: str | None
    title: str
    snippet: str
    snippet_text: str
    score: float
    page: int | None
    source: str
    references: tuple[str, ...]
    milestone_id: str | None = None
    due: str | None = None
    group: str | None = None
    status: str | None = None


@dataclass(frozen=True, init=False)
class FacetValue:
    """One value of a facet; parent is set for a WBS child of a selected element."""

    value: str
    label: str
    count: int
    selected: bool
    parent: str | None = None

    def __init__(
        self, value: str, label: str, count: int, selected: bool, parent: str | None = None
    ) -> None:
        # A search at 1200 reports makes over a thousand of these (one per month):
        # set through __dict__, three times faster than a frozen dataclass's
        # object.__setattr__ per field. Still frozen to callers.
        fields = self.__dict__
        fields["value"], fields["label"], fields["count"] = value, label, count
        fields["selected"], fields["parent"] = selected, parent


def unselected_values(values: list[str], labels: list[str], counts: list[int]) -> list[FacetValue]:
    """`FacetValue(value, label, count, False)` of each value, its label and count.

    A first search at 1200 reports makes some ten thousand of these: made in one
    loop without a call of `__init__` each, about a quarter cheaper.
    """
    new = object.__new__
    out = []
    append = out.append
    for value, label, count in zip(values, labels, counts, strict=True):
        made = new(FacetValue)
        fields = made.__dict__
        fields["value"] = value
        fields["label"] = label
        fields["count"] = count
        fields["selected"] = False
        fields["parent"] = None
        append(made)
    return out


@dataclass(frozen=True)
class Facet:
    """A facet's values, counted under every other facet's selection but not its own.

    counted is the number of documents they were counted over (what the
    search gives with nothing of this facet, or of its group, selected).
    """

    name: str
    label: str
    values: tuple[FacetValue, ...]
    counted: int = 0


@dataclass(frozen=True)
class SearchResult:
    """A page of hits with totals, facets, and what happened to the query."""

    request: SearchRequest
    hits: tuple[Hit, ...]
    total: int
    pages: int
    facets: dict[str, Facet]
    suggestion: str | None = None
    notice: str | None = None
    # Every month the index holds, oldest first (for a from/to control).
    months: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferenceCount:
    """One distinct identifier the selected documents cite: how many, first and last month."""

    key: str
    kind: str
    sections: int
    first_month: str | None
    last_month: str | None


@dataclass(frozen=True)
class ReferenceResult:
    """The distinct identifiers a search and its facets select, most cited first.

    kinds counts the distinct identifiers of each kind before the ref_kind
    selection narrows the list (what choosing a kind gives); documents is the
    number of selected documents citing any of the keys listed.
    """

    request: SearchRequest
    references: tuple[ReferenceCount, ...]
    kinds: dict[str, int]
    documents: int


@dataclass(frozen=True)
class Doc:
    """A stored section or milestone row, as the report had it (text in full)."""

    id: str
    kind: str
    report: str
    month: str | None
    wbs: str | None
    wbs_title: str | None
    part: str | None
    title: str
    text: str
    page: int | None
    source: str
    references: tuple[str, ...] = field(default=())
    milestone_id: str | None = None
    due: str | None = None
    expected: str | None = None
    group: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class ReportInfo:
    """One indexed report file."""

    id: str
    month: str | None
    title: str
    source: str
    sha256: str
    pages: int


@dataclass(frozen=True)
class MilestoneEntry:
    """A milestone as one report listed it and how its due date changed since the last.

    change is "slipped" (later), "pulled in" (earlier) or "unchanged" (also
    for the first listing and a missing date); shift_days is signed, later
    positive. slipped is true for a slip only, never for a pull-in.
    """

    month: str | None
    report: str
    milestone_id: str
    title: str
    due: str | None
    expected: str | None
    status: str | None
    group: str | None
    note: str
    slipped: bool
    change: str = "unchanged"
    shift_days: int = 0
