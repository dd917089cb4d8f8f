"""What the parser makes of each producer's rendering, against the HTML rendition.

    .venv/bin/python -m tests.producers.compare [NAME ...]
    .venv/bin/python -m tests.producers.compare --table

``--table`` prints one row per fixture, producers' and eras' (tests/eras/): WBS
codes, sections with text, milestones (all, and those with a due date and a group), distinct
identifier keys and damaged words (an era fixture's words are checked against the
script that wrote its text).

A diagnostic, not a test: for each fixture it prints the figures of its parse (WBS
codes, sections with text, milestones with a due date and a group, identifiers)
beside the HTML rendition's, what differs (WBS codes, sections, milestone rows and
identifiers missing or extra, sections whose text differs), and the damaged words:
every word of four or more letters in the parse that the seed text does not have
("F acility" gives "acility", "welldefined", "equipmentDelayed").
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

from ingest.models import IngestError, Report
from ingest.pipeline import load_report
from tests.producers import FIXTURES, HTML_RENDITION, REPO_ROOT

SEED = REPO_ROOT / "corpus" / "seed" / "lsst-dm-monthly-report-2017-10.txt"
WORD_RE = re.compile(r"[^\W\d_]{4,}")
LETTERS_RE = re.compile(r"[^\W\d_]+")
SHOWN = 12  # differences listed per kind
ERAS_DIR = REPO_ROOT / "tests" / "eras"
# Era fixtures and the scripts that wrote their text (their vocabulary).
ERA_FIXTURES = (
    ("era 2015 html", "dm-summary-monthly-report-2015-03.html", "build_2015_html.py"),
    ("era 2015 pdf", "dm-summary-monthly-report-2015-03.pdf", "build_2015_html.py"),
    ("era 2016 pdf", "dm-monthly-status-report-2016-11.pdf", "build_2016.py"),
    ("era 2017-02 pdf", "dm-monthly-status-report-2017-02-numbered.pdf", "build_2016.py"),
)
TABLE_COLUMNS = (
    "wbs codes",
    "sections with text",
    "milestones",
    "with due and group",
    "distinct keys",
    "damaged words",
)


def figures(report: Report) -> dict[str, int]:
    """The counts the fixtures are held to."""
    return {
        "wbs codes": len({section.wbs for section in report.sections if section.wbs}),
        "sections with text": sum(1 for section in report.sections if section.text.strip()),
        "milestones (due+group)": sum(1 for m in report.milestones if m.due and m.group),
        "identifiers": len(report.references),
    }


def table_row(report: Report, vocabulary: set[str]) -> tuple[int, ...]:
    """The closing note's figures of one parse (see TABLE_COLUMNS)."""
    counts = figures(report)
    return (
        counts["wbs codes"],
        counts["sections with text"],
        len(report.milestones),
        counts["milestones (due+group)"],
        len({reference.key for reference in report.references}),
        sum(damaged_words(report, vocabulary).values()),
    )


def vocabulary_of(path) -> set[str]:
    """The words of a text file, lower case."""
    return {word.lower() for word in LETTERS_RE.findall(path.read_text(encoding="utf-8"))}


def table_rows() -> list[tuple[str, str, tuple[int, ...] | str]]:
    """(name, file, figures or the reason it failed) for every producer and era fixture."""
    seed = vocabulary_of(SEED)
    entries = [("html", HTML_RENDITION, seed)]
    entries += [(fixture.name, fixture.path, seed) for fixture in FIXTURES]
    entries += [
        (name, ERAS_DIR / file, vocabulary_of(ERAS_DIR / script))
        for name, file, script in ERA_FIXTURES
    ]
    rows = []
    for name, path, vocabulary in entries:
        try:
            row: tuple[int, ...] | str = table_row(load_report(path), vocabulary)
        except IngestError as exc:
            row = f"FAILED: {exc}"
        rows.append((name, str(path.relative_to(REPO_ROOT)), row))
    return rows


def print_table() -> None:
    header = ("fixture", "file", *TABLE_COLUMNS)
    lines = [header, tuple("---" for _ in header)]
    for name, file, row in table_rows():
        cells = (str(row),) if isinstance(row, str) else tuple(map(str, row))
        lines.append((name, f"`{file}`", *cells))
    for line in lines:
        print("| " + " | ".join(line) + " |")


def report_words(report: Report) -> list[str]:
    """Every word of four or more letters the parse holds (text, titles, table cells)."""
    texts = [report.title]
    for section in report.sections:
        texts += [section.title, section.wbs_title or "", section.text]
    for milestone in report.milestones:
        texts += [milestone.title, milestone.note, milestone.group or ""]
    return [word for text in texts for word in WORD_RE.findall(text)]


