"""Identifier references: tickets, milestones, documents and technotes in report text.

The grammar (forms, kinds, canonical form, links) is ``ingest/identifiers.py``;
this module is the name the readers and the search layer have long imported it by.
"""

from __future__ import annotations

from .identifiers import (
    DEFAULT_JIRA_BASE,
    DOCUMENT_BASE,
    JIRA_BASE_ENV,
    MILESTONE_PATH,
    Identifier,
    find_identifiers,
    jira_base,
    kind_of,
    normalise_key,
    parent_document,
    url_of,
)

__all__ = [
    "DEFAULT_JIRA_BASE",
    "DOCUMENT_BASE",
    "JIRA_BASE_ENV",
    "MILESTONE_PATH",
    "Identifier",
    "find_identifiers",
    "jira_base",
    "kind_of",
    "normalise_key",
    "parent_document",
    "url_of",
]
