"""Pages over time on the multi-month TEST FIXTURES (2017-08..11; October is the real text)."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.months import FIXTURE_MONTHS, PULLED_IN_MILESTONE, SLIPPED_MILESTONE, marker
from tests.web_support import MONTH_ID, months_app


def rid(month: str) -> str:
    return MONTH_ID.format(month=month)


@pytest.fixture(scope="session")
def client(tmp_path_factory):
    return months_app(tmp_path_factory).test_client()


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return response.get_json()


def get_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_milestone_slips_are_flagged_with_their_month(client):
    data = get_json(client, f"/milestones/{SLIPPED_MILESTONE}.json")
    assert [
        (e["month"], e["due"], e["slipped"], e["change"], e["shift_days"]) for e in data["entries"]
    ] == [
        ("2017-08", "2016-10-31", False, "unchanged", 0),
        ("2017-09", "2016-10-31", False, "unchanged", 0),
        ("2017-10", "2017-05-31", True, "slipped", 212),
        ("2017-11", "2017-12-15", True, "slipped", 198),
    ]
    assert data["slip_months"] == ["2017-10", "2017-11"] and data["pull_in_months"] == []
    assert (data["slips"], data["pull_ins"], data["slip_days"]) == (2, 0, 410)
    assert data["latest_due"] == "2017-12-15"
    assert data["changes_sentence"] == "Slipped 2 times"
    assert [e["previous_due"] for e in data["entries"][2:]] == ["2016-10-31", "2017-05-31"]
    page = get_html(client, f"/milestones/{SLIPPED_MILESTONE}")
    assert "Slipped 2 times</span> (slipped in October 2017, November 2017)" in page
    assert "total slip +410 days." in page
    assert len(re.findall(r'<tr class="is-slip">', page)) == 2
    assert len(re.findall(r'<polygon class="due-point is-slip"', page)) == 2
    assert len(re.findall(r'<circle class="due-point"', page)) == 2
    assert "Slipped</strong> +212 days from 2016-10-31" in page


def test_a_due_date_moved_earlier_is_a_pull_in_not_a_slip(client):
    data = get_json(client, f"/milestones/{PULLED_IN_MILESTONE}.json")
    assert [
        (e["month"], e["due"], e["slipped"], e["change"], e["shift_days"]) for e in data["entries"]
    ] == [
        ("2017-08", "2017-01-30", False, "unchanged", 0),
        ("2017-09", "2017-01-30", False, "unchanged", 0),
        ("2017-10", "2016-11-30", False, "pulled in", -61),
        ("2017-11", "2016-11-30", False, "unchanged", 0),
    ]
    assert (data["slips"], data["pull_ins"], data["slip_days"]) == (0, 1, -61)
    assert data["slip_months"] == [] and data["pull_in_months"] == ["2017-10"]
    assert data["changes_sentence"] == "Pulled in once"
    page = get_html(client, f"/milestones/{PULLED_IN_MILESTONE}")
    assert "Pulled in once</span> (pulled in in October 2017); total slip \u221261 days." in page
    assert "Slipped</strong>" not in page and "is-slip" not in page
    assert len(re.findall(r'<tr class="is-pull-in">', page)) == 1
    assert len(re.findall(r'<polygon class="due-point is-pull-in"', page)) == 1
    assert "Pulled in</strong> \u221261 days from 2017-01-30" in page
    assert "Pulled in (moved earlier)" in page  # the chart's legend


def test_milestone_list_counts_slips(client):
    data = get_json(client, "/milestones.json?sort=slips")
    first = data["milestones"][0]
    assert (first["id"], first["slips"], first["reports"]) == (SLIPPED_MILESTONE, 2, 4)
    assert (first["first_month"], first["last_month"]) == ("2017-08", "2017-11")
    assert all(m["slips"] == 0 for m in data["milestones"][1:])
    assert '<span class="slip">2</span>' in get_html(client, "/milestones")
    by_id = {m["id"]: m for m in data["milestones"]}
    assert (by_id[PULLED_IN_MILESTONE]["pull_ins"], by_id[PULLED_IN_MILESTONE]["slip_days"]) == (
        1,
        -61,
    )


def test_milestone_list_sorts_by_total_slip_in_days(client):
    data = get_json(client, "/milestones.json?sort=slip_days")
    assert data["sort"] == "slip_days"
    days = [m["slip_days"] for m in data["milestones"]]
    assert days == sorted(days, reverse=True)
    assert (data["milestones"][0]["id"], days[0]) == (SLIPPED_MILESTONE, 410)
    assert (data["milestones"][-1]["id"], days[-1]) == (PULLED_IN_MILESTONE, -61)
    page = get_html(client, "/milestones?sort=slip_days")
    assert '<option value="slip_days" selected>Total slip in days</option>' in page
    assert page.index(SLIPPED_MILESTONE) < page.index(PULLED_IN_MILESTONE)


def test_ref_history_spans_the_months(client):
    data = get_json(client, "/ref/DM-12256.json")
    assert (data["first_month"], data["last_month"]) == ("2017-08", "2017-11")
    assert [g["month"] for g in data["months"]] == list(FIXTURE_MONTHS)
    assert data["mention_count"] == 4
    assert data["months"][0]["mentions"][0]["url"] == (
        f"/reports/{rid('2017-08')}#1.02C.03.00/accomplishments"
    )
    page = get_html(client, "/ref/DM-12256")
    assert "first seen in <strong>August 2017</strong>" in page
    assert "last seen in <strong>November 2017</strong>" in page


def test_report_pages_link_the_neighbouring_months(client):
    data = get_json(client, f"/reports/{rid('2017-10')}.json")
    assert data["previous"]["id"] == rid("2017-09")
    assert data["next"]["id"] == rid("2017-11")
    page = get_html(client, f"/reports/{rid('2017-10')}")
    assert f'href="/reports/{rid("2017-09")}" rel="prev"' in page
    assert f'href="/reports/{rid("2017-11")}" rel="next"' in page
    first = get_json(client, f"/reports/{rid('2017-08')}.json")
    assert first["previous"] is None and first["next"]["id"] == rid("2017-09")
    listing = get_json(client, "/reports.json")
    assert [r["month"] for r in listing["reports"]] == list(reversed(FIXTURE_MONTHS))


def test_wbs_history_puts_last_months_plans_beside_this_months_work(client):
    data = get_json(client, "/wbs/1.02C.03.04.json")
    assert data["title"] == "Image Differencing Pipeline"
    assert [m["month"] for m in data["months"]] == list(reversed(FIXTURE_MONTHS))
    november = data["months"][0]
    assert november["previous_month"] == "2017-10"
    (plan,) = november["previous_planned"]
    assert plan["url"] == f"/reports/{rid('2017-10')}#1.02C.03.04/planned"
    assert plan["text"].startswith("- Work will focus on implementing the DCR correction")
    (done,) = november["accomplishments"]
    assert done["url"] == f"/reports/{rid('2017-11')}#1.02C.03.04/accomplishments"
    assert data["months"][-1]["previous_planned"] == []
    oldest = get_json(client, "/wbs/1.02C.03.04.json?order=oldest")
    assert [m["month"] for m in oldest["months"]] == list(FIXTURE_MONTHS)
    page = get_html(client, "/wbs/1.02C.03.04")
    assert "Planned in October 2017" in page and "Accomplished in November 2017" in page


def test_search_month_facet_chart_and_chips(client):
    data = get_json(client, "/search.json?q=DCR")
    assert [(b["month"], b["count"]) for b in data["chart"]] == [(m, 2) for m in FIXTURE_MONTHS]
    assert data["chart"][2]["url"] == "/?q=DCR&month=2017-10"
    narrowed = get_json(client, "/search.json?q=DCR&month=2017-10")
    assert narrowed["total"] == 2
    assert {h["month"] for h in narrowed["hits"]} == {"2017-10"}
    # The month's own selection leaves the other months' counts (and bars) in place.
    assert [(b["count"], b["selected"]) for b in narrowed["chart"]] == [
        (2, m == "2017-10") for m in FIXTURE_MONTHS
    ]
    (chip,) = narrowed["chips"]
    assert (chip["label"], chip["url"]) == ("October 2017", "/?q=DCR")
    page = get_html(client, "/?q=DCR&month=2017-10")
    assert 'class="bar is-selected" href="/?q=DCR&amp;month=2017-10"' in page
    assert "Month: October 2017" in page
    group = narrowed["month_groups"][0]
    assert group["value"] == "2017" and len(group["months"]) == 4


def test_a_word_only_one_fixture_has(client):
    data = get_json(client, f"/api/search?q={marker('2017-11')}")
    assert data["total"] == 1
    assert data["hits"][0]["id"] == f"{rid('2017-11')}#high-level-summary"
    both = get_json(client, "/api/search?month=2017-09&month=2017-11&kind=milestone")
    assert {h["month"] for h in both["hits"]} == {"2017-09", "2017-11"}
    assert both["total"] == 22


def test_wbs_history_pages_through_months(client, monkeypatch):
    from web.views import wbs

    monkeypatch.setattr(wbs, "MONTHS_PER_PAGE", 3)
    first = get_json(client, "/wbs/1.02C.03.04.json")
    assert [m["month"] for m in first["months"]] == ["2017-11", "2017-10", "2017-09"]
    assert (first["page"], first["pages"], first["previous_url"]) == (1, 2, None)
    assert first["next_url"] == "/wbs/1.02C.03.04?page=2"
    second = get_json(client, "/wbs/1.02C.03.04.json?page=2")
    assert [m["month"] for m in second["months"]] == ["2017-08"]
    assert (second["previous_url"], second["next_url"]) == ("/wbs/1.02C.03.04", None)
    oldest = get_json(client, "/wbs/1.02C.03.04.json?order=oldest")
    assert oldest["next_url"] == "/wbs/1.02C.03.04?order=oldest&page=2"
    assert 'rel="next">Older months</a>' in get_html(client, "/wbs/1.02C.03.04")
    assert client.get("/wbs/1.02C.03.04?page=0").status_code == 400
    assert get_json(client, "/wbs/1.02C.03.04.json?page=9")["months"] == []
