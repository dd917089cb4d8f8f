"""The engine answers as Whoosh's own searcher does.

search/engine.py matches and ranks over NumPy arrays instead of Whoosh's
matchers. On the multi-month fixture (the real October 2017 report and three
months derived from it), for term, boolean, phrase, field and range queries,
its totals, its top 20 and its scores equal `searcher.search()` over the same
index (Whoosh's exact ranking), restricted to the kinds a search returns: in
one segment, and in an index of several segments with a replaced report
(deleted documents).
"""

from __future__ import annotations

import pytest

from ingest.pipeline import load_report
from search import Index, SearchRequest, search
from search.engine import Matcher, arrays_for
from search.query import check_wildcards, parse_query
from tests.fixtures.months import marker, write_month, write_months

TERMS = [
    "qserv",
    "butler",
    "pipelines",
    "DM-12256",
    "DLP-472",
    "LDM-503-2",
    "DMTN-057",
    "02C.03.04",
    "title:pipeline",
    "element:science",
    marker("2017-08"),
]
BOOLEANS = [
    "data butler",
    "butler OR qserv",
    "butler AND qserv",
    "qserv -kubernetes",
    "(alert OR image) pipeline",
    "NOT butler",
    "butler NOT qserv",
    "NOT butler NOT qserv",
    "butler OR (NOT qserv)",
]
PHRASES = [
    '"data butler"',
    '"alert production"',
    '"image differencing"',
    'title:"data facility"',
    '"data butler" OR "alert production"',
    '"HSC reprocessing" OR qserv',
]
FIELDS = [
    "wbs:02C.06",
    "wbs:02C.06 butler",
    "part:planned",
    "kind:milestone",
    "status:delayed",
    "ref:DM-12256",
    "ref_kind:technote",
    "id:DLP-472",
    "year:2017",
    "month:2017-10",
]
RANGES = [
    "month:[2017-08 TO 2017-09]",
    "month:[2017-09 TO 2017-11] qserv",
    "due:[2017-01-01 TO 2017-12-31]",
    "pipel*",
]
QUERIES = TERMS + BOOLEANS + PHRASES + FIELDS + RANGES
TOP = 20


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> dict[str, Index]:
    """The fixture months in one segment, and in several with a replaced report."""
    root = tmp_path_factory.mktemp("oracle")
    paths = write_months(root / "src")
    one = Index.open(root / "one", create=True)
    with one.writer() as writer:
        for path in paths:
            writer.add_report(load_report(path))
    several = Index.open(root / "several", create=True)
    for path in paths:
        several.add_report(load_report(path))
    # November replaced by a PDF rendering of itself: its old documents stay, deleted.
    november = write_month(root / "pdf", "2017-11", fmt="pdf")
    replaced = next(i for i in several.report_files().values() if i.month == "2017-11")
    several.add_report(load_report(november), replaced.id)
    return {"one segment": one, "several segments": several}


def _kinds():
    return parse_query("kind:section OR kind:milestone")[0]


def test_the_indexes_are_what_the_comparison_needs(indexes):
    with indexes["one segment"].reading() as snap:
        assert len(snap.searcher.reader().leaf_readers()) == 1
    with indexes["several segments"].reading() as snap:
        reader = snap.searcher.reader()
        assert len(reader.leaf_readers()) > 1
        assert reader.doc_count() < reader.doc_count_all()
    for index in indexes.values():
        assert search(index, SearchRequest(q=marker("2017-11"))).total == 1


@pytest.mark.parametrize("name", ["one segment", "several segments"])
@pytest.mark.parametrize("text", QUERIES)
def test_totals_top_and_scores_are_whooshs(indexes, name, text):
    index = indexes[name]
    result = search(index, SearchRequest(q=text, per_page=TOP))
    with index.reading() as snap:
        q, notice = parse_query(text)
        assert notice is None
        q = check_wildcards(q, snap.searcher)
        # Whoosh's exact ranking: with a limit it skips posting blocks by an
        # estimated best score, and can drop documents tied with the last kept.
        ranked = snap.searcher.search(q, filter=_kinds(), limit=None)
        expected = list(ranked)[:TOP]
        scores = Matcher(snap.searcher, arrays_for(snap.searcher, snap.cache)).scores(q)
        assert result.total == len(ranked) > 0
        assert [hit.id for hit in result.hits] == [hit["doc_id"] for hit in expected]
        for hit in expected:
            assert scores[hit.docnum] == pytest.approx(hit.score, rel=1e-12, abs=1e-12)
        assert [hit.score for hit in result.hits] == [round(hit.score, 4) for hit in expected]
