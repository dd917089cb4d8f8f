"""The exceptions search/ raises; Whoosh's own exceptions never leave the package."""

from __future__ import annotations

from whoosh.fields import FieldConfigurationError, UnknownFieldError
from whoosh.index import IndexError as WhooshIndexError
from whoosh.index import LockError
from whoosh.qparser.common import QueryParserError
from whoosh.query.qcore import QueryError as WhooshQueryError

from .codec import CODEC_ERRORS


class SearchError(Exception):
    """Base class of every error raised by search/."""


class QueryError(SearchError):
    """A search request that cannot be answered as asked (the web answers 400)."""


class IndexMissing(SearchError):
    """No usable index at the given path (never built, or deleted)."""


class IndexOutdated(IndexMissing):
    """The index was built with another schema version and must be rebuilt."""


class IndexBusy(SearchError):
    """Another writer holds the index's write lock."""


class IndexCorrupt(SearchError):
    """The index files could not be read or written."""


class IndexDamaged(IndexCorrupt):
    """A generation's files differ from what its manifest recorded at commit.

    str() is the one line a user sees: what is damaged and how to repair it.
    """

    REPAIR = "run `dmreports ingest --full` to rebuild it"

    def __init__(self, generation: str, detail: str):
        self.generation = generation
        self.detail = detail
        super().__init__(f"{self.summary}; {self.REPAIR}")

    @property
    def summary(self) -> str:
        """The line without the repair: index damaged: gen-000007 (MAIN_x.seg truncated)."""
        return f"index damaged: {self.generation} ({self.detail})"


# Caught at every call into Whoosh and re-raised as one of the classes above.
WHOOSH_ERRORS: tuple[type[Exception], ...] = (
    FieldConfigurationError,
    UnknownFieldError,
    WhooshIndexError,
    LockError,
    QueryParserError,
    WhooshQueryError,
    *CODEC_ERRORS,
)
