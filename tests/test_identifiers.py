"""One grammar of identifiers and WBS codes, shared by the parser, the index and the API.

The forms are those of DM's real milestone baseline (the two project-controls exports
in ../shared/milestones, or the list extracted from them in tests/fixtures) and of the
October 2017 report.
"""

from __future__ import annotations

import re

import pytest

from ingest import identifiers, wbs
from ingest.identifiers import find_identifiers, kind_of, normalise_key, parent_document, url_of
from ingest.pipeline import load_report
from search import Index, SearchRequest, search
from search.schema import KEY_ANALYZER, TEXT_ANALYZER, TOKEN_RE, WBS_ANALYZER, analyze, classify
from tests.conftest import CORPUS_HTML
from tests.fixtures.schedule_ids import (
    export_paths,
    read_exports,
    read_list,
    schedule_ids,
)
from web import openapi

SEED = CORPUS_HTML.parent / "seed" / "lsst-dm-monthly-report-2017-10.txt"
# Six-month cycle markers and the exports' counts (402 activity IDs, 230 tickets cited).
EXPORT_COUNTS = {"milestone": 378, "cycle": 24, "ticket": 230}
NOT_KEYS = ("ISO-9001", "iso-9001", "UTF-8", "SHA-256", "F17S", "S18F", "F22S1", "F17")
NOT_KEYS += ("LSST-MPC", "CC-IN2P3", "DM-NCSA", "DM-", "end-to-end", "IN2P3")


def _ids(kind: str) -> list:
    return [item for item in schedule_ids() if item.kind == kind]


def test_committed_list_is_the_exports():
    """The list the suite falls back on is what the extraction makes of the exports."""
    paths = export_paths()
    listed = read_list()
    assert {kind: sum(i.kind == kind for i in listed) for kind in EXPORT_COUNTS} == EXPORT_COUNTS
    if paths:  # beside the shared folder: the list must still be the exports' own
        assert read_exports(paths) == listed


@pytest.mark.parametrize(
    "raw, key, kind, url, document",
    [
        ("DM-12256", "DM-12256", "jira", "https://rubinobs.atlassian.net/browse/DM-12256", None),
        ("DM_12305", "DM-12305", "jira", "https://rubinobs.atlassian.net/browse/DM-12305", None),
        ("RFC-345", "RFC-345", "jira", "https://rubinobs.atlassian.net/browse/RFC-345", None),
        ("LCR-1051", "LCR-1051", "jira", "https://rubinobs.atlassian.net/browse/LCR-1051", None),
        ("DM-NCSA-5", "DM-NCSA-5", "milestone", "/milestones/DM-NCSA-5", None),
        ("dm-drp-1", "DM-DRP-1", "milestone", "/milestones/DM-DRP-1", None),
        ("DM-AP-6", "DM-AP-6", "milestone", "/milestones/DM-AP-6", None),
        ("DM-NET-3", "DM-NET-3", "milestone", "/milestones/DM-NET-3", None),
        ("DM-SUIT-5", "DM-SUIT-5", "milestone", "/milestones/DM-SUIT-5", None),
        ("DM-DAX-5", "DM-DAX-5", "milestone", "/milestones/DM-DAX-5", None),
        ("DM-SQRE-2", "DM-SQRE-2", "milestone", "/milestones/DM-SQRE-2", None),
        ("LDM-503-04b", "LDM-503-04b", "milestone", "/milestones/LDM-503-04b", "LDM-503"),
        ("ldm-503-11A", "LDM-503-11a", "milestone", "/milestones/LDM-503-11a", "LDM-503"),
        ("LDM-503-EFDb", "LDM-503-EFDb", "milestone", "/milestones/LDM-503-EFDb", "LDM-503"),
        ("LDM-503-2", "LDM-503-2", "milestone", "/milestones/LDM-503-2", "LDM-503"),
        ("LDM-503", "LDM-503", "document", "https://ls.st/LDM-503", None),
        ("LSST-1220", "LSST-1220", "milestone", "/milestones/LSST-1220", None),
        ("COMC-0020", "COMC-0020", "milestone", "/milestones/COMC-0020", None),
        ("CAMM6995", "CAMM6995", "milestone", "/milestones/CAMM6995", None),
        ("T&SC-2600-1545", "T&SC-2600-1545", "milestone", "/milestones/T&SC-2600-1545", None),
        ("DMTC-7400-242 0", "DMTC-7400-2420", "milestone", "/milestones/DMTC-7400-2420", None),
        ("DMTN-057", "DMTN-057", "technote", "https://dmtn-057.lsst.io", None),
    ],
)
def test_forms_of_the_archive(raw, key, kind, url, document):
    assert normalise_key(raw) == key
    assert kind_of(key) == kind
    assert url_of(key) == url
    assert parent_document(key) == document


