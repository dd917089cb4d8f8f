"""Files and requests that once hung the ingest or broke the app: each gets one clear answer.

Special files (a FIFO named like a report, a socket) are failed by name and
never opened; HTML nested 10,000 deep fails with its own reason; a long Host
header or an over-long query gets a short 400, never a 500 or an echo.
"""

from __future__ import annotations

import json
import os
import re
import socket

import pytest

from ingest import reasons
from search.models import MAX_QUERY_LENGTH
from tests.fixtures.months import write_month
from tests.ingest_helpers import generation, run_cli, state, summary_re
from tests.web_support import months_app

# A DNS label may have 63 characters: Werkzeug cannot encode a 64-character one.
LONG_HOST = "a" * 64 + ".example.org"
DEEP = 10_000


def deep_html(path, depth: int = DEEP):
    """A report-like page whose text sits inside `depth` nested elements."""
    path.write_text(
        "<html><body><h1>Data Management Monthly Report</h1>"
        + "<div>" * depth
        + "October 2017 text"
        + "</div>" * depth
        + "</body></html>",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def indexed(tmp_path):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    write_month(folder, "2017-08")
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0
    return folder, index_dir


def test_a_fifo_named_like_a_report_fails_by_name_and_does_not_hang(indexed):
    folder, index_dir = indexed
    before = (generation(index_dir), state(index_dir))
    fifo = folder / "x.pdf"
    os.mkfifo(fifo)
    # Nothing ever writes to the FIFO: opening it would block the ingest forever
    # (run_cli's subprocess timeout is only a safety net; the answer comes at once).
    result = run_cli("ingest", folder, "--index", index_dir, "--time-limit", "2")
    assert result.returncode == 1
    assert result.stderr == (
        f"FAILED {fifo.resolve()}: not a regular file (FIFO); it was not opened\n"
    )
    assert re.fullmatch(summary_re(unchanged=1, failed=1) + "\n", result.stdout)
    assert (generation(index_dir), state(index_dir)) == before


def test_a_fifo_named_on_the_command_line_fails_too(indexed, tmp_path):
    folder, index_dir = indexed
    fifo = tmp_path / "named.pdf"
    os.mkfifo(fifo)
    result = run_cli("ingest", folder, fifo, "--index", index_dir)
    assert result.returncode == 1
    assert result.stderr == f"FAILED {fifo}: not a regular file (FIFO); it was not opened\n"
    parsed = run_cli("parse", fifo)
    assert parsed.returncode == 2
    assert parsed.stderr == f"{fifo}: not a regular file (FIFO); it was not opened\n"
    assert parsed.stdout == ""


def test_a_socket_fails_by_name(indexed):
    folder, index_dir = indexed
    path = folder / "listening.html"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        result = run_cli("ingest", folder, "--index", index_dir)
    assert result.returncode == 1
    assert result.stderr == (
        f"FAILED {path.resolve()}: not a regular file (socket); it was not opened\n"
    )


def test_special_file_reasons():
    assert reasons.special_file(0o100644) is None
    assert reasons.special_file(0o040755) == reasons.IS_DIRECTORY
    assert reasons.special_file(0o020666) == (
        "not a regular file (character device); it was not opened"
    )
    assert reasons.special_file(0o060660) == "not a regular file (block device); it was not opened"


def test_html_nested_ten_thousand_deep_fails_with_its_reason(indexed):
    folder, index_dir = indexed
    deep = deep_html(folder / "deep.html")
    result = run_cli("ingest", folder, "--index", index_dir)
    assert result.returncode == 1
    assert result.stderr == f"FAILED {deep.resolve()}: {reasons.NESTING_TOO_DEEP}\n"
    assert "Traceback" not in result.stdout + result.stderr
    parsed = run_cli("parse", deep)
    assert (parsed.returncode, parsed.stderr) == (2, f"{deep}: {reasons.NESTING_TOO_DEEP}\n")


def test_html_nested_a_hundred_deep_is_read(tmp_path):
    shallow = deep_html(tmp_path / "shallow.html", depth=100)
    parsed = run_cli("parse", shallow)
    assert parsed.returncode == 0, parsed.stderr
    # Read to its text: the month comes from it (it has no report structure).
    assert json.loads(parsed.stdout)["month"] == "2017-10"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return months_app(tmp_path_factory).test_client()


@pytest.mark.parametrize(
    "path", ["/", "/reports", "/milestones/DLP-472", "/wbs/1.02C.03", "/nowhere", "/search.json"]
)
def test_a_long_host_header_is_a_400_on_every_page(client, path):
    response = client.get(path, headers={"Host": LONG_HOST})
    assert response.status_code == 400
    if path.endswith(".json"):
        assert response.get_json() == {"error": "The Host header is not a valid host name."}
    else:
        assert response.mimetype == "text/html"
        assert b"The Host header is not a valid host name." in response.data
        assert b"Traceback" not in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_long_host_header_on_the_api(client):
    response = client.get("/api/search?q=DM-12256", headers={"Host": LONG_HOST})
    assert response.status_code == 400
    assert response.get_json() == {"error": "The Host header is not a valid host name."}


def test_a_good_host_header_is_served(client):
    response = client.get("/api/search?q=DM-12256", headers={"Host": "dm.example.org:8000"})
    assert response.status_code == 200


def test_an_over_long_query_is_a_short_400(client):
    q = "qserv " * 17_000  # about 100 KB
    page = client.get("/", query_string={"q": q})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert f"query is longer than {MAX_QUERY_LENGTH} characters".encode() in page.data
    assert b"qserv qserv" not in page.data
    assert len(page.data) < 5_000
    api = client.get("/api/search", query_string={"q": q})
    assert api.status_code == 400
    assert api.get_json() == {"error": f"query is longer than {MAX_QUERY_LENGTH} characters"}
    # A query at the cap is searched, and the page keeps it in the box.
    longest = ("qserv " * 200)[:MAX_QUERY_LENGTH]
    kept = client.get("/", query_string={"q": longest})
    assert kept.status_code == 200
