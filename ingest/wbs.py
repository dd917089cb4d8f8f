"""WBS codes: recognising them in headings and putting them in canonical form."""

from __future__ import annotations

import re

# The DM element of the LSST project WBS; codes are quoted with or without it.
PROJECT_PREFIX = "1"
# 1.02C.03.04, 02C.03.04, 02C.05.00, 02C.06.02.03; the element letter after the level-2 number.
_CODE = r"(?:(?P<project>\d)\.)?(?P<element>\d{2}[A-Z])(?P<rest>(?:\.\d{2}){1,4})"
_HEADING = re.compile(rf"^\s*{_CODE}(?![\w.])\s*(?:[:\u2013\u2014-]\s*)?(?P<title>.*?)\s*$")
_ANYWHERE = re.compile(rf"(?<![\w.]){_CODE}(?![\w.])")

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


def _canonical(match: re.Match) -> str:
    project = match["project"] or PROJECT_PREFIX
    return f"{project}.{match['element']}{match['rest']}"


def canonical(code: str) -> str | None:
    """The canonical form of a WBS code ('02C.03.04' -> '1.02C.03.04'), None if it is none."""
    match = _ANYWHERE.fullmatch(code.strip())
    return _canonical(match) if match else None


def split_heading(text: str) -> tuple[str, str | None] | None:
    """(canonical code, title or None) if a heading line starts with a WBS code."""
    match = _HEADING.match(text)
    if not match:
        return None
    title = match["title"].strip() or None
    return _canonical(match), title


def ancestors(code: str) -> list[str]:
    """The code and every ancestor below the project: '1.02C.03.04' -> 1.02C, 1.02C.03, ..."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


def depth(code: str) -> int:
    """The WBS level of a canonical code: 1.02C is 2, 1.02C.03 is 3."""
    return code.count(".") + 1