@pytest.mark.parametrize("text", NOT_KEYS)
def test_not_identifiers_for_anyone(text):
    """A cycle marker or a standard's name is a key neither for the parser nor the index."""
    assert normalise_key(text) is None
    assert find_identifiers(f"Work done in {text} this month.") == []
    assert classify(text) == "word"
    assert analyze(text, KEY_ANALYZER) == []
    assert not re.fullmatch(openapi.KEY_PATTERN, text)


def _agreement_tokens() -> list[str]:
    """Every token of the seed, every ID of the exports, their lower-case spellings."""
    seed = SEED.read_text(encoding="utf-8")
    tokens = {match[0] for match in TOKEN_RE.finditer(seed)}
    tokens |= {i.id for i in schedule_ids()} | set(NOT_KEYS)
    tokens |= {token.lower() for token in tokens} | {t.replace("-", "_", 1) for t in tokens}
    return sorted(tokens)


def test_index_keys_are_exactly_the_parsers_keys():
    """The analyzer indexes as a key, the API's pattern accepts, what ingest normalises."""
    disagreements = []
    for token in _agreement_tokens():
        key = normalise_key(token)
        indexed = analyze(token, KEY_ANALYZER, mode="query")
        expected = [key.lower()] if key else []
        in_api = bool(re.fullmatch(openapi.KEY_PATTERN, token))
        if indexed != expected or (classify(token) == "key") != bool(key) or in_api != bool(key):
            disagreements.append((token, key, indexed, in_api))
    assert disagreements == []


def test_report_identifiers_are_the_index_keys(html_report):
    """In the report's own sections, the keys the index makes are the identifiers ingest finds."""
    found, indexed = set(), set()
    for section in html_report.sections:
        found |= {ident.key.lower() for ident in find_identifiers(section.text)}
        indexed |= set(analyze(section.text, KEY_ANALYZER, mode="query"))
    assert indexed == found
    assert {"dm-12256", "ldm-503-2", "dmtn-057", "dm-12305", "ldm-592"} <= found


def test_document_parts_index_their_document():
    """A search for LDM-503 still finds its numbered parts."""
    assert analyze("LDM-503-04b", KEY_ANALYZER) == ["ldm-503-04b", "ldm-503"]
    assert analyze("LDM-503-EFDb", TEXT_ANALYZER) == ["ldm-503-efdb", "ldm-503"]
    assert analyze("DM-NCSA-5", KEY_ANALYZER) == ["dm-ncsa-5"]


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("1.02C.03.04", "1.02C.03.04"),
        ("02C.03.04", "1.02C.03.04"),
        ("02c.06", "1.02C.06"),
        ("1.02C", "1.02C"),
        ("02C", None),
        ("1.02C.03.04.05.06.07", None),
        ("2017.10", None),
    ],
)
def test_one_wbs_grammar(text, canonical):
    assert identifiers.canonical_wbs(text) == canonical
    assert wbs.canonical(text) == canonical
    assert bool(re.fullmatch(openapi.WBS_PATTERN, text)) == bool(canonical)
    assert analyze(text, WBS_ANALYZER, mode="query") == ([canonical.lower()] if canonical else [])


def _schedule_report(builder, tmp_path):
    """An HTML rendition naming every exported ID in a sentence and in a milestone table row."""
    milestones, cycles, tickets = _ids("milestone"), _ids("cycle"), _ids("ticket")
    rows = [builder.GroupRow("Project-controls baseline")] + [
        builder.MilestoneRow([m.id], m.name or "Milestone", "Baseline date.", m.date)
        for m in milestones
    ]
    table = builder.MilestoneTable(["ID", "Description", "Due Date"], rows)
    sentences = [f"This month the team worked towards {m.id} ({m.name})." for m in milestones]
    sentences += [f"The work is tracked in {t.id}." for t in tickets]
    sentences += [f"It is planned for the {c.id} cycle marker." for c in cycles]
    nodes = [
        builder.Heading(1, "Milestone Summary"),
        builder.Heading(3, "Delayed Milestones"),
        table,
        builder.Heading(1, "Detailed Project Progress"),
        builder.Heading(2, "1.02C.07: LSST Data Facility"),
        builder.Heading(3, "Current accomplishments"),
        *(builder.Paragraph([builder.Run(s)]) for s in sentences),
    ]
    title = "Large Synoptic Survey Telescope Data Management Monthly Report"
    doc = builder.Document(title=title, month="March 2018", nodes=nodes)
    path = tmp_path / "schedule-2018-03.html"
    builder.render_html(doc, path)
    return load_report(path)


@pytest.fixture(scope="module")
def schedule_report(builder, tmp_path_factory):
    return _schedule_report(builder, tmp_path_factory.mktemp("schedule"))


