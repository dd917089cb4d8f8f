"""The one structured model of a monthly report, shared by every reader."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

Part = Literal["accomplishments", "planned", "recruitment"]
RefKind = Literal["jira", "milestone", "document", "technote"]

PARTS: tuple[str, ...] = ("accomplishments", "planned", "recruitment")
REF_KINDS: tuple[str, ...] = ("jira", "milestone", "document", "technote")


@dataclass(frozen=True)
class Section:
    """A run of text under one WBS element and part (or a top part with wbs None)."""

    wbs: str | None
    wbs_title: str | None
    part: Part | None
    title: str
    text: str
    page: int


@dataclass(frozen=True)
class Milestone:
    """One row of a milestone table, one per milestone ID."""

    id: str
    title: str
    note: str
    due: str | None
    expected_completion: str | None
    group: str | None
    status: str | None
    page: int


@dataclass(frozen=True)
class Reference:
    """One mention of an identifier (ticket, milestone, document, technote)."""

    key: str
    kind: RefKind
    url: str
    wbs: str | None
    part: Part | None
    page: int
    context: str


@dataclass(frozen=True)
class Report:
    """A parsed monthly report."""

    month: str | None
    title: str
    source: str
    sha256: str
    pages: int
    sections: tuple[Section, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    references: tuple[Reference, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready data (the `dmreports parse` schema)."""
        return {
            "month": self.month,
            "title": self.title,
            "source": self.source,
            "sha256": self.sha256,
            "pages": self.pages,
            "sections": [_flat(s) for s in self.sections],
            "milestones": [_flat(m) for m in self.milestones],
            "references": [_flat(r) for r in self.references],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """Rebuild a report from `to_dict` output."""
        return cls(
            month=data["month"],
            title=data["title"],
            source=data["source"],
            sha256=data["sha256"],
            pages=data["pages"],
            sections=tuple(Section(**s) for s in data["sections"]),
            milestones=tuple(Milestone(**m) for m in data["milestones"]),
            references=tuple(Reference(**r) for r in data["references"]),
            warnings=tuple(data["warnings"]),
        )


def _flat(item: Section | Milestone | Reference) -> dict:
    # What dataclasses.asdict gives for these flat records (scalars only), without its deep copy.
    return {name: getattr(item, name) for name in _FIELD_NAMES[type(item)]}


_FIELD_NAMES = {
    kind: tuple(f.name for f in fields(kind)) for kind in (Section, Milestone, Reference)
}


class IngestError(Exception):
    """A file that cannot be read as a report; str() is the one-line reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
