"""The UI in a real browser: Debian's chromium driven by Playwright against `dmreports serve`.

The server indexes the real October 2017 report and the TEST FIXTURE months
around it (tests/browser_support.py). Screenshots of the main pages go to
test-artifacts/screenshots/. Without chromium these tests fail, saying how
to install it: they are never skipped.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING_CHROMIUM,
    SCREENSHOTS,
    XSS_ATTR,
    XSS_ID,
    XSS_IMG,
    XSS_SCRIPT,
    XSS_WORD,
    Server,
    ingest,
    write_reports,
)

OCT_ID = "lsst-dm-monthly-report-2017-10"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# Playwright's wait for an expectation (ms): generous, the machine may be busy.
EXPECT_TIMEOUT = 30_000
# The section of the real October report that cites DM-12256 (tests/expected).
DM_12256_SECTION = "1.02C.03.00/accomplishments"
# DLP-472 in each report's milestone table: (month, due date, change column).
DLP_472_ROWS = [
    ("August 2017", "2016-10-31", "First listed"),
    ("September 2017", "2016-10-31", "Unchanged"),
    ("October 2017", "2017-05-31", "Slipped +212 days from 2016-10-31"),
    ("November 2017", "2017-12-15", "Slipped +198 days from 2017-05-31"),
]
# DLP-802 in each report's milestone table: October (the real report) pulls it in.
DLP_802_ROWS = [
    ("August 2017", "2017-01-30", "First listed"),
    ("September 2017", "2017-01-30", "Unchanged"),
    ("October 2017", "2016-11-30", "Pulled in \u221261 days from 2017-01-30"),
    ("November 2017", "2016-11-30", "Unchanged"),
]
MAIN_PAGES = {
    "search": "/?q=Qserv",
    "report": f"/reports/{OCT_ID}",
    "ref": "/ref/DM-12256",
    "milestone": "/milestones/DLP-472",
    "milestones": "/milestones",
    "wbs": "/wbs/1.02C.03",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Screenshots show the top of a page down to this height (a report runs to 25,000 px).
SCREENSHOT_MAX_HEIGHT = 4000


@dataclass
class Watch:
    """What a page did that it should not: dialogs, script errors, 5xx answers, console errors."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Listen to a page; dismiss every dialog after noting it."""

        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on(
            "response",
            lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )

    def assert_clean(self) -> None:
        """Fail if anything was noted."""
        assert self.dialogs == [], "a dialog opened: script ran"
        assert self.page_errors == []
        assert self.server_errors == []
        assert self.console_errors == []


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    write_reports(root / "reports")
    ingest(root / "reports", root / "index")
    process = Server(root / "index", root / "serve.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()
    log = process.output()
    assert "Traceback" not in log and "unhandled error" not in log, log


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
    )
    expect.set_options(timeout=EXPECT_TIMEOUT)
    yield browser
    browser.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


def open_page(browser: Browser, server: Server, watch: Watch, **options) -> Page:
    """A page in a fresh context whose relative URLs go to the server."""
    context = browser.new_context(base_url=server.base, **{"viewport": DESKTOP, **options})
    page = context.new_page()
    watch.attach(page)
    return page


@pytest.fixture
def page(browser: Browser, server: Server, watch: Watch) -> Iterator[Page]:
    page = open_page(browser, server, watch)
    yield page
    page.context.close()
    watch.assert_clean()


def api(server: Server, path: str) -> dict:
    """The JSON the server answers for path (the same data the page shows)."""
    with urllib.request.urlopen(server.url(path), timeout=30) as response:
        return json.loads(response.read())


def heading(page: Page):
    return page.locator("#results-heading")


def facet_counts(page: Page, facet: str) -> dict[str, int]:
    """Return {label: count} of one facet of the sidebar as shown."""
    pairs = page.locator(f"section[aria-labelledby=facet-{facet}] a.facet-value").evaluate_all(
        """links => links.map(a => [
            a.querySelector('.facet-label').textContent.replace(/\\s+/g, ' ').trim(),
            a.querySelector('.count').textContent.trim()])"""
    )
    return {label: int(count) for label, count in pairs}


def hit_months(page: Page) -> list[str]:
    return page.locator("ol.hits .hit-meta > a:first-child").all_inner_texts()


