"""`dmreports serve`: waitress serving the app on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from dmreports import server as server_module
from tests.conftest import ROOT
from tests.ingest_helpers import alive
from tests.web_support import october_app

START_TIMEOUT = 60
STOP_BOUND = 60
SERVING = re.compile(r"serving .* on http://127\.0\.0\.1:(?P<port>\d+)/ ")


def start_serve(index, *options: str) -> tuple[subprocess.Popen, str]:
    """Start `dmreports serve` on a port it picks; return it and its base URL once it listens.

    `serve` says so once its sockets are bound: from then on connections queue
    until a worker takes them, so no polling (and no sleep) is needed. The lines
    read on the way are kept in process.startup_lines.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "dmreports", "serve", "--index", index, "--port", "0", *options],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.startup_lines = []
    for line in process.stderr:
        process.startup_lines.append(line)
        found = SERVING.match(line)
        if found:
            return process, f"http://127.0.0.1:{found['port']}"
    process.communicate(timeout=STOP_BOUND)
    pytest.fail(f"the server stopped before it listened: {process.startup_lines}")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=START_TIMEOUT) as response:
        return response.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory, pdf_report):
    index = october_app(tmp_path_factory, pdf_report).config["INDEX_PATH"]
    process, base = start_serve(index)
    try:
        fetch(f"{base}/api/openapi.json")
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_serve_answers_the_api_and_pages(server):
    with urllib.request.urlopen(f"{server}/api/search?q=DM-12256") as response:
        data = json.loads(response.read())
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert data["total"] == 1
    assert data["hits"][0]["wbs"] == "1.02C.03.00"
    with urllib.request.urlopen(f"{server}/milestones/DLP-472") as response:
        assert response.status == 200
        assert b"2017-05-31" in response.read()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{server}/api/search?page=0")
    assert error.value.code == 400
    assert "page" in json.loads(error.value.read())["error"]
    error.value.close()


def test_a_long_host_header_is_a_400_from_waitress(server):
    # A 64-character label: Werkzeug cannot encode it as a host name.
    host = "a" * 64 + ".example.org"
    port = int(server.rsplit(":", 1)[1])
    for path, expected in (
        ("/", b"The Host header is not a valid host name."),
        ("/reports", b"The Host header is not a valid host name."),
        ("/api/search?q=DM-12256", b'{"error":"The Host header is not a valid host name."}'),
    ):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == 400, (path, body[:300])
        assert expected in body


def test_serve_help_has_an_example():
    result = subprocess.run(
        [sys.executable, "-m", "dmreports", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    assert "Example: dmreports serve" in result.stdout
    for option in ("--index", "--host", "--port", "--threads"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout and "8000" in result.stdout


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_worker_processes_share_the_port_and_stop_with_the_server(
    tmp_path_factory, pdf_report, stop
):
    index = october_app(tmp_path_factory, pdf_report).config["INDEX_PATH"]
    process, base = start_serve(index, "--workers", "2", "--threads", "2")
    ends = []
    try:
        fetch(f"{base}/api/search?q=DCR")
        workers = _children(process.pid)
        assert len(workers) == 2
        # Opened while they run: each becomes readable when its worker has exited.
        ends = [os.pidfd_open(pid) for pid in workers]
        for _ in range(10):  # both workers answer on the one port
            body = fetch(f"{base}/api/search?q=DM-12256")
            assert json.loads(body)["total"] == 1
    finally:
        getattr(process, stop)()
        _out, err = process.communicate(timeout=STOP_BOUND)
    # A stopped or killed server leaves no worker behind: each worker's end is
    # waited for as an event (the bound is only there to fail a worker that stays).
    try:
        for end in ends:
            assert select.select([end], [], [], STOP_BOUND)[0] == [end]
    finally:
        for end in ends:
            os.close(end)
    assert not any(alive(pid) for pid in workers)
    err = "".join(process.startup_lines) + err
    assert "with 2 worker processes" in err
    assert "Traceback" not in err


def test_each_worker_gets_its_own_socket_of_the_one_port():
    # The kernel spreads connections over sockets sharing a port (SO_REUSEPORT),
    # instead of the workers racing to accept on one socket.
    sockets = server_module.listen("127.0.0.1", 0, 3)
    try:
        ports = {sock.getsockname()[1] for sock in sockets}
        assert len(sockets) == 3 and len(ports) == 1
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets)
        port = ports.pop()
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        for client in clients:
            client.close()
    finally:
        for sock in sockets:
            sock.close()
    single = server_module.listen("127.0.0.1", 0)
    try:
        assert not single[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    finally:
        single[0].close()


def test_serve_on_a_port_in_use_is_one_line(tmp_path_factory, pdf_report):
    index = october_app(tmp_path_factory, pdf_report).config["INDEX_PATH"]
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dmreports", "serve", "--index", index, "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_serve_without_an_index_says_so_and_answers_503(tmp_path):
    process, base = start_serve(tmp_path / "none", "--workers", "1")
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            fetch(f"{base}/api/search?q=qserv")
        assert error.value.code == 503
        error.value.close()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=STOP_BOUND)
    assert process.startup_lines[0] == (
        f"{tmp_path / 'none'}: no index yet; pages answer 503 until `dmreports ingest`\n"
    )
    assert "Traceback" not in err
