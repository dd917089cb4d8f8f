"""The October 2017 report as the producers' writers see it.

One reader for every producer: ``corpus/build.py`` parses the seed text (and restores
what its extraction lost); this module loads it and gives the writers the document in
blocks (headings with their outline numbers, paragraphs, nested lists, the milestone
table), so that each writer only decides how its format spells them.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

PRODUCERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = PRODUCERS_DIR.parents[1]
SOURCES_DIR = PRODUCERS_DIR / "src"


def corpus_builder():
    """corpus/build.py as a module (corpus/ is not an installed package)."""
    name = "corpus_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "corpus" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


build = corpus_builder()
Run = build.Run
Heading = build.Heading
Paragraph = build.Paragraph
Bullet = build.Bullet
MilestoneTable = build.MilestoneTable
MilestoneRow = build.MilestoneRow
GroupRow = build.GroupRow


@dataclass
class Item:
    """A list item and the items nested in it."""

    runs: list[Run]
    children: list[Item] = field(default_factory=list)


@dataclass
class ItemList:
    """A run of bullets as a nested list."""

    items: list[Item]


@dataclass
class NumberedHeading:
    """A heading with its outline number ("4.3.1") among headings of levels 1 to 3."""

    level: int
    text: str
    number: str | None


Block = NumberedHeading | Paragraph | ItemList | MilestoneTable


def read_document():
    """The seed parsed by corpus/build.py."""
    return build.read_seed(build.SEED_PATH)


def blocks(doc, numbered_levels: int = 3) -> list[Block]:
    """The document's nodes as blocks: bullets nested into lists, headings numbered.

    Headings of levels 1 to ``numbered_levels`` get an outline number as a word
    processor would count them ("4.", "4.3", "4.3.1"); deeper ones get None.
    """
    out: list[Block] = []
    counters = [0, 0, 0, 0]
    for node in doc.nodes:
        if isinstance(node, Heading):
            counters[node.level - 1] += 1
            counters[node.level :] = [0] * (len(counters) - node.level)
            number = None
            if node.level <= numbered_levels:
                number = ".".join(str(count) for count in counters[: node.level] if count)
            out.append(NumberedHeading(node.level, node.text, number))
        elif isinstance(node, Bullet):
            if not (out and isinstance(out[-1], ItemList)):
                out.append(ItemList([]))
            items = out[-1].items
            if node.level == 1 or not items:
                items.append(Item(node.runs))
            else:
                items[-1].children.append(Item(node.runs))
        else:
            out.append(node)
    return out


def milestone_cells(row) -> tuple[str, str, str, str]:
    """(IDs, title, italic note, due date) of a milestone row, as the report prints them."""
    return ", ".join(row.ids), row.title, row.note, row.due