def screenshot(page: Page, name: str) -> bytes:
    """Write the top of the page (full width) to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    target.unlink(missing_ok=True)
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, SCREENSHOT_MAX_HEIGHT)}
    page.screenshot(path=target, full_page=True, clip=clip)
    return target.read_bytes()


def test_search_shows_results_with_highlighted_snippets(page: Page, server: Server):
    page.goto("/")
    page.locator("#q").fill("DM-12256")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(server.url("/?q=DM-12256"))
    data = api(server, "/api/search?q=DM-12256")
    # Four monthly reports cite it in 1.02C.03.00; the December fixture there and in its summary.
    assert data["total"] == 6
    expect(heading(page)).to_have_text(re.compile(r"\s*6 results\s+for\s+DM-12256\s*"))
    expect(page.locator("ol.hits > li")).to_have_count(6)
    october = page.locator("ol.hits > li").filter(
        has=page.locator(f'a[href="/reports/{OCT_ID}#{DM_12256_SECTION}"]')
    )
    expect(october).to_have_count(1)
    expect(october.locator(".snippet mark")).to_have_text(["DM-12256"])
    expect(october.locator(".breadcrumb .code")).to_have_text(["1.02C", "1.02C.03", "1.02C.03.00"])
    expect(october.locator(".hit-meta")).to_contain_text("October 2017")
    expect(october.locator(".hit-meta")).to_contain_text("Current accomplishments")
    marks = page.locator("ol.hits .snippet mark").all_inner_texts()
    assert marks and set(marks) == {"DM-12256"}


def test_a_facet_changes_counts_and_results_and_back_restores(page: Page, server: Server):
    page.goto("/?q=Qserv")
    everything = api(server, "/api/search?q=Qserv")
    october_only = api(server, "/api/search?q=Qserv&month=2017-10")
    total, october = everything["total"], october_only["total"]
    assert 0 < october < total
    expect(heading(page)).to_contain_text(f"{total} results for")
    months = facet_counts(page, "month")
    assert months["October 2017"] == october
    wbs_before = facet_counts(page, "wbs")

    page.locator("#filters a.facet-value", has_text="October 2017").click()
    expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10"))
    expect(heading(page)).to_contain_text(f"{october} results for")
    expect(page.locator(".chip")).to_have_text([re.compile(r"Month:\s+October 2017")])
    expect(page.locator("#filters a.facet-value.is-selected")).to_have_text(
        re.compile(r"October 2017\s+" + str(october))
    )
    assert set(hit_months(page)) == {"October 2017"}
    wbs_after = facet_counts(page, "wbs")
    assert wbs_after != wbs_before
    assert all(wbs_after[label] <= wbs_before[label] for label in wbs_after)
    expected_wbs = {v["value"]: v["count"] for v in october_only["facets"]["wbs"]}
    assert sorted(wbs_after.values()) == sorted(expected_wbs.values())

    page.go_back()
    expect(page).to_have_url(server.url("/?q=Qserv"))
    expect(heading(page)).to_contain_text(f"{total} results for")
    expect(page.locator(".chip")).to_have_count(0)
    assert facet_counts(page, "wbs") == wbs_before
    page.go_forward()
    expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10"))
    page.locator(".chip").click()
    expect(page).to_have_url(server.url("/?q=Qserv"))
    expect(heading(page)).to_contain_text(f"{total} results for")


def test_opening_a_result_lands_on_its_section(page: Page, server: Server):
    page.goto("/?q=DM-12256&month=2017-10")
    expect(heading(page)).to_contain_text("1 result for")
    page.locator("ol.hits .hit-title a").click()
    expect(page).to_have_url(server.url(f"/reports/{OCT_ID}#{DM_12256_SECTION}"))
    target = page.locator(":target")
    expect(target).to_have_attribute("id", DM_12256_SECTION)
    expect(target).to_be_in_viewport()
    expect(target.locator(".doc-title")).to_contain_text("Current accomplishments")
    expect(target.locator(".text")).to_contain_text("DM-12256")
    # The identifier in the text links to JIRA, its chip to the identifier's page.
    expect(target.locator(".text a", has_text="DM-12256")).to_have_attribute(
        "href", "https://rubinobs.atlassian.net/browse/DM-12256"
    )


def test_an_identifier_link_shows_every_mention(page: Page, server: Server):
    page.goto(f"/reports/{OCT_ID}#{DM_12256_SECTION}")
    page.locator(":target a.ref", has_text="DM-12256").click()
    expect(page).to_have_url(server.url("/ref/DM-12256"))
    data = api(server, "/ref/DM-12256.json")
    assert (data["first_month"], data["last_month"], data["mention_count"]) == (
        "2017-08",
        "2017-12",
        6,
    )
    expect(page.locator("h1")).to_have_text(re.compile(r"DM-12256\s+JIRA ticket"))
    expect(page.locator(".summary")).to_have_text(
        re.compile(
            r"6 mentions in 5 months;\s+first seen in August 2017, last seen in December 2017\."
        )
    )
    expect(page.locator(".month-group h2")).to_have_text(
        ["August 2017", "September 2017", "October 2017", "November 2017", "December 2017"]
    )
    october = page.locator(".month-group").filter(has_text="October 2017")
    expect(october.locator("blockquote")).to_contain_text("DM-12257")
    expect(page.get_by_role("link", name="Open DM-12256 in JIRA")).to_have_attribute(
        "href", "https://rubinobs.atlassian.net/browse/DM-12256"
    )


def test_a_milestone_page_flags_its_slips(page: Page, server: Server):
    page.goto("/milestones")
    page.get_by_role("link", name="DLP-472", exact=True).click()
    expect(page).to_have_url(server.url("/milestones/DLP-472"))
    summary = page.locator(".page-header .summary")
    expect(summary).to_contain_text("Latest due date 2017-12-15")
    expect(summary).to_contain_text(
        "Slipped 2 times (slipped in October 2017, November 2017); total slip +410 days"
    )
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(len(DLP_472_ROWS))
    cells = rows.evaluate_all(
        "trs => trs.map(tr => [...tr.children].slice(0, 5).map(c => c.textContent.trim()))"
    )
    assert [(c[0], c[1], " ".join(c[4].split())) for c in cells] == DLP_472_ROWS
    expect(page.locator("table.data tbody tr.is-slip th")).to_have_text(
        ["October 2017", "November 2017"]
    )
    expect(page.locator("svg.due-chart polygon.is-slip")).to_have_count(2)
    expect(page.locator("svg.due-chart circle")).to_have_count(2)

    page.locator("table.data tbody tr.is-slip th a").first.click()
    expect(page).to_have_url(server.url(f"/reports/{OCT_ID}#milestone/DLP-472"))
    expect(page.locator(":target")).to_contain_text("2017-05-31")
    expect(page.locator(":target")).to_be_in_viewport()


def test_a_due_date_moved_earlier_is_shown_as_a_pull_in(page: Page, server: Server):
    page.goto("/milestones?sort=slip_days")
    rows = page.locator("table.data tbody tr")
    # Sorted by total slip in days: DLP-472 (+410) first, DLP-802 (-61) last.
    expect(rows.first.locator("th")).to_have_text("DLP-472")
    expect(rows.last.locator("th")).to_have_text("DLP-802")
    expect(rows.last.locator("td").last).to_have_text("\u221261 days")
    rows.last.get_by_role("link", name="DLP-802").click()
    expect(page).to_have_url(server.url("/milestones/DLP-802"))
    summary = page.locator(".page-header .summary")
    expect(summary).to_contain_text("Pulled in once (moved earlier in October 2017)")
    expect(summary).not_to_contain_text("Slipped")
    cells = page.locator("table.data tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.children].slice(0, 5).map(c => c.textContent.trim()))"
    )
    assert [(c[0], c[1], " ".join(c[4].split())) for c in cells] == DLP_802_ROWS
    expect(page.locator("table.data tbody tr.is-slip")).to_have_count(0)
    expect(page.locator("table.data tbody tr.is-pull-in th")).to_have_text(["October 2017"])
    chart = page.locator("svg.due-chart")
    expect(chart.locator("polygon.is-slip")).to_have_count(0)
    expect(chart.locator("polygon.is-pull-in")).to_have_count(1)
    # Slip red and pull-in green are different colours, and the legend names both.
    slip, pull_in = page.evaluate(
        "() => [getComputedStyle(document.querySelector('.swatch-slip')).fill,"
        " getComputedStyle(document.querySelector('.swatch-pull-in')).fill]"
    )
    pulled = chart.locator("polygon.is-pull-in").evaluate("e => getComputedStyle(e).fill")
    assert pulled == pull_in != slip
    expect(page.locator(".chart-legend li")).to_have_text(
        ["Unchanged", "Slipped (moved later)", "Pulled in (moved earlier)"]
    )


def test_slash_key_focuses_the_query_box(page: Page, server: Server):
    page.goto("/?q=Qserv")
    expect(page.locator("#q")).not_to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    # The key is not typed, and the query is selected so typing replaces it.
    expect(page.locator("#q")).to_have_value("Qserv")
    selection = page.locator("#q").evaluate("q => [q.selectionStart, q.selectionEnd]")
    assert selection == [0, len("Qserv")]
    page.keyboard.type("wbs:02C.06/x")
    expect(page.locator("#q")).to_have_value("wbs:02C.06/x")
    page.keyboard.press("Control+A")
    page.keyboard.type("DM-12256")
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url("/?q=DM-12256"))
    # Keyboard focus is visible: the first Tab reaches the skip links, outlined.
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to results")
    outline = focused.evaluate("e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).left]")
    assert outline[0] == "solid" and not outline[1].startswith("-")


def assert_no_script_ran(page: Page, watch: Watch) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert watch.dialogs == []
    # Only the app's own script element, and no element built from a payload.
    expect(page.locator("script")).to_have_count(1)
    expect(page.locator("img[src=x], svg[onload]")).to_have_count(0)


@pytest.mark.parametrize("payload", [XSS_SCRIPT, XSS_IMG, XSS_ATTR], ids=["script", "img", "attr"])
def test_an_xss_payload_in_the_query_never_runs(page: Page, watch: Watch, payload: str):
    page.goto("/?q=" + quote(payload, safe=""))
    expect(page.locator("#q")).to_have_value(payload)
    expect(heading(page)).to_contain_text(payload)
    assert payload in page.title()
    assert_no_script_ran(page, watch)
    # Typed into the box and submitted, it is still text.
    page.goto("/")
    page.locator("#q").fill(payload + " Qserv")
    page.locator("#q").press("Enter")
    expect(page.locator("#q")).to_have_value(payload + " Qserv")
    assert_no_script_ran(page, watch)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/?q={XSS_WORD}", "<script>window.__xss='script'"),
        (f"/reports/{XSS_ID}", XSS_SCRIPT),
        (f"/reports/{XSS_ID}", XSS_IMG),
        ("/ref/DM-12256", XSS_IMG),
        ("/?q=DM-12256&month=2017-12", "<img src=x onerror="),
    ],
)
def test_an_xss_payload_inside_a_document_never_runs(
    page: Page, watch: Watch, path: str, shown: str
):
    page.goto(path)
    expect(page.locator("main")).to_contain_text(shown)
    assert_no_script_ran(page, watch)


def test_the_csp_header_blocks_inline_script(page: Page, watch: Watch):
    response = page.goto("/?q=Qserv")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    outcome = page.evaluate(
        """() => new Promise(resolve => {
            const violated = [];
            document.addEventListener('securitypolicyviolation',
                e => violated.push(e.violatedDirective));
            const script = document.createElement('script');
            script.textContent = 'window.__inline = "script"';
            document.body.appendChild(script);
            const img = document.createElement('img');
            img.setAttribute('onerror', 'window.__inline = "handler"');
            img.src = 'data:,not-an-image';
            document.body.appendChild(img);
            setTimeout(() => resolve({ran: window.__inline || null, violated}), 500);
        })"""
    )
    assert outcome["ran"] is None
    assert len(outcome["violated"]) == 2
    assert all(d.startswith("script-src") for d in outcome["violated"])
    assert all("Content Security Policy" in e for e in watch.console_errors)
    watch.console_errors.clear()


def test_search_filters_and_pages_work_without_javascript(
    browser: Browser, server: Server, watch: Watch
):
    page = open_page(browser, server, watch, java_script_enabled=False)
    try:
        total = api(server, "/api/search?q=Qserv")["total"]
        assert total > 20
        page.goto("/")
        page.locator("#q").fill("Qserv")
        page.locator("#q").press("Enter")
        expect(page).to_have_url(server.url("/?q=Qserv"))
        expect(heading(page)).to_contain_text(f"{total} results for")
        # No script: the sort menu keeps its Apply button.
        expect(page.locator(".sort-form button")).to_be_visible()
        page.get_by_role("link", name="Next").click()
        expect(page).to_have_url(server.url("/?q=Qserv&page=2"))
        expect(page.locator(".sort-form .range")).to_have_text(f"Showing 21–{total} of {total}")
        page.locator("#filters a.facet-value", has_text="October 2017").click()
        expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10"))
        october = api(server, "/api/search?q=Qserv&month=2017-10")["total"]
        expect(heading(page)).to_contain_text(f"{october} results for")
        page.locator("#sort").select_option("oldest")
        expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10"))
        page.locator(".sort-form button").click()
        expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10&sort=oldest"))
        expect(page.locator("#sort")).to_have_value("oldest")
        assert set(hit_months(page)) == {"October 2017"}
    finally:
        page.context.close()
    watch.assert_clean()


def test_pages_fit_a_phone_without_horizontal_scroll(
    browser: Browser, server: Server, watch: Watch
):
    page = open_page(browser, server, watch, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        for path in ["/", *MAIN_PAGES.values(), "/reports"]:
            page.goto(path)
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == PHONE["width"], path
        page.goto(MAIN_PAGES["search"])
        for selector in ("#q", ".search-form button", "ol.hits"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
        assert screenshot(page, "search-phone").startswith(PNG_SIGNATURE)
    finally:
        page.context.close()
    watch.assert_clean()


def test_screenshots_of_the_main_pages(page: Page):
    for name, path in MAIN_PAGES.items():
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.locator("h1")).to_be_visible()
        data = screenshot(page, name)
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, name


def all_hits(server: Server, query: str) -> list[dict]:
    """Every hit of a search, page after page of the API."""
    hits, number = [], 1
    while True:
        data = api(server, f"/api/search?{query}&per_page=100&page={number}")
        hits += data["hits"]
        if number >= data["pages"]:
            return hits
        number += 1


def test_the_time_facet_never_leads_to_zero_results(page: Page, server: Server):
    page.goto("/?q=Qserv")
    time = page.locator("section.facet-time")
    time.locator("a.facet-value", has_text="October 2017").click()
    time.locator("a.facet-value", has_text="November 2017").click()
    expect(page).to_have_url(server.url("/?q=Qserv&month=2017-10&month=2017-11"))
    both = api(server, "/api/search?q=Qserv&month=2017-10&month=2017-11")["total"]
    expect(heading(page)).to_contain_text(f"{both} results for")
    # Every choice the tree offers gives results; none is a way to "No results".
    links = time.locator("a.facet-value").evaluate_all("as => as.map(a => a.href)")
    assert len(links) == 6  # the year and its five months
    for href in links:
        page.goto(href)
        expect(heading(page)).to_have_text(re.compile(r"^\s*[1-9][\d,]* results?\s+for"))
    # Choosing the year selects all its months; a month then narrows it.
    page.goto("/?q=Qserv&month=2017-10&month=2017-11")
    time.locator("li.year > a.facet-value").click()
    expect(page).to_have_url(server.url("/?q=Qserv&year=2017"))
    expect(time.locator(".facet-children a.is-selected")).to_have_count(5)
    expect(heading(page)).to_contain_text(f"{api(server, '/api/search?q=Qserv')['total']} results")
    time.locator("a.facet-value", has_text="September 2017").click()
    expect(page).to_have_url(server.url("/?q=Qserv&month=2017-09&year=2017"))
    september = api(server, "/api/search?q=Qserv&month=2017-09")["total"]
    expect(heading(page)).to_contain_text(f"{september} results for")
    assert set(hit_months(page)) == {"September 2017"}


def test_a_month_range_from_the_form_and_as_a_chip(page: Page, server: Server):
    page.goto("/?q=Qserv")
    page.locator("#range-from").select_option("2017-09")
    page.locator("#range-to").select_option("2017-10")
    page.locator(".range-form button").click()
    expect(page).to_have_url(server.url("/?q=Qserv&from=2017-09&to=2017-10"))
    expected = api(server, "/api/search?q=Qserv&month=2017-09&month=2017-10")["total"]
    expect(heading(page)).to_contain_text(f"{expected} results for")
    chip = page.locator("a.chip-range")
    expect(chip).to_contain_text("Months: September 2017 to October 2017")
    chip.click()
    expect(page).to_have_url(server.url("/?q=Qserv"))
    page.goto("/?q=" + quote("Qserv month:[2017-09 TO 2017-10]"))
    typed = page.locator("a.chip-query_range")
    expect(typed).to_contain_text("September 2017 to October 2017")
    typed.click()
    expect(page.locator("#q")).to_have_value("Qserv")


def test_the_references_view_lists_exactly_the_distinct_tickets(page: Page, server: Server):
    query = "wbs=1.02C.06&year=2017&ref_kind=jira"
    page.goto(f"/?{query}")
    page.locator(".view-tabs").get_by_role("link", name="Identifiers cited").click()
    expect(page).to_have_url(server.url(f"/?{query}&view=refs"))
    tickets = {
        r["key"] for h in all_hits(server, query) for r in h["references"] if r["kind"] == "jira"
    }
    assert len(tickets) == 13
    rows = page.locator("table.refs-table tbody tr")
    expect(rows).to_have_count(len(tickets))
    keys = rows.locator("th").all_inner_texts()
    assert sorted(keys) == sorted(tickets) and len(set(keys)) == len(keys)
    expect(rows.locator("td:nth-child(2)")).to_have_text(["JIRA ticket"] * len(tickets))
    expect(heading(page)).to_contain_text(f"{len(tickets)} identifiers cited in")
    rows.first.locator("th a").click()
    expect(page).to_have_url(re.compile(r"/ref/DM-\d+$"))


def test_the_csv_of_a_150_hit_search_has_150_rows(page: Page, server: Server):
    query = "q=worked&part=accomplishments"
    page.goto(f"/?{query}")
    expect(heading(page)).to_contain_text("150 results for")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all 150 as CSV").click()
    path = download.value.path()
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 150
    assert list(rows[0]) == ["report", "month", "wbs", "part", "title", "page", "url", "keys"]
    assert {r["part"] for r in rows} == {"accomplishments"}
    expected = [server.url(h["url"]) for h in all_hits(server, query)]
    assert [r["url"] for r in rows] == expected


def test_the_first_facet_is_a_few_tab_presses_away(page: Page):
    page.goto("/?q=Qserv")
    skips = page.locator("nav.page-skips a")
    # Visible without focus, first in the Tab order.
    expect(skips).to_have_text(["Skip to results", "Skip to filters"])
    expect(skips.first).to_be_in_viewport()
    presses = 0
    for _ in range(2):
        page.keyboard.press("Tab")
        presses += 1
    expect(page.locator(":focus")).to_have_text("Skip to filters")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    presses += 1
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("class", re.compile(r"facet-value"))
    assert focused.evaluate("a => !!a.closest('#filters')")
    assert presses <= 5
    # Chart bars are out of the Tab order (the Time facet does their job).
    expect(page.locator("svg.bar-chart a.bar")).to_have_count(5)
    tabbable = page.locator("svg.bar-chart a.bar").evaluate_all(
        "bars => bars.filter(b => b.tabIndex >= 0).length"
    )
    assert tabbable == 0


def test_the_sort_menu_can_be_driven_with_arrow_keys(page: Page, server: Server):
    page.goto("/?q=Qserv")
    menu = page.locator("#sort")
    menu.focus()
    page.keyboard.press("ArrowDown")
    expect(menu).to_have_value("newest")
    page.keyboard.press("ArrowDown")
    expect(menu).to_have_value("oldest")
    # Arrow keys only moved the choice: no page was loaded.
    expect(page).to_have_url(server.url("/?q=Qserv"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url("/?q=Qserv&sort=oldest"))
    # The new page's deferred script marks the document once its handlers are
    # attached; a choice made before that would be a plain no-script change.
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    # Picked with the pointer, the choice applies at once.
    page.locator("#sort").select_option("newest")
    expect(page).to_have_url(server.url("/?q=Qserv&sort=newest"))


NEW_VIEWS = {
    "time-range": "/?q=Qserv&from=2017-09&to=2017-11&month=2017-10",
    "references-view": "/?ref_kind=jira&wbs=1.02C.06&year=2017&view=refs",
    "milestone-pull-in": "/milestones/DLP-802",
    "milestones-by-slip": "/milestones?sort=slip_days",
    "ref-summary": "/ref/DM-12256",
    "wbs-summary": "/wbs/1.02C.03",
}


@pytest.mark.parametrize("width", [1400, 390])
def test_screenshots_of_the_new_views(browser: Browser, server: Server, watch: Watch, width: int):
    page = open_page(browser, server, watch, viewport={"width": width, "height": 900})
    try:
        for name, path in NEW_VIEWS.items():
            page.goto(path)
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], (path, widths)
            assert screenshot(page, f"{name}-{width}").startswith(PNG_SIGNATURE)
    finally:
        page.context.close()
    watch.assert_clean()
