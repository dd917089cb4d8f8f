"""Area and team names -> WBS elements, for reports that name teams instead of codes.

Reports before August 2017 organise progress by area ("DM Project Management
and Control", 2015) or by team ("The AP Team", 2016) and quote no WBS code.
Each name still belongs to one element of DM's WBS; `element_of` finds it,
and the parser keeps the name the report wrote as the section's label.

Names are matched whole, after normalising case, "&", punctuation, a leading
"The", "DM" or "LSST", a trailing "Team" or "Group", and a parenthesised
abbreviation ("Alert Production (AP)"): a lead-in line such as "The DM Project
Manager:" names no team and stays text.
"""

from __future__ import annotations

import re

from .wbs import GUIDE_NAMES

# The names seen in the real archive, by element (ARCHIVE.md, "Team names and the WBS").
NAMES: dict[str, tuple[str, ...]] = {
    "1.02C.01": (
        "DM Project Management and Control",
        "Project Management and Control",
        "Project Management",
        "Project Management Office",
        "System Management",
        "Systems Management",
        "Management",
    ),
    "1.02C.02": (
        "Architecture",
        "System Architecture",
        "Systems Engineering",
        "Systems Engineering and Architecture",
        "DM Science",
        "Data Management Science",
        "DM System Architecture",
    ),
    "1.02C.03": ("Alert Production", "AP"),
    "1.02C.04": ("Data Release Production", "DRP"),
    "1.02C.05": (
        "Science User Interface",
        "Science User Interface and Tools",
        "Science User Interfaces",
        "SUI",
        "SUIT",
        "SUI/T",
    ),
    "1.02C.06": (
        "Science Data Archive",
        "Science Data Archive and Application Services",
        "Database and Data Access",
        "Data Access and Database",
        "Data Access",
        "DAX",
    ),
    "1.02C.07": (
        "LSST Data Facility",
        "Data Facility",
        "LDF",
        "Processing Control and Site Infrastructure",
        "NCSA",
        "Middleware",
        "Infrastructure",
    ),
    "1.02C.08": (
        "International Communications and Base Site",
        "Networks",
        "Network",
        "Chilean Networks",
        "Network Engineering Team",
    ),
    "1.02C.09": (
        "System Integration and Test",
        "Systems Integration and Test",
        "Integration and Test",
    ),
    "1.02C.10": ("Science Quality and Reliability Engineering", "SQuaRE"),
}

_PAREN = re.compile(r"\s*\(([^)]*)\)\s*")
_PREFIX = re.compile(r"^(?:the|lsst)\s+")
_SUFFIX = re.compile(r"\s+(?:team|teams|group|groups)$")


def normalise(name: str) -> str:
    """A name in the form names are compared in: 'The AP Team:' -> 'ap'."""
    text = name.replace("&", " and ").replace("\u2019", "'").lower()
    text = re.sub(r"[\s:;.,\u2013\u2014-]+$", "", text.strip())
    text = re.sub(r"[^\w/' ]+", " ", text)
    text = " ".join(text.split())
    while True:
        stripped = _SUFFIX.sub("", _PREFIX.sub("", text))
        if stripped == text or not stripped:
            return text
        text = stripped


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    guide = {code: (name,) for code, name in GUIDE_NAMES.items()}
    for source in (guide, NAMES):
        for code, names in source.items():
            for name in names:
                table.setdefault(normalise(name), code)
    return table


_TABLE = _table()


def element_of(name: str) -> str | None:
    """The WBS element a team or area name belongs to ('The AP Team' -> '1.02C.03'), or None.

    A parenthesised part is tried on its own too: 'Alert Production (AP)',
    'NCSA (LSST Data Facility)', and so is each of two names joined by a slash,
    comma or dash: 'NCSA / LSST Data Facility'.
    """
    whole = normalise(name)
    inner = _PAREN.findall(name)
    outer = normalise(_PAREN.sub(" ", name))
    # Two names for one team: "NCSA / LSST Data Facility", "DAX, Database and Data Access".
    pieces = [normalise(p) for p in re.split(r"\s+/\s+|,\s+|\s+[\u2013\u2014]\s+", name)]
    for candidate in (whole, outer, *(normalise(part) for part in inner), *pieces):
        for form in (candidate, candidate.removeprefix("dm ")):
            if form in _TABLE:
                return _TABLE[form]
    return None
