"""Hostile input to every route: never a 500, always the security headers, always quick.

Hypothesis throws random unicode, very long strings, unbalanced quotes and
brackets, `*` and `?` patterns, unknown and repeated parameters, negative and
huge numbers, odd percent-encodings and path segments at the app (Flask's test
client over the four-month fixture index of tests/web_support.py). Every
answer must have an expected status, carry Content-Security-Policy,
X-Content-Type-Options and Referrer-Policy, be JSON with an "error" when the
API or a JSON twin refuses, and come back within a bound (ANSWER_RATIO
times a plain search measured in the same run, at least ANSWER_FLOOR
seconds: a robustness bound against runaway queries, not a benchmark).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import search.query
from tests.web_support import MONTH_ID, months_app

# Slowest answer allowed for any request: this many times a plain search measured
# beside it in the same run (so a busy machine slows both alike), and never less
# than ANSWER_FLOOR seconds; typical answers take 10-100 ms.
ANSWER_RATIO = 60
ANSWER_FLOOR = 2.0
BASELINE_RUNS = 5
_bound: list[float] = []
EXAMPLES = 150
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OCT_ID = MONTH_ID.format(month="2017-10")
SEARCH_PARAMS = (
    "q", "wbs", "month", "year", "part", "kind", "ref_kind", "sort", "page", "per_page"
)  # fmt: skip
# Every route with the parameters it reads ("format" is read by all of them).
ROUTES: dict[str, tuple[str, ...]] = {
    "/": SEARCH_PARAMS,
    "/search": SEARCH_PARAMS,
    "/search.json": SEARCH_PARAMS,
    "/api/search": SEARCH_PARAMS,
    "/reports": (),
    "/reports.json": (),
    f"/reports/{OCT_ID}": (),
    f"/reports/{OCT_ID}.json": (),
    "/ref/DM-12256": (),
    "/ref/DM-12256.json": (),
    "/milestones": ("sort", "page"),
    "/milestones.json": ("sort", "page"),
    "/milestones/DLP-472": (),
    "/milestones/DLP-472.json": (),
    "/wbs/1.02C.03": ("order", "page"),
    "/wbs/1.02C.03.json": ("order", "page"),
    f"/files/{OCT_ID}": (),
    f"/files/{OCT_ID}.json": (),
    "/api/openapi.json": (),
}
# Routes that take an identifier in their path, and the statuses they may answer with:
# 301 to an identifier's canonical spelling, 308 when Werkzeug merges the slashes of %2F.
ID_ROUTES = ("reports", "ref", "milestones", "wbs", "files")
ID_STATUSES = {200, 301, 308, 400, 404}
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")

# Strings that have broken query parsers and URL handlers somewhere.
# fmt: off
NASTY = st.sampled_from(
    [
        "", " ", "*", "?", "**", "*e*", "a*", "?*?", "s*", "*.*", '"', '"""', "'", "`",
        "(", ")", "((((", "))))", "(a OR", "[", "]", "{", "}", "[a TO z]", "{a TO z}",
        "[2017-01 TO", "month:[", "month:[* TO *]", "wbs:", "wbs:1.02C.*", "ref:", "ref:*",
        "kind:", "part:", "year:", "title:", "::::", ":", "AND", "OR", "NOT", "NOT NOT",
        "AND OR NOT", "TO", "-", "--", "-*", "+", "^", "~", "a~9", "a^99", "\\", "\\*",
        "\x00", "\ufeff", "\u202e", "\ud7ff", "\U0001f600", "İ", "ß", "ﬁ", "ǅ", "%", "%00",
        "%zz", "%ff", "DM-", "DM-*", "DM-?", "DM_12256", "LDM-503-*", "1.02C.03.*",
        "../../etc/passwd", "..", ".", "/", "//", "<script>alert(1)</script>",
        "javascript:alert(1)", "0", "-1", "1e9", "0x10", "١٢", "+1", " 1", "1.5",
        "99999999999999999999", "1" * 5000, "json", "html", "JSON", "newest", "oldest",
        "relevance", "accomplishments", "planned", "section", "milestone", "jira", "2017-10",
        "2017", "1.02C.03",
    ]
)
# fmt: on
LONG = st.builds(
    lambda piece, times: piece * times,
    st.text(min_size=1, max_size=5),
    st.integers(min_value=20, max_value=1500),
)
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)
WORDS = st.lists(st.one_of(NASTY, st.text(max_size=12)), min_size=2, max_size=30).map(" ".join)
VALUES = st.one_of(st.text(max_size=80), NASTY, LONG, NUMBERS, WORDS)
UNKNOWN_NAMES = st.text(min_size=1, max_size=12)
# Pieces of raw query strings and path segments, percent-encodings good and bad.
# fmt: off
RAW_PIECES = st.sampled_from(
    [
        "q", "wbs", "month", "page", "per_page", "format", "sort", "order", "=", "&", ";",
        "+", "%", "%2", "%zz", "%20", "%2B", "%26", "%3D", "%25", "%00", "%0A", "%ff",
        "%fe%ff", "%C3%28", "%E2%80%AE", "%F0%9F%98%80", "%ED%A0%80", "%2F", "%2e%2e",
        "%5C", "..", "/", "*", "?", "[", "]", "(", '"', "json", "1", "-1", "DM-12256",
        "2017-10", "1.02C.03", "a",
    ]
)
# fmt: on
RAW = st.lists(RAW_PIECES, max_size=25).map("".join)
# A hundred words no report has: each one once cost a spelling lookup.
UNKNOWN_WORDS = " ".join(
    "".join(chr(ord("a") + (7 * n + 3 * i) % 26) for i in range(9)) for n in range(100)
)


@dataclass
class Timer:
    """The slowest answer seen by one test, and its URL."""

    slowest: float = 0.0
    url: str = ""
    answers: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def note(self, seconds: float, url: str, status: int) -> None:
        self.answers += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if seconds > self.slowest:
            self.slowest, self.url = seconds, url

    def assert_bounded(self) -> None:
        assert self.answers, "no request was made"
        bound = _bound[0]
        assert self.slowest < bound, (
            f"slowest answer took {self.slowest:.2f} s (bound {bound:.2f} s): {self.url[:300]}"
        )


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return months_app(tmp_path_factory)


@pytest.fixture(scope="module")
def client(app):
    client = app.test_client()
    if not _bound:  # a robustness bound, relative to what a plain search takes here
        times = []
        for _ in range(BASELINE_RUNS):
            start = time.perf_counter()
            client.get("/", query_string={"q": "qserv"}).close()
            times.append(time.perf_counter() - start)
        _bound.append(max(ANSWER_FLOOR, ANSWER_RATIO * sorted(times)[BASELINE_RUNS // 2]))
    return client


@pytest.fixture(scope="module")
def indexed_files(app) -> set[bytes]:
    """The bytes of every original file in the index: all that /files/<id> may send."""
    reports = app.test_client().get("/reports.json").get_json()["reports"]
    root = Path(app.config["INDEX_PATH"]).parent / "src"
    return {(root / r["file_name"]).read_bytes() for r in reports}


def fetch(client, timer: Timer, method: str, url: str, **kwargs):
    """Send one request, time it, and return the response with its body read."""
    start = time.perf_counter()
    response = client.open(url, method=method, **kwargs)
    body = response.get_data()
    timer.note(time.perf_counter() - start, url, response.status_code)
    response.close()
    return response, body


def wants_json(path: str, format_value: str | None) -> bool:
    """Whether the app must answer this request in JSON (errors included)."""
    return path.startswith("/api/") or path.endswith(".json") or format_value == "json"


def url_wants_json(url: str) -> bool:
    """wants_json for a whole URL: its path, and the first `format` of its query string."""
    parts = urlsplit(url)
    formats = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "format"]
    return wants_json(unquote(parts.path), formats[0] if formats else None)


def check(response, body: bytes, url: str, allowed: set[int], json: bool | None) -> None:
    """The properties every answer has: status, headers, error format, no detail leaked."""
    status = response.status_code
    assert status < 500, f"{status} for {url[:300]}: {body[:300]!r}"
    assert status in allowed, f"{status} for {url[:300]}"
    for name in SECURITY_HEADERS:
        assert response.headers.get(name), f"no {name} on {status} {url[:300]}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"Traceback" not in body
    if status >= 400 and json is not None:
        if json:
            assert response.mimetype == "application/json", url[:300]
            error = response.get_json()
            assert list(error) == ["error"] and error["error"].strip(), url[:300]
        else:
            assert response.mimetype == "text/html", url[:300]


def run_bounded(test: Callable[[Timer], None]) -> Timer:
    """Run a Hypothesis test that notes its answers in a Timer; assert the slowest is bounded."""
    timer = Timer()
    test(timer)
    timer.assert_bounded()
    return timer


@pytest.mark.parametrize("route", ["/", "/search.json", "/api/search"])
def test_search_parameters_never_break_the_service(client, route):
    @SETTINGS
    @given(
        params=st.lists(
            st.tuples(st.sampled_from(SEARCH_PARAMS) | UNKNOWN_NAMES, VALUES), max_size=6
        ),
        fmt=st.none() | st.sampled_from(["json", "html", "xml", ""]) | st.text(max_size=5),
    )
    @example(params=[("q", "[a TO z]")], fmt=None)
    @example(params=[("q", "*e*")], fmt="json")
    @example(params=[("q", UNKNOWN_WORDS)], fmt=None)
    @example(params=[("q", "é" * 1000)], fmt=None)
    @example(params=[("page", "-1"), ("page", "2"), ("per_page", "0")], fmt=None)
    @example(params=[("page", "1" * 5000), ("per_page", "1" * 5000)], fmt=None)
    @example(params=[("month", "2017-10"), ("month", "2017-10"), ("wbs", "1.02C.03")], fmt=None)
    def hostile(timer: Timer, params, fmt):
        query = [*params, *([("format", fmt)] if fmt is not None else [])]
        response, body = fetch(client, timer, "GET", route, query_string=query)
        first_format = next((v for k, v in query if k == "format"), None)
        check(response, body, f"{route} {query}", {200, 400}, wants_json(route, first_format))

    run_bounded(hostile)


def test_page_parameters_never_break_the_service(client, indexed_files):
    @SETTINGS
    @given(
        route=st.sampled_from([r for r in ROUTES if r not in ("/", "/search.json", "/api/search")]),
        data=st.data(),
    )
    @example(route="/wbs/1.02C.03", data=None)
    def hostile(timer: Timer, route, data):
        names = st.sampled_from((*ROUTES[route], "format")) | UNKNOWN_NAMES
        if data is None:  # the explicit example: a page number of 5,000 digits
            params = [("page", "1" * 5000)]
        else:
            params = data.draw(st.lists(st.tuples(names, VALUES), max_size=5))
        response, body = fetch(client, timer, "GET", route, query_string=params)
        first_format = next((v for k, v in params if k == "format"), None)
        check(response, body, f"{route} {params}", {200, 400}, wants_json(route, first_format))
        if route.startswith("/files/") and response.mimetype != "application/json":
            assert response.status_code == 400 or body in indexed_files

    run_bounded(hostile)


def test_raw_query_strings_never_break_the_service(client):
    @SETTINGS
    @given(route=st.sampled_from(sorted(ROUTES)), raw=RAW)
    @example(route="/api/search", raw="q=%ff%fe&page=%zz&month=%ED%A0%80")
    @example(route="/", raw="q=%C3%28&&&==&format=json")
    def hostile(timer: Timer, route, raw):
        url = f"{route}?{raw}"
        response, body = fetch(client, timer, "GET", url)
        check(response, body, url, {200, 400}, url_wants_json(url))

    run_bounded(hostile)


def test_identifiers_in_paths_never_break_the_service(client, indexed_files):
    segments = st.one_of(
        st.text(min_size=1, max_size=60).map(lambda s: quote(s, safe="")),
        RAW.filter(bool),
        NASTY.filter(bool).map(lambda s: quote(s, safe="")),
        LONG.map(lambda s: quote(s, safe="")),
    )

    @SETTINGS
    @given(
        route=st.sampled_from(ID_ROUTES),
        segment=segments,
        suffix=st.sampled_from(["", ".json", "?format=json", "?format=bad", "/", "/x"]),
    )
    @example(route="files", segment="..%2F..%2Fpyproject.toml", suffix="")
    @example(route="files", segment="%2e%2e%2f%2e%2e%2fetc%2fpasswd", suffix="")
    @example(route="ref", segment="dm_12256", suffix=".json")
    @example(route="wbs", segment="1.02C.03", suffix="?page=" + "9" * 5000)
    def hostile(timer: Timer, route, segment, suffix):
        url = f"/{route}/{segment}{suffix}"
        response, body = fetch(client, timer, "GET", url)
        json = url_wants_json(url)
        check(response, body, url, ID_STATUSES, json)
        if route == "files" and response.status_code == 200 and not json:
            assert body in indexed_files, url

    run_bounded(hostile)


def test_other_methods_are_refused_with_the_headers(client):
    @settings(SETTINGS, max_examples=60)
    @given(route=st.sampled_from(sorted(ROUTES)), method=st.sampled_from(METHODS))
    def hostile(timer: Timer, route, method):
        response, body = fetch(client, timer, method, route)
        allowed = {200} if method in ("GET", "HEAD", "OPTIONS") else {405}
        json = True if route.startswith("/api/") or route.endswith(".json") else None
        check(response, body, f"{method} {route}", allowed, json)
        if response.status_code == 405:
            assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
        if method == "HEAD":
            assert body == b""

    run_bounded(hostile)


def test_a_costly_wildcard_is_refused_with_a_message(client):
    timer = Timer()
    response, _ = fetch(client, timer, "GET", "/api/search", query_string={"q": "*e*"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": f"*e* matches more than {search.query.MAX_WILDCARD_TERMS} terms; "
        "make the pattern longer or the range narrower"
    }
    page, body = fetch(client, timer, "GET", "/", query_string={"q": "*e*"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert b"matches more than 512 terms" in body
    ranged, _ = fetch(client, timer, "GET", "/api/search", query_string={"q": "[a TO z]"})
    assert ranged.status_code == 400
    assert ranged.get_json()["error"].startswith("[a TO z] matches more than 512 terms")
    timer.assert_bounded()


def test_the_wildcard_cap_applies_to_every_pattern(client, monkeypatch):
    monkeypatch.setattr(search.query, "MAX_WILDCARD_TERMS", 3)
    timer = Timer()
    # `pipe*` matches pipeline, pipelines, piped...; `qserv*` only qserv.
    wide, _ = fetch(client, timer, "GET", "/api/search", query_string={"q": "pipe*"})
    assert wide.status_code == 400
    assert wide.get_json()["error"] == (
        "pipe* matches more than 3 terms; make the pattern longer or the range narrower"
    )
    narrow, _ = fetch(client, timer, "GET", "/api/search", query_string={"q": "qserv*"})
    assert narrow.status_code == 200 and narrow.get_json()["total"] > 0
    for q in ("month:[2017-01 TO 2017-12]", "ref:DM-1*", "wbs:1.02C.0*"):
        response, _ = fetch(client, timer, "GET", "/api/search", query_string={"q": q})
        assert response.status_code == 400, q
        assert "matches more than 3 terms" in response.get_json()["error"], q
    timer.assert_bounded()
