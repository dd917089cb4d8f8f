"""Milestone tables: rows of cells -> one Milestone per milestone ID."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .blocks import Block, Cell
from .dates import expected_completion, parse_date
from .identifiers import normalise_key, split_ids, starts_with_identifier
from .models import Milestone
from .text import squash

_ID_FRAGMENT = re.compile(r"^[\d\s,-]+$")
_HEADERS = {
    "id": ("id", "milestone id", "ids", "milestone", "activity id"),
    "description": (
        "description",
        "title",
        "milestone description",
        "name",
        "milestone",
        "milestone name",
        "activity name",
    ),
    "due": (
        "due date",
        "due",
        "date",
        "baseline date",
        "completed",
        "completion date",
        "date completed",
        "actual date",
        "forecast date",
        "planned date",
        "target date",
        "finish",
        "baseline finish",
    ),
    # A row's own status ("Completed", "Late"), read as a heading's word is.
    "status": ("status", "state", "milestone status"),
}
# What a milestone table's heading says of its rows, first match wins:
# "Delayed Milestones", "Milestones completed in October", "Upcoming milestones".
STATUSES = (
    ("delayed", r"delayed|late|overdue|slipped|slipping|missed|behind\s+schedule"),
    ("completed", r"completed?|achieved|accomplished|met|closed|done|finished|delivered"),
    ("upcoming", r"upcoming|next|coming|forthcoming|due|future|scheduled"),
)
_STATUS_RES = [(name, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for name, words in STATUSES]


@dataclass
class _Row:
    """A milestone row being assembled from one or more table rows."""

    ids: str
    title: list[str] = field(default_factory=list)
    note: list[str] = field(default_factory=list)
    due: str = ""
    group: str | None = None
    status: str = ""


def header_columns(row: tuple[Cell, ...]) -> dict[str, int] | None:
    """Map id/description/due to column numbers if this row is a milestone table header."""
    columns: dict[str, int] = {}
    for number, cell in enumerate(row):
        label = squash(cell.text).lower().rstrip(":")
        for name, spellings in _HEADERS.items():
            if label in spellings and name not in columns:
                columns[name] = number
    return columns if {"id", "description"} <= columns.keys() else None


def is_milestone_table(block: Block) -> bool:
    """True when a table block's first row is a milestone table header."""
    return block.kind == "table" and bool(block.rows) and header_columns(block.rows[0]) is not None


def status_of(heading: str | None) -> str | None:
    """The status a table heading gives its rows: 'Delayed Milestones' -> 'delayed'.

    One of `delayed`, `completed`, `upcoming` (see STATUSES), or None when the
    heading says none ("Milestone Summary"). A table's Status column, where it
    has one, gives each row's status the same way.
    """
    for name, pattern in _STATUS_RES:
        if heading and pattern.search(heading):
            return name
    return None


def _cell(row: tuple[Cell, ...], column: int | None) -> Cell:
    if column is None or column >= len(row):
        return Cell()
    return row[column]


def _split_description(cell: Cell) -> tuple[str, str]:
    title = squash(" ".join(s.text for s in cell.spans if not s.italic))
    note = squash(" ".join(s.text for s in cell.spans if s.italic))
    return title, note


def parse_table(block: Block, heading: str | None) -> list[Milestone]:
    """The milestones of a milestone table block, one per ID, in table order."""
    columns = header_columns(block.rows[0])
    if columns is None:
        return []
    status = status_of(heading)
    rows: list[_Row] = []
    group: str | None = None
    for row in block.rows[1:]:
        id_text = squash(_cell(row, columns["id"]).text)
        desc = _cell(row, columns["description"])
        due = _cell(row, columns.get("due")).text
        if not any(c.text.strip() for c in row):
            continue
        # IDs cut after a comma or a hyphen go on in the next row ("DLP-538, DLP-" then
        # "539, DLP-541,"), whatever that row's text looks like.
        cut = bool(rows) and rows[-1].ids.endswith((",", "-"))
        if (
            id_text
            and not cut
            and not starts_with_identifier(id_text)
            and not _ID_FRAGMENT.match(id_text)
        ):
            group = id_text  # a group row: a name across the table
            continue
        continues = bool(rows) and (not id_text or not starts_with_identifier(id_text) or cut)
        if continues:
            rows[-1].ids += " " + id_text
        elif starts_with_identifier(id_text):
            rows.append(_Row(ids=id_text, group=group))
        else:
            continue  # text before the first milestone row
        title, note = _split_description(desc)
        if title:
            rows[-1].title.append(title)
        if note:
            rows[-1].note.append(note)
        rows[-1].due += re.sub(r"\s+", "", due)
        rows[-1].status += " " + _cell(row, columns.get("status")).text
    return [m for row in rows for m in _milestones(row, status, block.page)]


def _milestones(row: _Row, status: str | None, page: int) -> list[Milestone]:
    status = status_of(row.status) or status
    note = squash(" ".join(row.note))
    title = squash(" ".join(row.title))
    due = parse_date(row.due) if row.due else None
    ids = [normalise_key(part) for part in split_ids(row.ids)]
    return [
        Milestone(
            id=key,
            title=title,
            note=note,
            due=due,
            expected_completion=expected_completion(note),
            group=row.group,
            status=status,
            page=page,
        )
        for key in ids
        if key
    ]
