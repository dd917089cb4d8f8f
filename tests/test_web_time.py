"""Time as one facet, month ranges, identifiers as results and CSV twins (Flask test client).

Two indexes of TEST FIXTURES derived from the real October 2017 report: the
four-month one (2017-08..11, tests/web_support.py) and one across a new year
(2017-11, 2017-12, 2018-01) built here, where a year and the months of
another can be chosen together.
"""

from __future__ import annotations

import csv
import io

import pytest
from jsonschema import Draft202012Validator

from ingest.pipeline import load_report
from search import Index
from tests.fixtures.months import write_months
from tests.web_support import MONTH_ID, get_json, months_app
from web import create_app

NEW_YEAR_MONTHS = ("2017-11", "2017-12", "2018-01")
# The fixture sections under 02C.06 cite these JIRA tickets in every month (tests/expected).
TICKETS_02C06 = [
    "DM-11677",
    "DM-11795",
    "DM-12069",
    "DM-12204",
    "DM-12308",
    "DM-12360",
    "DM-12361",
    "DM-12362",
    "DM-12363",
    "DM-12364",
    "DM-12382",
    "DM-9737",
    "DM-9929",
]


@pytest.fixture(scope="session")
def client(tmp_path_factory):
    return months_app(tmp_path_factory).test_client()


