"""Identifier patterns, kinds and links: tickets, milestones, documents, technotes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

JIRA_BASE_ENV = "DMREPORTS_JIRA_URL"
DEFAULT_JIRA_BASE = "https://rubinobs.atlassian.net/browse/"
DOCUMENT_BASE = "https://ls.st/"
MILESTONE_PATH = "/milestones/"

MILESTONE_PREFIXES = frozenset({"DLP", "DMTC", "LDM-MILESTONE"})
DOCUMENT_PREFIXES = frozenset({"LDM", "LSE", "LPM", "LCR", "LTS", "DMTR", "Document"})
TECHNOTE_PREFIXES = frozenset(
    {"DMTN", "SQR", "ITTN", "PSTN", "RTN", "SITCOMTN", "SMTN", "TSTN", "OPSTN", "CTN", "SCTN"}
)
# Tokens shaped like KEY-123 that are not identifiers in these reports.
NOT_IDENTIFIERS = frozenset(
    {"UTF", "ISO", "SHA", "COVID", "MD", "CVE", "RFC822", "IPV", "PKCS", "ASCII", "CY", "FY", "S"}
)

# A key: a capitalised prefix, '-' or '_' (a writer's slip), digits, optional numeric suffixes.
_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{0,9}[A-Z])[-_](\d{1,6}(?:-\d{1,6})*)(?![\w-])")
# The same key broken by a line or cell wrap: 'DMTC-7400-242 0'.
_WRAPPED_KEY = re.compile(r"\b((?:DMTC|DLP)-\d{4}-\d{1,3}) (\d{1,3})\b")


@dataclass(frozen=True)
class Identifier:
    """A normalised identifier found in text, with where it starts."""

    key: str
    kind: str
    start: int
    end: int


def jira_base() -> str:
    """The JIRA browse URL prefix (configurable by environment)."""
    base = os.environ.get(JIRA_BASE_ENV, DEFAULT_JIRA_BASE)
    return base if base.endswith("/") else base + "/"


def kind_of(key: str) -> str:
    """The kind of an identifier: jira, milestone, document or technote."""
    prefix, _, rest = key.partition("-")
    if prefix in MILESTONE_PREFIXES:
        return "milestone"
    if prefix in DOCUMENT_PREFIXES:
        # LDM-503-2: a milestone defined in document LDM-503.
        return "milestone" if "-" in rest else "document"
    if prefix in TECHNOTE_PREFIXES:
        return "technote"
    return "jira"


def url_of(key: str, kind: str | None = None) -> str:
    """The outside link of an identifier (or this service's page for milestones)."""
    kind = kind or kind_of(key)
    if kind == "milestone":
        return MILESTONE_PATH + key
    if kind == "document":
        return DOCUMENT_BASE + key
    if kind == "technote":
        return f"https://{key.lower()}.lsst.io"
    return jira_base() + key


def parent_document(key: str) -> str | None:
    """The document a milestone such as LDM-503-2 belongs to, or None."""
    prefix, _, rest = key.partition("-")
    if prefix in DOCUMENT_PREFIXES and "-" in rest:
        return f"{prefix}-{rest.split('-')[0]}"
    return None


def normalise_key(raw: str) -> str | None:
    """Canonical form of a raw identifier ('dm_12305' -> 'DM-12305'); None if it is none."""
    match = _KEY.fullmatch(re.sub(r"\s+", "", raw).upper())
    if not match or match[1] in NOT_IDENTIFIERS:
        return None
    return f"{match[1]}-{match[2]}"


def find_identifiers(text: str) -> list[Identifier]:
    """All identifiers in a text, normalised, in order of appearance."""
    text = _WRAPPED_KEY.sub(lambda m: m[1] + m[2] + " ", text)
    found = []
    for match in _KEY.finditer(text):
        prefix, number = match[1], match[2]
        if prefix in NOT_IDENTIFIERS or (len(prefix) < 2):
            continue
        key = f"{prefix}-{number}"
        found.append(Identifier(key, kind_of(key), match.start(), match.end()))
    return found