def test_every_exported_milestone_is_a_milestone_in_text_and_table(schedule_report):
    kinds = {}
    for ref in schedule_report.references:
        kinds.setdefault(ref.key, set()).add(ref.kind)
    milestones = _ids("milestone")
    assert [m.id for m in milestones if kinds.get(m.id) != {"milestone"}] == []
    rows = {m.id: m for m in schedule_report.milestones}
    assert [m.id for m in milestones if m.id not in rows] == []
    assert [m.id for m in milestones if rows[m.id].due != (m.date or None)] == []
    assert rows["DM-NCSA-27"].title == "Deliver header service code"
    assert rows["DM-NCSA-27"].due == "2017-12-29"
    assert rows["T&SC-1100-0900"].group == "Project-controls baseline"


def test_tickets_stay_tickets_and_cycle_markers_are_none(schedule_report):
    kinds = {ref.key: ref.kind for ref in schedule_report.references}
    assert {kinds.get(t.id) for t in _ids("ticket")} == {"jira"}
    assert [c.id for c in _ids("cycle") if c.id in kinds] == []
    assert len(schedule_report.milestones) == EXPORT_COUNTS["milestone"]


# A sample of the query side: each form of the exports, and every 25th ID.
QUERY_SAMPLE = ("DM-NCSA-27", "dm-drp-1", "DM-AP-14", "DM-SQRE-5", "LDM-503-04b", "LDM-503-11a")
QUERY_SAMPLE += ("LSST-1520", "COMC-1264", "CAMM6995", "T&SC-1100-0900", "DMTC-7400-0815")


def test_search_finds_each_identifier(schedule_report, tmp_path):
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(schedule_report)
    sample = [*QUERY_SAMPLE, *(m.id for m in _ids("milestone")[::25])]
    missing = []
    for query in sample:
        key = normalise_key(query)
        result = search(index, SearchRequest(q=query))
        kinds = {hit.kind for hit in result.hits}
        rows = [hit for hit in result.hits if hit.kind == "milestone"]
        sections = [hit for hit in result.hits if hit.kind == "section"]
        if kinds != {"section", "milestone"} or [r.milestone_id for r in rows] != [key]:
            missing.append((query, result.total))
        elif key not in sections[0].snippet_text:
            missing.append((query, sections[0].snippet_text[:80]))
    assert missing == []
    # The document finds its parts; an ID of no report finds nothing.
    parts = search(index, SearchRequest(q="LDM-503", kind=["milestone"]))
    assert {hit.milestone_id for hit in parts.hits} >= {"LDM-503-04b", "LDM-503-11a"}
    assert search(index, SearchRequest(q="DM-NCSA-99")).total == 0


# Spellings of the key and WBS grammars (a prefix class, a WBS level, a known prefix):
# a pattern holding one outside ingest/identifiers.py is a private copy of the grammar.
_GRAMMAR_FRAGMENTS = re.compile(
    r"\[A-Z\]\[A-Z0-9|\[A-Z\]\{|\[A-Z\]\+-|\[A-Z\]\*-|\[A-Z0-9\]\*\[-_\]"
    r"|(?:\\d|\[0-9\])\{2\}\[A-Z\]|02C|DMTC|DLP-|LDM-|DM-\["
)
_RE_FUNCTIONS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "split"}


def _pattern_texts(path):
    """The literal text of every pattern a module hands to `re`."""
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _RE_FUNCTIONS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
        ):
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield node.lineno, part.value


def test_no_private_copy_of_the_grammar():
    root = CORPUS_HTML.parents[1]
    copies = [
        f"{path.relative_to(root)}:{line}: {text}"
        for package in ("ingest", "search", "web", "dmreports")
        for path in sorted((root / package).rglob("*.py"))
        if path != root / "ingest" / "identifiers.py"
        for line, text in _pattern_texts(path)
        if _GRAMMAR_FRAGMENTS.search(text)
    ]
    assert copies == []


def test_the_guard_sees_a_copy(tmp_path):
    """The grammar guard finds the copies it is there to find (the old split_ids key start)."""
    module = tmp_path / "copy.py"
    module.write_text('import re\n_KEY = re.compile(r"^[A-Z][A-Z0-9]*[-_][A-Z0-9]")\n')
    assert [text for _, text in _pattern_texts(module) if _GRAMMAR_FRAGMENTS.search(text)] == [
        "^[A-Z][A-Z0-9]*[-_][A-Z0-9]"
    ]
    module.write_text('import re\nWBS = re.compile(r"1\\.[0-9]{2}[A-Z]")\n')
    assert len([t for _, t in _pattern_texts(module) if _GRAMMAR_FRAGMENTS.search(t)]) == 1
