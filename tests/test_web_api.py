"""GET /api/search and /api/openapi.json on the real October 2017 report."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.web_support import OCT_ID, assert_valid, october_app

HIT_KEYS = {
    "id",
    "kind",
    "wbs",
    "wbs_title",
    "month",
    "part",
    "title",
    "snippet",
    "score",
    "url",
    "file_url",
    "page",
    "references",
}
RESULT_KEYS = {
    "query",
    "total",
    "page",
    "per_page",
    "pages",
    "sort",
    "suggestion",
    "notice",
    "hits",
    "facets",
}


@pytest.fixture(scope="session")
def client(tmp_path_factory, pdf_report):
    return october_app(tmp_path_factory, pdf_report).test_client()


@pytest.fixture(scope="session")
def openapi(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def api(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def values(data, facet: str) -> dict[str, tuple[int, bool]]:
    return {v["value"]: (v["count"], v["selected"]) for v in data["facets"][facet]}


def test_ticket_search_has_the_documented_shape(client, openapi):
    data = api(client, q="DM-12256")
    assert set(data) == RESULT_KEYS
    assert data["query"] == "DM-12256"
    assert (data["total"], data["page"], data["per_page"], data["pages"]) == (1, 1, 20, 1)
    assert data["sort"] == "relevance"
    (hit,) = data["hits"]
    assert set(hit) == HIT_KEYS
    assert hit["id"] == f"{OCT_ID}#1.02C.03.00/accomplishments"
    assert hit["kind"] == "section"
    assert hit["wbs"] == "1.02C.03.00"
    assert hit["wbs_title"] == "Alert Production Management Engineering and Integration"
    assert (hit["month"], hit["part"], hit["page"]) == ("2017-10", "accomplishments", 4)
    assert hit["url"] == f"/reports/{OCT_ID}#1.02C.03.00/accomplishments"
    assert hit["file_url"] == f"/files/{OCT_ID}#page=4"
    assert {"key": "DM-12256", "kind": "jira"} in hit["references"]
    assert "<mark>DM-12256</mark>" in hit["snippet"]
    assert set(data["facets"]) == {"wbs", "month", "year", "part", "kind", "ref_kind"}
    assert values(data, "month") == {"2017-10": (1, False)}
    assert data["facets"]["month"][0]["label"] == "October 2017"
    assert_valid(openapi, "SearchResponse", data)


def test_facet_counts_match_the_report(client, expected, openapi):
    data = api(client)
    sections = expected["sections"]
    top_parts = 3  # High-level Summary, Risk Management, Milestone Summary
    assert data["total"] == len(sections) + top_parts + len(expected["milestones"])
    assert values(data, "kind") == {
        "section": (len(sections) + top_parts, False),
        "milestone": (len(expected["milestones"]), False),
    }
    parts = Counter(part for _, part in sections)
    assert values(data, "part") == {p: (n, False) for p, n in parts.items()}
    wbs = values(data, "wbs")
    under = Counter(code[:8] for code, _ in sections)
    assert wbs["1.02C.03"] == (under["1.02C.03"], False) == (19, False)
    assert wbs["1.02C.06"] == (17, False)
    labels = {v["value"]: v["label"] for v in data["facets"]["wbs"]}
    assert labels["1.02C.03"] == "Alert Production"
    assert values(data, "year") == {"2017": (data["total"], False)}
    assert_valid(openapi, "SearchResponse", data)


def test_selected_wbs_element_lists_its_children(client, openapi):
    data = api(client, wbs="02C.03", part="planned")
    assert data["total"] == 9
    children = {v["value"]: v for v in data["facets"]["wbs"] if v["parent"] == "1.02C.03"}
    assert sorted(children) == [f"1.02C.03.0{n}" for n in range(9)]
    assert children["1.02C.03.04"]["label"] == "Image Differencing Pipeline"
    assert children["1.02C.03.04"]["count"] == 1
    selected = [v["value"] for v in data["facets"]["wbs"] if v["selected"]]
    assert selected == ["1.02C.03"]
    assert values(data, "part")["planned"] == (9, True)
    # The part facet's own selection does not narrow its counts.
    assert values(data, "part")["accomplishments"] == (9, False)
    assert_valid(openapi, "SearchResponse", data)


def test_repeated_facet_parameters_combine_with_or(client, expected):
    under = Counter(code[:8] for code, _ in expected["sections"])
    one = api(client, wbs="1.02C.03")["total"]
    other = api(client, wbs="1.02C.04")["total"]
    assert (one, other) == (under["1.02C.03"], under["1.02C.04"])
    both = client.get("/api/search?wbs=1.02C.03&wbs=1.02C.04").get_json()
    assert both["total"] == one + other
    assert [v["value"] for v in both["facets"]["wbs"] if v["selected"]] == ["1.02C.03", "1.02C.04"]


def test_milestone_hit(client, openapi):
    data = api(client, q="kind:milestone qserv")
    hit = data["hits"][0]
    assert hit["id"] == f"{OCT_ID}#milestone/DLP-472"
    assert (hit["kind"], hit["wbs"], hit["part"]) == ("milestone", None, None)
    assert hit["title"] == "Qserv Data Distribution"
    assert hit["references"] == [{"key": "DLP-472", "kind": "milestone"}]
    assert hit["url"] == f"/reports/{OCT_ID}#milestone/DLP-472"
    assert_valid(openapi, "SearchResponse", data)


def test_sorting_paging_and_suggestion(client, openapi):
    first = api(client, q="qserv", per_page=2)
    second = api(client, q="qserv", per_page=2, page=2)
    assert first["total"] == second["total"] > 4
    assert first["pages"] == (first["total"] + 1) // 2
    assert len(first["hits"]) == len(second["hits"]) == 2
    assert {h["id"] for h in first["hits"]}.isdisjoint(h["id"] for h in second["hits"])
    beyond = api(client, q="qserv", page=first["pages"] + 1, per_page=2)
    assert beyond["hits"] == [] and beyond["total"] == first["total"]
    oldest = api(client, q="qserv", sort="oldest")
    assert oldest["sort"] == "oldest"
    misspelled = api(client, q="qserb")
    assert misspelled["suggestion"] == "qserv"
    assert misspelled["total"] == 0
    fallback = api(client, q='"unclosed phrase')
    assert fallback["notice"].startswith("Could not read the query as written")
    for data in (first, second, beyond, oldest, misspelled, fallback):
        assert_valid(openapi, "SearchResponse", data)


BAD_PARAMS = [
    ({"page": "0"}, "page"),
    ({"page": "x"}, "page"),
    ({"page": "-1"}, "page"),
    ({"per_page": "101"}, "per_page"),
    ({"per_page": "0"}, "per_page"),
    ({"sort": "best"}, "sort"),
    ({"month": "2017-13"}, "month"),
    ({"month": "October"}, "month"),
    ({"year": "17"}, "year"),
    ({"wbs": "XYZ"}, "wbs"),
    ({"part": "summary"}, "part"),
    ({"kind": "report"}, "kind"),
    ({"ref_kind": "ticket"}, "ref_kind"),
    ({"q": "x" * 1001}, "query"),
]


@pytest.mark.parametrize(("params", "word"), BAD_PARAMS)
def test_bad_parameters_get_400_with_a_message(client, openapi, params, word):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and word in body["error"]
    assert_valid(openapi, "Error", body)


def test_only_get_is_allowed(client):
    response = client.post("/api/search")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_openapi_describes_every_api_route(client, openapi):
    assert openapi["openapi"].startswith("3.1")
    api_rules = {
        rule.rule
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/api")
    }
    assert api_rules == {"/api/search", "/api/openapi.json"}
    assert api_rules <= set(openapi["paths"])
    search = openapi["paths"]["/api/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert names == {
        "q",
        "wbs",
        "month",
        "year",
        "part",
        "kind",
        "ref_kind",
        "from",
        "to",
        "sort",
        "page",
        "per_page",
    }
    assert set(search["responses"]) >= {"200", "400", "503"}
    # Every JSON twin the document lists answers and matches its schema.
    for path, item in openapi["paths"].items():
        if path.startswith("/api"):
            continue
        example = path
        for parameter in item["get"]["parameters"]:
            if parameter["in"] == "path":
                example = example.replace("{" + parameter["name"] + "}", parameter["example"])
        response = client.get(example)
        assert response.status_code == 200, (example, response.get_data(as_text=True))
        content = item["get"]["responses"]["200"]["content"]
        if "text/csv" in content:
            assert path.endswith(".csv") and response.mimetype == "text/csv", path
            continue
        schema = content["application/json"]["schema"]
        assert_valid(openapi, schema["$ref"].rsplit("/", 1)[1], response.get_json())
