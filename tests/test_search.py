"""The search layer on the real October 2017 report and on multi-month test fixtures."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from ingest.pipeline import load_report
from search import (
    Index,
    IndexBusy,
    IndexCorrupt,
    IndexMissing,
    IndexOutdated,
    QueryError,
    SearchRequest,
    search,
    snippets,
)
from search.engine import FEW_MATCHED, FacetArrays
from search.query import parse_query
from search.schema import TEXT_ANALYZER, TOKEN_RE, WBS_ANALYZER, analyze
from tests.fixtures.months import FIXTURE_MONTHS, marker, write_months

OCT = "lsst-dm-monthly-report-2017-10"


@pytest.fixture(scope="session")
def october(tmp_path_factory, pdf_report) -> Index:
    """An index holding the real October 2017 report (parsed from the corpus PDF)."""
    index = Index.open(tmp_path_factory.mktemp("october") / "index", create=True)
    index.add_report(pdf_report)
    return index


@pytest.fixture(scope="session")
def months(tmp_path_factory) -> Index:
    """An index of four months: the real October report and three test fixtures."""
    root = tmp_path_factory.mktemp("months")
    index = Index.open(root / "index", create=True)
    with index.writer() as writer:
        for path in write_months(root / "src"):
            writer.add_report(load_report(path))
    return index


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def run(index: Index, q: str = "", **kw):
    return search(index, SearchRequest(q=q, **kw))


def facet(result, name: str) -> dict[str, tuple[int, bool]]:
    return {v.value: (v.count, v.selected) for v in result.facets[name].values}


# --- relevance on the real report --------------------------------------------------

RANKED_FIRST = [
    ("DM-12256", "1.02C.03.00/accomplishments"),
    ("source association", "1.02C.03.02/accomplishments"),
    ("AssociationTask", "1.02C.03.02/accomplishments"),
    ("image differencing", "1.02C.03.04/accomplishments"),
    ("02C.04.06", "1.02C.04.06/accomplishments"),
    ("DMTN-037", "1.02C.03.04/planned"),
    ('"HSC reprocessing"', "1.02C.04.00/planned"),
    ("LDM-503-2", "1.02C.04.00/planned"),
    ("Butler Working Group", "1.02C.04.01/planned"),
    ("wbs:02C.06 butler", "1.02C.06.02.01/planned"),
    ("Qserv Kubernetes", "1.02C.06.02.03/planned"),
    ("jointcal", "1.02C.03.07/accomplishments"),
    ("risk register", "risk-management"),
    ("SQuaSH", "1.02C.10/accomplishments"),
    ("LSST Data Facility", "1.02C.07.05/accomplishments"),
    ("camera", "milestone/DLP-366"),
    ("ICD", "milestone/DLP-538"),
    ("part:recruitment database", "1.02C.07/recruitment"),
    ("kind:milestone qserv", "milestone/DLP-472"),
]


@pytest.mark.parametrize(("query", "first"), RANKED_FIRST)
def test_expected_section_ranks_first(october, query, first):
    result = run(october, query)
    assert result.hits, query
    assert result.hits[0].id == f"{OCT}#{first}"


def test_heading_words_outweigh_body_words(october):
    # "Image Differencing Pipeline" is 02C.03.04's title; the Alert Production
    # recruitment note mentions image differencing only in its text.
    result = run(october, "image differencing")
    assert ids(result)[:2] == [
        f"{OCT}#1.02C.03.04/accomplishments",
        f"{OCT}#1.02C.03.04/planned",
    ]
    assert f"{OCT}#1.02C.03/recruitment" in ids(result)[2:]


# --- identifiers and WBS codes -----------------------------------------------------


def test_identifiers_are_single_tokens():
    assert analyze("see DM-12256, LDM-503-2 and DMTN-057.") == [
        "see",
        "dm-12256",
        "ldm-503-2",
        "ldm-503",
        "dmtn-057",
    ]
    assert analyze("DM_12305") == ["dm-12305"]
    assert analyze("02C.03.04 and 1.02c.03.04", WBS_ANALYZER) == [
        "1.02c.03.04",
        "1.02c",
        "1.02c.03",
        "1.02c.03.04",
        "1.02c",
        "1.02c.03",
    ]
    assert analyze("pipelines", TEXT_ANALYZER) == analyze("pipeline", TEXT_ANALYZER)


def test_ticket_key_is_exact_and_case_insensitive(october):
    assert ids(run(october, "DM-12256")) == [f"{OCT}#1.02C.03.00/accomplishments"]
    assert ids(run(october, "dm-12256")) == ids(run(october, "DM-12256"))
    assert ids(run(october, "DM_12256")) == ids(run(october, "DM-12256"))
    assert ids(run(october, "ref:DM-12256")) == ids(run(october, "DM-12256"))
    # A prefix of a key is another key, not a partial match.
    assert run(october, "DM-1225").total == 0
    assert run(october, "12256").total == 0


def test_document_key_finds_its_numbered_parts(october):
    found = set(ids(run(october, "LDM-503", per_page=100)))
    assert {
        f"{OCT}#1.02C.03.00/planned",  # LDM-503-3
        f"{OCT}#1.02C.04.00/planned",  # LDM-503-2
        f"{OCT}#1.02C.07.08/planned",  # LDM-503-2
    } <= found
    assert set(ids(run(october, "LDM-503-2", per_page=100))) < found


def test_short_wbs_code_finds_the_canonical_code(october):
    short = run(october, "02C.03.04")
    assert ids(short) == ids(run(october, "1.02C.03.04"))
    assert ids(short) == [f"{OCT}#1.02C.03.04/accomplishments", f"{OCT}#1.02C.03.04/planned"]


def test_wbs_filter_covers_everything_below_the_element(october):
    result = run(october, "", wbs=["02C.06"], per_page=100)
    assert result.total == 17
    assert {hit.wbs for hit in result.hits} >= {"1.02C.06.02.01", "1.02C.06.02.03"}
    assert all(hit.wbs.startswith("1.02C.06") for hit in result.hits)
    assert run(october, "wbs:02C.06").total == 17


def test_milestone_rows_are_documents(october):
    result = run(october, "id:DLP-472")
    assert len(result.hits) == 1
    hit = result.hits[0]
    assert (hit.kind, hit.milestone_id, hit.due, hit.status) == (
        "milestone",
        "DLP-472",
        "2017-05-31",
        "delayed",
    )
    assert hit.group == "Science Data Archive & Application Services"
    assert run(october, "kind:milestone").total == 11
    assert run(october, "status:delayed").total == 11


# --- the query language ------------------------------------------------------------


def test_stemming(october):
    assert run(october, "pipelines").total == run(october, "pipeline").total == 26


def test_phrase_is_narrower_than_its_words(october):
    phrase = set(ids(run(october, '"data butler"', per_page=100)))
    words = set(ids(run(october, "data butler", per_page=100)))
    assert (len(phrase), len(words)) == (4, 7)
    assert phrase < words
    assert f"{OCT}#1.02C.06.02.01/planned" in phrase


def test_boolean_operators(october):
    butler, qserv = run(october, "butler").total, run(october, "qserv").total
    assert (butler, qserv) == (8, 5)
    assert run(october, "butler OR qserv").total == 12
    assert run(october, "butler AND qserv").total == 1
    everything = run(october).total
    assert everything == 109
    assert run(october, "NOT butler").total == everything - butler
    assert run(october, "-butler").total == everything - butler
    assert run(october, "-butler -qserv").total == everything - 12
    assert run(october, "pipeline -butler").total == 25


def test_malformed_query_falls_back_to_its_words(october):
    for query in ['"DCR', "DCR)", "(DCR", "DCR month:[2017-06", "AND DCR", "wbs: DCR"]:
        result = run(october, query)
        assert result.notice and "searched for any of its words" in result.notice, query
        assert f"{OCT}#1.02C.03.04/accomplishments" in ids(result), query
    assert run(october, "DCR").notice is None


def test_quoted_values_and_phrases_joined_by_operators_are_read_as_written(october):
    # A phrase is a value of its own: no "field name without a value", no "dangling OR".
    titled = run(october, 'title:"image differencing"')
    assert titled.notice is None
    assert ids(titled) == [f"{OCT}#1.02C.03.04/accomplishments", f"{OCT}#1.02C.03.04/planned"]
    either = run(october, '"image differencing" OR "data butler"')
    assert either.notice is None
    assert either.total == (
        run(october, '"image differencing"').total + run(october, '"data butler"').total
    )


def test_unknown_field_name_is_plain_text(october):
    assert run(october, "foo:butler").notice is None


def test_did_you_mean_suggests_only_what_finds_something(october):
    result = run(october, "pipline")
    assert result.total == 0
    assert result.suggestion == "pipeline"
    assert run(october, "Qserb Kubernetes").suggestion == "Qserv Kubernetes"
    assert run(october, "pipeline").suggestion is None
    assert run(october, "zzzzqqqq").suggestion is None


def test_snippets_mark_matches_and_escape_text(october, tmp_path, pdf_report):
    hit = run(october, "DM-12256").hits[0]
    assert "<mark>DM-12256</mark>" in hit.snippet
    assert "<mark>" not in hit.snippet_text
    # A report whose text holds markup: it is escaped, never passed through.
    section = dataclasses.replace(
        pdf_report.sections[0], text='Payload <script>alert("x")</script> & DCR'
    )
    hostile = dataclasses.replace(pdf_report, sections=(section,), source="hostile.html")
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(hostile)
    snippet = run(index, "DCR").hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "&amp; <mark>DCR</mark>" in snippet


def _token_matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    # The definition: every token of the text whose index forms meet the terms.
    return [m.span() for m in TOKEN_RE.finditer(text) if not terms.isdisjoint(analyze(m[0]))]


def test_snippet_matches_are_the_tokens_that_meet_the_terms(pdf_report):
    term_sets = [
        frozenset(analyze("alert production pipelines", mode="query")),
        frozenset({"dm-12256", "ldm-503", "1.02c.03"}),
        frozenset(analyze("qserv data distribution", mode="query")),
    ]
    texts = [section.text for section in pdf_report.sections]
    assert sum(len(text) for text in texts) > 40_000
    # Each token's forms through the one-pass analyzer are the Whoosh analyzer's terms.
    tokens = {m[0] for text in texts for chunk in text.split(" ") for m in TOKEN_RE.finditer(chunk)}
    tokens |= {"DM-12256", "LDM-503-2", "02C.03.04", "the", "a", "Ångström", "x.y.z"}
    assert len(tokens) > 1500
    for token in tokens:
        assert snippets._forms(token) == frozenset(analyze(token)), token
    for terms in term_sets:
        found = [snippets._matches(text, terms) for text in texts]
        assert found == [_token_matches(text, terms) for text in texts]
        assert sum(map(len, found)) >= 5
    # Tabs, line breaks, runs of spaces and punctuation around a key; a key inside a word.
    text = "DM-12256,\tdm-12256  fixed\n(DM-12256) xDM-12256 DM-12256"
    assert snippets._matches(text, frozenset({"dm-12256"})) == [
        (0, 8),
        (10, 18),
        (27, 35),
        (47, 55),
    ]


def test_wildcards_are_capped(october, monkeypatch):
    assert run(october, "pipel*").total == 26
    monkeypatch.setattr("search.query.MAX_WILDCARD_TERMS", 20)
    with pytest.raises(QueryError, match="more than 20 terms"):
        run(october, "s*")


def test_request_values_are_checked():
    for kw, message in [
        ({"sort": "best"}, "sort must be one of"),
        ({"page": 0}, "page must be"),
        ({"per_page": 1000}, "per_page must be"),
        ({"month": ["October"]}, "month must be YYYY-MM"),
        ({"wbs": ["02X"]}, "wbs must be a WBS code"),
        ({"part": ["summary"]}, "part must be"),
        ({"q": "x" * 1001}, "longer than"),
    ]:
        with pytest.raises(QueryError, match=message):
            SearchRequest(**kw)
    assert SearchRequest(wbs=["02C.03.04"]).wbs == ("1.02C.03.04",)


# --- facets, months, sorting and pages ---------------------------------------------


def test_facet_counts_on_the_real_report(october):
    result = run(october)
    assert facet(result, "part") == {
        "accomplishments": (45, False),
        "planned": (43, False),
        "recruitment": (7, False),
    }
    assert facet(result, "kind") == {"section": (98, False), "milestone": (11, False)}
    wbs = facet(result, "wbs")
    assert wbs["1.02C.03"] == (19, False)
    assert wbs["1.02C.06"] == (17, False)
    labels = {v.value: v.label for v in result.facets["wbs"].values}
    assert labels["1.02C.03"] == "Alert Production"


def test_facet_counts_ignore_their_own_selection(months):
    assert facet(run(months, "DCR"), "month") == {m: (2, False) for m in FIXTURE_MONTHS}
    chosen = run(months, "DCR", month=["2017-10"])
    assert chosen.total == 2
    # The other months keep their counts so they can be added to the selection.
    assert facet(chosen, "month") == {m: (2, m == "2017-10") for m in FIXTURE_MONTHS}
    assert facet(chosen, "part") == {"accomplishments": (1, False), "planned": (1, False)}


def test_values_of_one_facet_combine_with_or_and_facets_with_and(months):
    two = run(months, "DCR", month=["2017-10", "2017-09"])
    assert two.total == 4
    assert {hit.month for hit in two.hits} == {"2017-09", "2017-10"}
    both = run(months, "DCR", month=["2017-10", "2017-09"], part=["planned"])
    assert both.total == 2
    assert {(hit.month, hit.part) for hit in both.hits} == {
        ("2017-09", "planned"),
        ("2017-10", "planned"),
    }


def test_wbs_facet_lists_children_of_the_selected_element(months):
    result = run(months, "DCR", month=["2017-10"], wbs=["1.02C.03"])
    values = [(v.value, v.count, v.selected, v.parent) for v in result.facets["wbs"].values]
    assert values == [("1.02C.03", 2, True, None), ("1.02C.03.04", 2, False, "1.02C.03")]


def test_month_ranges_and_years(months):
    assert run(months, "DCR month:[2017-09 TO 2017-10]").total == 4
    assert run(months, "DCR month:[2017-09 TO 2017-11]").total == 6
    assert run(months, "DCR month:2017-11").total == 2
    assert run(months, "DCR year:2017").total == 8
    assert run(months, "DCR year:2016").total == 0
    assert ids(run(months, marker("2017-11"))) == [
        "test-fixture-dm-monthly-report-2017-11#high-level-summary"
    ]


def test_sort_and_pages(months):
    newest = run(months, "id:DLP-472", sort="newest")
    assert [hit.month for hit in newest.hits] == ["2017-11", "2017-10", "2017-09", "2017-08"]
    assert [hit.due for hit in newest.hits] == [
        "2017-12-15",
        "2017-05-31",
        "2016-10-31",
        "2016-10-31",
    ]
    oldest = run(months, "id:DLP-472", sort="oldest")
    assert [hit.month for hit in oldest.hits] == ["2017-08", "2017-09", "2017-10", "2017-11"]
    first = run(months, "", wbs=["02C.03.04"], sort="oldest", per_page=5)
    second = run(months, "", wbs=["02C.03.04"], sort="oldest", per_page=5, page=2)
    assert (first.total, first.pages, len(first.hits), len(second.hits)) == (8, 2, 5, 3)
    assert not set(ids(first)) & set(ids(second))
    assert run(months, "", wbs=["02C.03.04"], per_page=5, page=3).hits == ()


# --- the index on disk -------------------------------------------------------------


def test_missing_and_outdated_index(tmp_path, pdf_report):
    with pytest.raises(IndexMissing):
        Index.open(tmp_path / "nothing")
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(pdf_report)
    pointer = tmp_path / "index" / "CURRENT"
    data = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**data, "schema": data["schema"] + 1}))
    with pytest.raises(IndexOutdated, match="rebuild"):
        Index.open(tmp_path / "index")


def test_one_writer_at_a_time(tmp_path, pdf_report):
    index = Index.open(tmp_path / "index", create=True)
    with index.writer() as writer:
        writer.add_report(pdf_report)
        with pytest.raises(IndexBusy):
            with Index(tmp_path / "index").writer():
                pass
    assert run(index, "DM-12256").total == 1


def test_a_failed_write_leaves_the_previous_state(tmp_path, pdf_report):
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(pdf_report)
    before = ids(run(index, "DCR"))
    with pytest.raises(RuntimeError):
        with index.writer() as writer:
            writer.remove_report(OCT)
            raise RuntimeError("interrupted")
    assert ids(run(index, "DCR")) == before
    assert {s: i.sha256 for s, i in index.report_files().items()} == {
        pdf_report.source: pdf_report.sha256
    }


def test_an_index_that_lost_files_is_named_corrupt(tmp_path, pdf_report):
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(pdf_report)
    generation = json.loads((tmp_path / "index" / "CURRENT").read_text())["generation"]
    for toc in (tmp_path / "index" / f"gen-{generation:06d}").glob("*.toc"):
        toc.unlink()
    with pytest.raises(IndexCorrupt) as error:
        run(index, "DCR")
    assert str(error.value) == (
        f"index damaged: gen-{generation:06d} (_MAIN_{generation}.toc missing); "
        "run `dmreports ingest --full` to rebuild it"
    )


@pytest.mark.parametrize("q", ["deblend*", "pipel* -qserv", "DM-12256 OR LDM-503", "-butler"])
def test_a_repeated_query_text_is_parsed_once_and_answers_the_same(october, q):
    first = run(october, q)
    hits_before = parse_query.cache_info().hits
    again = run(october, q)
    assert parse_query.cache_info().hits > hits_before
    assert ids(again) == ids(first)
    assert [h.score for h in again.hits] == [h.score for h in first.hits]
    assert again.total == first.total > 0


def test_facet_counts_from_matched_documents_equal_counts_from_pairs():
    # Months (one per document) and WBS elements (several per document) of 40 documents.
    size = 40
    months = FacetArrays.of(["2017-09", "2017-10"], [np.array([0, 1, 2]), np.array([3, 5])], size)
    wbs = FacetArrays.of(
        ["1.02c", "1.02c.03", "1.02c.06"],
        [np.array([0, 1, 3, 5, 39]), np.array([0, 3, 39]), np.array([1, 5])],
        size,
    )
    assert months.doc_value is not None and wbs.doc_starts is not None
    few = np.zeros(size, dtype=bool)
    few[[0, 2, 3, 39]] = True  # 4 of 40: counted from these documents' own values
    assert 4 * FEW_MATCHED < size
    many = np.ones(size, dtype=bool)
    many[[1, 2]] = False  # counted from every pair
    for mask, expected_months, expected_wbs in (
        (few, {"2017-09": 2, "2017-10": 1}, {"1.02c": 3, "1.02c.03": 3}),
        (many, {"2017-09": 1, "2017-10": 2}, {"1.02c": 4, "1.02c.03": 3, "1.02c.06": 1}),
    ):
        matched = np.flatnonzero(mask)
        assert months.counts(mask) == months.counts(mask, matched) == expected_months
        assert wbs.counts(mask) == wbs.counts(mask, matched) == expected_wbs
    nothing = np.zeros(size, dtype=bool)
    assert months.counts(nothing, np.flatnonzero(nothing)) == {}
    assert wbs.counts(nothing, np.flatnonzero(nothing)) == {}