def damaged_words(report: Report, vocabulary: set[str]) -> Counter:
    """Words of the parse that the seed text does not have, with their counts."""
    return Counter(word for word in report_words(report) if word.lower() not in vocabulary)


def _normal(text: str) -> str:
    return " ".join(text.split())


def _sections(report: Report) -> dict[tuple, str]:
    return {
        (s.wbs, s.part, s.title if s.wbs is None else ""): _normal(s.text) for s in report.sections
    }


def _milestones(report: Report) -> dict[str, tuple]:
    return {m.id: (m.due, m.group, _normal(m.title), _normal(m.note)) for m in report.milestones}


def _listed(label: str, items) -> list[str]:
    items = sorted(items, key=str)
    if not items:
        return []
    shown = ", ".join(map(str, items[:SHOWN]))
    more = f" (+{len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return [f"    {label} ({len(items)}): {shown}{more}"]


def differences(report: Report, baseline: Report) -> list[str]:
    """Lines naming what the parse has that the baseline does not, and the reverse."""
    out: list[str] = []
    wbs, base_wbs = ({s.wbs for s in r.sections if s.wbs} for r in (report, baseline))
    out += _listed("wbs missing", base_wbs - wbs) + _listed("wbs extra", wbs - base_wbs)
    sections, base_sections = _sections(report), _sections(baseline)
    out += _listed("sections missing", base_sections.keys() - sections.keys())
    out += _listed("sections extra", sections.keys() - base_sections.keys())
    changed = [
        key for key in sections.keys() & base_sections.keys() if sections[key] != base_sections[key]
    ]
    out += _listed("sections with other text", changed)
    for key in sorted(changed, key=str)[:3]:
        out.append(f"      {key}: {_first_difference(sections[key], base_sections[key])}")
    milestones, base_milestones = _milestones(report), _milestones(baseline)
    out += _listed("milestones missing", base_milestones.keys() - milestones.keys())
    out += _listed("milestones extra", milestones.keys() - base_milestones.keys())
    for key in sorted(milestones.keys() & base_milestones.keys()):
        if milestones[key] != base_milestones[key]:
            fields = ("due", "group", "title", "note")
            for name, got, want in zip(fields, milestones[key], base_milestones[key], strict=True):
                if got != want:
                    out.append(f"    milestone {key} {name}: {got!r} (HTML {want!r})")
    keys, base_keys = (Counter((x.key, x.kind) for x in r.references) for r in (report, baseline))
    out += _listed("identifiers missing", (base_keys - keys).elements())
    out += _listed("identifiers extra", (keys - base_keys).elements())
    return out


def _first_difference(text: str, expected: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b), None)
    if at is None:
        at = min(len(text), len(expected))
    start = max(0, at - 30)
    return f"{text[start : at + 40]!r} (HTML {expected[start : at + 40]!r})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="fixtures to compare (default: all)")
    parser.add_argument("--table", action="store_true", help="one row of figures per fixture")
    args = parser.parse_args(argv)
    if args.table:
        print_table()
        return 0
    vocabulary = {word.lower() for word in LETTERS_RE.findall(SEED.read_text(encoding="utf-8"))}
    baseline = load_report(HTML_RENDITION)
    base_figures = figures(baseline)
    print(
        f"HTML rendition {HTML_RENDITION.relative_to(REPO_ROOT)}: "
        + ", ".join(f"{value} {name}" for name, value in base_figures.items())
        + f", {sum(damaged_words(baseline, vocabulary).values())} damaged words"
    )
    for fixture in FIXTURES:
        if args.names and fixture.name not in args.names:
            continue
        print(f"\n{fixture.name}: {fixture.path.relative_to(REPO_ROOT)} ({fixture.producer})")
        try:
            report = load_report(fixture.path)
        except IngestError as exc:
            print(f"    FAILED: {exc}")
            continue
        got = figures(report)
        print(
            "    " + ", ".join(f"{name} {got[name]}/{base_figures[name]}" for name in base_figures)
        )
        for line in differences(report, baseline):
            print(line)
        damaged = damaged_words(report, vocabulary)
        listed = ", ".join(word + (f" x{n}" if n > 1 else "") for word, n in damaged.most_common())
        print(f"    damaged words: {sum(damaged.values())}" + (f": {listed}" if listed else ""))
        for warning in report.warnings:
            print(f"    warning: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