@pytest.fixture(scope="module")
def new_year(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-new-year")
    index = Index.open(root / "index", create=True)
    with index.writer() as writer:
        for path in write_months(root / "src", months=NEW_YEAR_MONTHS):
            writer.add_report(load_report(path))
    return create_app(root / "index").test_client()


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/api/openapi.json").get_json()


def tree(data: dict) -> list[tuple]:
    return [
        (
            g["value"],
            g["count"],
            g["selected"],
            [(m["value"], m["count"], m["selected"]) for m in g["months"]],
        )
        for g in data["month_groups"]
    ]


def assert_valid(openapi: dict, name: str, instance) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    Draft202012Validator(schema).validate(instance)


def test_a_year_and_the_months_of_another_add_up_instead_of_trapping(new_year):
    # Qserv in November and December 2017: 5 hits each.
    data = get_json(new_year, "/search.json?q=qserv&month=2017-11&month=2017-12")
    assert data["total"] == 10
    assert tree(data) == [
        ("2018", 5, False, [("2018-01", 5, False)]),
        ("2017", 10, False, [("2017-12", 5, True), ("2017-11", 5, True)]),
    ]
    # Choosing 2018 adds its 5 hits (the count said so); nothing drops to 0.
    year = data["month_groups"][0]
    assert year["url"] == "/?q=qserv&month=2017-11&month=2017-12&year=2018"
    after = get_json(new_year, "/search.json" + year["url"][1:])
    assert after["total"] == 15
    assert tree(after) == [
        ("2018", 5, True, [("2018-01", 5, True)]),
        ("2017", 10, False, [("2017-12", 5, True), ("2017-11", 5, True)]),
    ]


@pytest.mark.parametrize(
    "start",
    [
        "q=qserv",
        "q=qserv&month=2017-12",
        "q=qserv&month=2017-11&month=2018-01",
        "q=qserv&year=2017",
        "q=qserv&year=2017&month=2017-12",
        "q=qserv&year=2018&month=2017-11",
        "q=DCR&kind=section&year=2017&year=2018",
    ],
)
def test_every_time_choice_offered_gives_what_it_says(new_year, start):
    data = get_json(new_year, f"/search.json?{start}")
    offered = [v for g in data["month_groups"] for v in [g, *g["months"]]]
    assert offered
    for value in offered:
        assert value["count"] > 0, value
        after = get_json(new_year, "/search.json" + value["url"][1:])
        assert after["total"] == value["gives"] > 0, (start, value["url"])


def test_a_month_inside_a_selected_year_narrows_it(new_year):
    whole = get_json(new_year, "/search.json?q=qserv&year=2017")
    assert whole["total"] == 10
    # A selected year selects its months; each month's link narrows the year to it.
    assert tree(whole)[1] == ("2017", 10, True, [("2017-12", 5, True), ("2017-11", 5, True)])
    november = whole["month_groups"][1]["months"][1]
    assert november["url"] == "/?q=qserv&month=2017-11&year=2017"
    narrowed = get_json(new_year, "/search.json?q=qserv&month=2017-11&year=2017")
    assert narrowed["total"] == 5
    assert {h["month"] for h in narrowed["hits"]} == {"2017-11"}
    assert narrowed["month_groups"][1]["narrowed"] is True
    # Choosing the year again drops it and its months; choosing it anew drops the narrowing.
    assert narrowed["month_groups"][1]["url"] == "/?q=qserv"
    only = get_json(new_year, "/search.json?q=qserv&month=2017-11")
    assert only["month_groups"][1]["url"] == "/?q=qserv&year=2017"


def test_a_from_to_range_filters_and_is_a_removable_chip(new_year):
    data = get_json(new_year, "/search.json?q=qserv&from=2017-12&to=2018-01")
    assert data["total"] == 10
    assert {h["month"] for h in data["hits"]} == {"2017-12", "2018-01"}
    assert [(g["value"], g["count"]) for g in data["month_groups"]] == [("2018", 5), ("2017", 5)]
    (chip,) = data["chips"]
    assert (chip["facet"], chip["label"], chip["url"]) == (
        "range",
        "December 2017 to January 2018",
        "/?q=qserv",
    )
    assert (data["range"]["from"], data["range"]["to"]) == ("2017-12", "2018-01")
    assert [o["value"] for o in data["range"]["months"]] == list(NEW_YEAR_MONTHS)
    # Open at one end, and the ends swapped when given the wrong way round.
    assert get_json(new_year, "/search.json?q=qserv&from=2017-12")["total"] == 10
    assert get_json(new_year, "/search.json?q=qserv&to=2017-12")["total"] == 10
    swapped = get_json(new_year, "/search.json?q=qserv&from=2018-01&to=2017-12")
    assert (swapped["total"], swapped["range"]["from"]) == (10, "2017-12")
    page = new_year.get("/?q=qserv&from=2017-12").get_data(as_text=True)
    assert '<option value="2017-12" selected>December 2017</option>' in page
    assert "Months: from December 2017" in page
    assert new_year.get("/search.json?from=2017-13").status_code == 400


def test_a_typed_month_range_is_shown_as_a_chip_that_removes_it(new_year):
    data = get_json(new_year, "/search.json?q=month:[2017-12 TO 2018-01] qserv")
    assert data["total"] == 10
    (chip,) = data["chips"]
    assert (chip["facet"], chip["label"], chip["url"]) == (
        "query_range",
        "December 2017 to January 2018",
        "/?q=qserv",
    )
    open_end = get_json(new_year, "/search.json?q=qserv month:[2017-12 TO]")
    assert open_end["chips"][0]["label"] == "from December 2017"


def test_chart_bars_add_a_month_to_the_selection(new_year):
    data = get_json(new_year, "/search.json?q=qserv&month=2017-11")
    assert [(b["month"], b["selected"], b["url"]) for b in data["chart"]] == [
        ("2017-11", True, "/?q=qserv"),
        ("2017-12", False, "/?q=qserv&month=2017-11&month=2017-12"),
        ("2018-01", False, "/?q=qserv&month=2017-11&month=2018-01"),
    ]
    page = new_year.get("/?q=qserv").get_data(as_text=True)
    # Out of the Tab order: the Time facet does the same from the keyboard.
    assert page.count('tabindex="-1" aria-label=') == 3


def test_the_references_view_lists_exactly_the_distinct_tickets(client, openapi):
    url = "/search.json?view=refs&ref_kind=jira&wbs=02C.06&year=2017"
    data = get_json(client, url)
    assert_valid(openapi, "SearchPage", data)
    refs = data["refs"]
    assert data["total"] == 8 and refs["documents"] == 8
    assert [r["key"] for r in refs["references"]] == TICKETS_02C06
    assert refs["total"] == 13
    assert {r["kind"] for r in refs["references"]} == {"jira"}
    first = refs["references"][0]
    assert first == {
        "key": "DM-11677",
        "kind": "jira",
        "kind_label": "JIRA ticket",
        "sections": 4,
        "first_month": "2017-08",
        "last_month": "2017-11",
        "first_month_label": "August 2017",
        "last_month_label": "November 2017",
        "url": "/ref/DM-11677",
    }
    # The same keys as the hits cite, de-duplicated (every hit of the search).
    keys = set()
    for n in range(1, 2):
        hits = get_json(client, f"/api/search?ref_kind=jira&wbs=02C.06&year=2017&page={n}")
        keys |= {r["key"] for h in hits["hits"] for r in h["references"] if r["kind"] == "jira"}
    assert keys == set(TICKETS_02C06)
    # Every link of the view keeps it.
    assert refs["kinds"][0]["url"] == "/?wbs=1.02C.06&year=2017&view=refs"
    by_key = get_json(client, url + "&ref_sort=key")["refs"]["references"]
    assert [r["key"] for r in by_key][:2] == ["DM-9737", "DM-9929"]


def test_the_references_view_counts_kinds_before_narrowing_to_one(client):
    data = get_json(client, "/search.json?view=refs&q=qserv")
    kinds = {k["value"]: k["count"] for k in data["refs"]["kinds"]}
    assert kinds == {"jira": 11, "milestone": 12}
    assert data["refs"]["total"] == 23
    tickets = get_json(client, "/search.json?view=refs&q=qserv&ref_kind=jira")
    assert tickets["refs"]["total"] == 11
    assert all(r["kind"] == "jira" for r in tickets["refs"]["references"])
    page = client.get("/?view=refs&q=qserv&ref_kind=jira").get_data(as_text=True)
    assert '<a href="/ref/DM-' in page and "11 identifiers cited in" in page
    assert client.get("/search.json?view=nope").status_code == 400


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_search_csv_has_every_hit_not_one_page(client):
    total = get_json(client, "/api/search?kind=section&month=2017-10&month=2017-11")["total"]
    assert total > 100  # more than the largest page
    rows = read_csv(client.get("/search.csv?kind=section&month=2017-10&month=2017-11"))
    assert len(rows) == total
    assert list(rows[0]) == ["report", "month", "wbs", "part", "title", "page", "url", "keys"]
    oct_id = MONTH_ID.format(month="2017-10")
    cited = next(r for r in rows if r["url"].endswith(f"{oct_id}#1.02C.03.00/accomplishments"))
    assert cited["report"] == oct_id
    assert (cited["month"], cited["wbs"], cited["part"]) == (
        "2017-10",
        "1.02C.03.00",
        "accomplishments",
    )
    assert cited["url"] == f"http://localhost/reports/{oct_id}#1.02C.03.00/accomplishments"
    assert "DM-12256" in cited["keys"].split()
    # The same order as the page.
    first_page = get_json(
        client, "/api/search?kind=section&month=2017-10&month=2017-11&per_page=100"
    )
    assert [r["url"].removeprefix("http://localhost") for r in rows[:100]] == [
        h["url"] for h in first_page["hits"]
    ]


def test_the_references_csv_and_the_milestone_csvs(client):
    refs = read_csv(client.get("/search.csv?view=refs&ref_kind=jira&wbs=02C.06&year=2017"))
    assert [r["key"] for r in refs] == TICKETS_02C06
    assert refs[0] == {
        "key": "DM-11677",
        "kind": "jira",
        "sections": "4",
        "first_month": "2017-08",
        "last_month": "2017-11",
        "url": "http://localhost/ref/DM-11677",
    }
    listed = read_csv(client.get("/milestones.csv?sort=slip_days"))
    assert len(listed) == get_json(client, "/milestones.json")["total"]
    assert (listed[0]["id"], listed[0]["slips"], listed[0]["slip_days"]) == ("DLP-472", "2", "410")
    assert (listed[-1]["id"], listed[-1]["pull_ins"], listed[-1]["slip_days"]) == (
        "DLP-802",
        "1",
        "-61",
    )
    history = read_csv(client.get("/milestones/DLP-802.csv"))
    assert [(r["month"], r["due"], r["change"], r["shift_days"]) for r in history] == [
        ("2017-08", "2017-01-30", "unchanged", "0"),
        ("2017-09", "2017-01-30", "unchanged", "0"),
        ("2017-10", "2016-11-30", "pulled in", "-61"),
        ("2017-11", "2016-11-30", "unchanged", "0"),
    ]
    assert history[2]["previous_due"] == "2017-01-30"
    assert client.get("/milestones/dlp-802.csv").status_code == 301
    assert client.get("/milestones/DLP-1.csv").status_code == 404


def test_every_csv_twin_is_in_the_openapi_document(client, openapi):
    paths = openapi["paths"]
    for path in ("/search.csv", "/milestones.csv", "/milestones/{mid}.csv"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["text/csv"], path
        assert path.replace(".csv", ".json") in paths
    names = {p["name"] for p in paths["/search.csv"]["get"]["parameters"]}
    assert {"view", "ref_kind", "from", "to"} <= names and "per_page" not in names


def test_a_too_broad_pattern_keeps_the_search_page(client, monkeypatch):
    from search import query

    monkeypatch.setattr(query, "MAX_WILDCARD_TERMS", 3)
    response = client.get("/?q=d*&wbs=02C.06")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert">d* matches more than 3 terms; make the pattern longer' in page
    assert "title:" not in page and "text:" not in page
    assert 'id="q" name="q" type="search" value="d*"' in page
    assert 'class="facet-value' in page  # the filters stay, to widen or narrow
    body = client.get("/search.json?q=d*").get_json()
    assert body == {
        "error": "d* matches more than 3 terms; make the pattern longer or the range narrower"
    }
