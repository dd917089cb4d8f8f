"""The report index: Whoosh behind the project's own types (the only user of Whoosh)."""

from .builder import BuiltReports, ReportBuilder, reports_per_segment
from .errors import (
    IndexBusy,
    IndexCorrupt,
    IndexDamaged,
    IndexMissing,
    IndexOutdated,
    QueryError,
    SearchError,
)
from .indexer import Index, IndexWriter
from .models import (
    FACETS,
    MAX_PER_PAGE,
    SORTS,
    Doc,
    Facet,
    FacetValue,
    Hit,
    MilestoneEntry,
    ReferenceCount,
    ReferenceResult,
    ReportInfo,
    SearchRequest,
    SearchResult,
)
from .query import iter_hits, references, search

__all__ = [
    "FACETS",
    "MAX_PER_PAGE",
    "SORTS",
    "BuiltReports",
    "Doc",
    "Facet",
    "FacetValue",
    "Hit",
    "Index",
    "IndexBusy",
    "IndexCorrupt",
    "IndexDamaged",
    "IndexMissing",
    "IndexOutdated",
    "IndexWriter",
    "MilestoneEntry",
    "QueryError",
    "ReferenceCount",
    "ReferenceResult",
    "ReportBuilder",
    "ReportInfo",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "iter_hits",
    "references",
    "reports_per_segment",
    "search",
]
