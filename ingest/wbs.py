"""WBS codes: recognising them in headings and putting them in canonical form."""

from __future__ import annotations

import re

from .identifiers import WBS_PATTERN, canonical_wbs, wbs_ancestors, wbs_depth

# A heading that starts with a code: "1.02C.03: Alert Production",
# "02C.03.04 – Image Differencing Pipeline", "02C.05.00".
_HEADING = re.compile(
    rf"^\s*(?P<code>{WBS_PATTERN})(?![\w.])\s*(?:[:\u2013\u2014-]\s*)?(?P<title>.*?)\s*$"
)

# Third-level element names from DM's project guide, for codes a report leaves unnamed.
GUIDE_NAMES = {
    "1.02C.01": "System Management",
    "1.02C.02": "Systems Engineering",
    "1.02C.03": "Alert Production",
    "1.02C.04": "Data Release Production",
    "1.02C.05": "Science User Interface & Tools",
    "1.02C.06": "Science Data Archive & Application Services",
    "1.02C.07": "LSST Data Facility",
    "1.02C.08": "International Communications & Base Site",
    "1.02C.09": "Systems Integration & Test",
    "1.02C.10": "Science Quality and Reliability Engineering",
}


def canonical(code: str) -> str | None:
    """The canonical form of a WBS code ('02C.03.04' -> '1.02C.03.04'), None if it is none."""
    return canonical_wbs(code)


def split_heading(text: str) -> tuple[str, str | None] | None:
    """(canonical code, title or None) if a heading line starts with a WBS code."""
    match = _HEADING.match(text)
    if not match:
        return None
    title = match["title"].strip() or None
    return canonical_wbs(match["code"]), title


# The code and its ancestors below the project ('1.02C.03.04' -> 1.02C, 1.02C.03, ...),
# and a code's level ('1.02C.03' is 3).
ancestors = wbs_ancestors
depth = wbs_depth
