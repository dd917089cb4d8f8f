"""`dmreports serve`: waitress serving the app on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dmreports import server as server_module
from tests.conftest import ROOT
from tests.web_support import october_app

START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen) -> bytes:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {START_TIMEOUT} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory, pdf_report):
    index = october_app(tmp_path_factory, pdf_report).config["INDEX_PATH"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dmreports", "serve", "--index", index, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/openapi.json", process)
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


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_worker_processes_share_the_port_and_stop_with_the_server(
    tmp_path_factory, pdf_report, stop
):
    index = october_app(tmp_path_factory, pdf_report).config["INDEX_PATH"]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dmreports", "serve", "--index", index, "--port", str(port)]
        + ["--workers", "2", "--threads", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/api/search?q=DCR", process)
        workers = _children(process.pid)
        assert len(workers) == 2
        for _ in range(10):  # both workers answer on the one port
            body = wait_for(f"http://127.0.0.1:{port}/api/search?q=DM-12256", process)
            assert json.loads(body)["total"] == 1
    finally:
        getattr(process, stop)()
        _out, err = process.communicate(timeout=30)
    # A stopped or killed server leaves no worker behind.
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
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
