"""A bounded HTTP load test: N clients, each on its own keep-alive connection, for D seconds.

Each client walks the query mix's /api/search URLs in turn (starting at a different one),
times each request and counts as an error anything but a 200 with a JSON body, or a
connection failure.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .results import p50, percentile

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0
READY_TIMEOUT = 60.0
READY_POLL = 0.2
READY_POLL_TIMEOUT = 5.0
# Errors listed in RESULTS.md at most.
MAX_ERROR_EXAMPLES = 5


@dataclass
class LoadResult:
    """What the clients saw: latencies (s), errors, wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        """Requests answered, successful or not."""
        return len(self.latencies) + len(self.errors)

    @property
    def per_second(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        """Median latency (s)."""
        return p50(self.latencies) if self.latencies else 0.0

    @property
    def p99(self) -> float:
        """99th-percentile latency (s)."""
        return percentile(self.latencies, 0.99) if self.latencies else 0.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(port: int, path: str, alive, timeout: float = READY_TIMEOUT) -> None:
    """Wait until GET path answers 200; raise RuntimeError if the server dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server exited before it answered")
        conn = http.client.HTTPConnection(HOST, port, timeout=READY_POLL_TIMEOUT)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(READY_POLL)
    raise RuntimeError(f"the server did not answer {path} within {timeout:g} s")


def run_load(port: int, urls: Sequence[str], clients: int, seconds: float) -> LoadResult:
    """Run `clients` threads against 127.0.0.1:port for `seconds`; return what they saw."""
    result = LoadResult()
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        latencies: list[float] = []
        errors: list[str] = []
        barrier.wait()
        n = offset
        while not stop.is_set():
            url = urls[n % len(urls)]
            n += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    errors.append(f"{url}: HTTP {response.status}")
                else:
                    json.loads(body)
                    latencies.append(time.perf_counter() - t0)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                errors.append(f"{url}: {type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        conn.close()
        with lock:
            result.latencies += latencies
            result.errors += errors

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result
