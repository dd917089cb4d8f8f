"""Identifiers taken from URLs: checked, put in canonical form, or refused with 400."""

from __future__ import annotations

import re

from flask import abort

from ingest.identifiers import canonical_wbs
from search import library

MAX_ID_LENGTH = 200
# Report ids are slugs of file names (see search.documents.slugify).
_REPORT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def report_id(raw: str) -> str:
    """Return a report id as given, or abort 400 if it cannot be one."""
    if len(raw) > MAX_ID_LENGTH or not _REPORT_ID.fullmatch(raw):
        abort(400, f"{raw[:60]!r} is not a report id (lowercase letters, digits and hyphens)")
    return raw


def identifier(raw: str) -> str:
    """Return an identifier in canonical form (`dm_12305` -> `DM-12305`), or abort 400."""
    key = library.canonical_key(raw)
    if key is None:
        abort(400, f"{raw[:60]!r} is not an identifier such as DM-12256, LDM-503-2 or DMTN-057")
    return key


def wbs_code(raw: str) -> str:
    """Return a WBS code in canonical form (`02c.03` -> `1.02C.03`), or abort 400."""
    code = canonical_wbs(raw) if len(raw) <= MAX_ID_LENGTH else None
    if code is None:
        abort(400, f"{raw[:60]!r} is not a WBS code such as 1.02C.03 or 02C.03.04")
    return code
