"""Long pages open with a summary and come in pages; charts never overlap their labels.

On the four-month TEST FIXTURE index (2017-08..11, October the real text).
"""

from __future__ import annotations

import pytest

from tests.fixtures.months import FIXTURE_MONTHS
from tests.web_support import get_json, months_app
from web import charts


@pytest.fixture(scope="session")
def client(tmp_path_factory):
    return months_app(tmp_path_factory).test_client()


def test_an_identifier_page_opens_with_a_summary_of_every_month(client):
    data = get_json(client, "/ref/DM-12256.json")
    summary = data["summary"]
    assert (summary["months"], summary["total"]) == (4, 4)
    assert (summary["first_month"], summary["last_month"]) == ("2017-08", "2017-11")
    assert [(b["month"], b["count"]) for b in summary["chart"]] == [(m, 1) for m in FIXTURE_MONTHS]
    assert (data["page"], data["pages"], data["next_url"]) == (1, 1, None)
    page = client.get("/ref/DM-12256").get_data(as_text=True)
    assert "4 mentions in 4 months;" in page
    assert '<figcaption id="mini-caption">Mentions of DM-12256 per month</figcaption>' in page


def test_an_identifier_page_pages_its_months(client, monkeypatch):
    from web.views import refs

    monkeypatch.setattr(refs, "REF_MONTHS_PER_PAGE", 3)
    first = get_json(client, "/ref/DM-12256.json")
    assert [g["month"] for g in first["months"]] == ["2017-08", "2017-09", "2017-10"]
    assert (first["pages"], first["previous_url"], first["next_url"]) == (
        2,
        None,
        "/ref/DM-12256?page=2",
    )
    second = get_json(client, "/ref/DM-12256.json?page=2")
    assert [g["month"] for g in second["months"]] == ["2017-11"]
    assert second["previous_url"] == "/ref/DM-12256"
    # The summary still covers every month.
    assert second["summary"]["months"] == 4
    assert 'rel="next">Later months</a>' in client.get("/ref/DM-12256").get_data(as_text=True)
    assert client.get("/ref/DM-12256?page=0").status_code == 400
    assert client.get("/ref/dm-12256?page=x").status_code == 400


def test_a_wbs_page_opens_with_a_summary(client):
    data = get_json(client, "/wbs/1.02C.03.04.json")
    summary = data["summary"]
    assert (summary["months"], summary["first_month"], summary["last_month"]) == (
        4,
        "2017-08",
        "2017-11",
    )
    assert [b["month"] for b in summary["chart"]] == list(FIXTURE_MONTHS)
    counts = {b["count"] for b in summary["chart"]}
    assert len(counts) == 1 and counts.pop() == summary["total"] // 4
    page = client.get("/wbs/1.02C.03.04").get_data(as_text=True)
    assert "Text in 4 months (" in page
    assert "Sections under 1.02C.03.04 per month" in page


def test_wbs_has_json_twins(client):
    suffix = get_json(client, "/wbs.json")
    query = get_json(client, "/wbs?format=json")
    assert suffix == query
    assert suffix["code"] == "1.02C" and suffix["title"] == "Data Management"
    assert "1.02C.03" in [c["code"] for c in suffix["children"]]
    assert client.get("/wbs").status_code == 302
    assert client.get("/wbs.json?order=sideways").status_code == 400


def test_axis_labels_are_thinned_so_they_never_overlap():
    many = [
        {
            "month": f"{2015 + i // 12}-{i % 12 + 1:02d}",
            "label": "",
            "count": i,
            "url": "",
            "selected": False,
        }
        for i in range(48)
    ]
    chart = charts.bar_chart(many)
    ticks = [b["text_x"] for b in chart["bars"] if b["tick"]]
    assert len(ticks) <= charts.MAX_LABELS
    assert all(b - a >= charts.TICK_WIDTH for a, b in zip(ticks, ticks[1:], strict=False))
    # Twelve months on the narrower due-date chart: labels every other month.
    entries = [
        {
            "month": f"2017-{i + 1:02d}",
            "due": f"2018-{i + 1:02d}-01",
            "slipped": True,
            "change": "slipped",
        }
        for i in range(12)
    ]
    due = charts.due_chart(entries)
    xs = [p["x"] for p in due["points"] if p["tick"]]
    assert all(b - a >= charts.TICK_WIDTH for a, b in zip(xs, xs[1:], strict=False))
    placed = [(p["x"], p["label_y"]) for p in due["points"] if p["label"]]
    for i, (x, y) in enumerate(placed):
        for x2, y2 in placed[i + 1 :]:
            assert abs(x - x2) >= charts.DUE_LABEL_WIDTH or abs(y - y2) >= charts.DUE_LABEL_HEIGHT


def test_two_due_dates_close_together_do_not_print_on_top_of_each_other():
    # A slip of one day beside the first listing, a year's slip at the end.
    dues = ["2017-05-31", "2017-06-01", *["2017-06-01"] * 9, "2018-06-01"]
    changes = ["unchanged", "slipped", *["unchanged"] * 9, "slipped"]
    entries = [
        {"month": f"2017-{i + 1:02d}", "due": due, "slipped": c == "slipped", "change": c}
        for i, (due, c) in enumerate(zip(dues, changes, strict=True))
    ]
    due = charts.due_chart(entries)
    labelled = [p["month"] for p in due["points"] if p["label"]]
    # Both slips are labelled; the first date, just beside the first slip, is not.
    assert labelled == ["2017-02", "2017-12"]
