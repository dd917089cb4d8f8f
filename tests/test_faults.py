"""Files and requests that once hung the ingest or broke the app: each gets one clear answer.

Special files (a FIFO named like a report, a socket) are failed by name and
never opened; HTML nested 10,000 deep fails with its own reason; a long Host
header or an over-long query gets a short 400, never a 500 or an echo.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import socket

import pytest

from dmreports import bulk
from ingest import batch, reasons
from ingest.batch import Outcome, parse_one
from ingest.pipeline import DEFAULT_LIMITS
from search import health
from search.models import MAX_QUERY_LENGTH
from tests.conftest import ROOT
from tests.fixtures.months import write_month
from tests.ingest_helpers import (
    KeepMonthsFailingOnBad,
    generation,
    run_cli,
    state,
    summary_re,
)
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


# --- a full disk ------------------------------------------------------------------------


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _ingest(*args):
    from click.testing import CliRunner

    from dmreports.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_disk_that_fills_at_the_commit_is_one_line(tmp_path, monkeypatch):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    for month in ("2017-08", "2017-09"):
        write_month(folder, month)
    monkeypatch.setattr(health, "write_manifest", _no_space)
    result = _ingest("ingest", folder, "--index", index_dir, "--jobs", "1")
    assert result.exit_code == 2
    assert result.stderr == (
        f"ingest stopped: no space left on device writing the index at {index_dir}; "
        "nothing was changed\n"
    )
    # No file is said to be added: none was committed.
    assert result.stdout == ""
    assert not (index_dir / "CURRENT").exists()
    assert list(index_dir.glob("gen-*")) == []


def test_a_disk_that_fills_leaves_an_index_as_it_was(indexed, monkeypatch):
    folder, index_dir = indexed
    before = (generation(index_dir), state(index_dir))
    write_month(folder, "2017-09")
    monkeypatch.setattr(health, "write_manifest", _no_space)
    result = _ingest("ingest", folder, "--index", index_dir, "--jobs", "1")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("ingest stopped: no space left on device")
    assert "FAILED" not in result.stderr
    monkeypatch.undo()
    assert (generation(index_dir), state(index_dir)) == before
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000001"]


def test_a_disk_that_fills_in_a_worker_is_one_line_not_one_per_file(tmp_path, monkeypatch):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    paths = [write_month(folder, month) for month in ("2017-08", "2017-09", "2017-10")]

    def workers_out_of_space(paths, jobs, limits, collector, finish_every):
        for path in paths:  # each worker's segment writer meets the full disk
            yield Outcome(path, None, "cannot be prepared", 0.0, dropped=True, disk_full=True)

    monkeypatch.setattr(bulk, "parse_many", workers_out_of_space)
    result = _ingest("ingest", folder, "--index", index_dir)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"ingest stopped: no space left on device writing the index at {index_dir}; "
        "nothing was changed\n"
    )
    assert len(paths) == 3 and not (index_dir / "CURRENT").exists()


def test_a_worker_tells_a_full_disk_from_a_bad_file(tmp_path):
    class FullDisk:
        def __call__(self, path, report):
            raise OSError(errno.ENOSPC, "No space left on device")

        def discard(self):
            pass

        def finish(self):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")

    report = write_month(tmp_path, "2017-08")
    outcome = parse_one(str(report), DEFAULT_LIMITS, FullDisk())
    assert (outcome.report, outcome.dropped, outcome.disk_full) == (None, True, True)
    assert batch._finish(FullDisk()).disk_full
    assert not parse_one(str(report), DEFAULT_LIMITS, KeepMonthsFailingOnBad()).disk_full


# --- the failure reasons: one list in the code, the same list in the README --------------

README = ROOT / "README.md"


def _readme_reasons() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- failure reasons:")
    end = text.index("<!-- end of failure reasons -->")
    return re.findall(r"^- `(.+?)`: ", text[start:end], flags=re.MULTILINE)


def test_the_readme_lists_every_failure_reason_of_the_code():
    assert _readme_reasons() == [reasons.shown(r) for r in reasons.REASONS]


def test_readers_fail_files_only_with_the_reasons_of_the_list():
    # No reason written out where a file is failed: each comes from ingest/reasons.py.
    for path in sorted((ROOT / "ingest").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "IngestError":
                reason = node.args[1] if len(node.args) > 1 else None
                assert not isinstance(reason, (ast.Constant, ast.JoinedStr)), (
                    f"{path.name}:{node.lineno} fails a file with a reason of its own"
                )


# Every usage error of the command line: one line naming the command and what is
# wrong, pointing at its --help, exit 2, nothing on stdout, never click's usage block.
USAGE_ERRORS = {
    ("search", "--sort", "up"): "dmreports search: Invalid value for '--sort': 'up' is not "
    "one of 'relevance', 'newest', 'oldest'. (see `dmreports search --help`)",
    ("search", "--bogus"): "dmreports search: No such option '--bogus'. Did you mean '--wbs'? "
    "(see `dmreports search --help`)",
    ("parse",): "dmreports parse: Missing argument 'FILE'. (see `dmreports parse --help`)",
    ("nocommand",): "dmreports: No such command 'nocommand'. (see `dmreports --help`)",
    ("ingest", "/nowhere/at/all"): "dmreports ingest: Invalid value for '[PATHS]...': Path "
    "'/nowhere/at/all' does not exist. (see `dmreports ingest --help`)",
    ("ingest", "--jobs", "0"): "dmreports ingest: Invalid value for '--jobs': 0 is not in the "
    "range x>=1. (see `dmreports ingest --help`)",
    ("serve", "--port", "http"): "dmreports serve: Invalid value for '--port': 'http' is not a "
    "valid integer range. (see `dmreports serve --help`)",
    ("check", "extra"): "dmreports check: Got unexpected extra argument (extra) "
    "(see `dmreports check --help`)",
}


@pytest.mark.parametrize("args", list(USAGE_ERRORS), ids=" ".join)
def test_a_usage_error_is_one_line(args):
    result = run_cli(*args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", USAGE_ERRORS[args] + "\n")


def test_help_still_shows_the_usage():
    result = run_cli("search", "--help")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("Usage: dmreports search [OPTIONS] [QUERY]\n")
