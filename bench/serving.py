"""A `dmreports serve` seen by users: its workers' memory, history pages, first requests.

`dmreports serve` runs one process per core, each accepting on its own socket of the same
port; the kernel picks the worker of each new connection. To measure one worker (its
first request, its memory after a given load) a client must know which worker it talks
to: `WorkerPool` opens connections until each worker holds enough of them, finding the
owner of each connection from /proc (the inode of the server's side of the connection in
/proc/net/tcp, and which worker process has that socket open). Requests then go over
those keep-alive connections to the worker chosen.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .load import HOST
from .processes import process_tree

# How long to wait for a worker to accept a connection, and connections tried at most.
ACCEPT_TIMEOUT = 10.0
ACCEPT_POLL = 0.005
MAX_CONNECTIONS = 400
# A history page's first load may take many seconds on a large index: wait for it.
REQUEST_TIMEOUT = 600.0
REDIRECTS = (301, 302, 303, 307, 308)


class RequestFailed(RuntimeError):
    """A page did not answer 200."""


def worker_pids(server_pid: int) -> list[int]:
    """The processes that answer requests: the forked workers, else the server itself."""
    children = [pid for pid in process_tree(server_pid) if pid != server_pid]
    return sorted(children) or [server_pid]


def _hex_address(host: str, port: int) -> str:
    packed = bytes(int(part) for part in host.split("."))
    return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"


def _server_inode(listen_port: int, client_port: int) -> str | None:
    """The inode of the accepted socket of the connection from client_port (None: not yet)."""
    local, remote = _hex_address(HOST, listen_port), _hex_address(HOST, client_port)
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if parts[1] == local and parts[2] == remote and parts[9] != "0":
            return parts[9]
    return None


def _owner(pids: Sequence[int], inode: str) -> int | None:
    link = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                    return pid
            except OSError:
                continue
    return None


def _connect(port: int, pids: Sequence[int]) -> tuple[http.client.HTTPConnection, int | None]:
    """A new connection and the worker that accepted it (None if that cannot be told)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    conn.connect()
    if len(pids) == 1:
        return conn, pids[0]
    client_port = conn.sock.getsockname()[1]
    deadline = time.monotonic() + ACCEPT_TIMEOUT
    while time.monotonic() < deadline:
        inode = _server_inode(port, client_port)
        if inode is not None and (pid := _owner(pids, inode)) is not None:
            return conn, pid
        time.sleep(ACCEPT_POLL)
    return conn, None


@dataclass
class WorkerPool:
    """Keep-alive connections to each worker of a server, by worker pid."""

    port: int
    pids: list[int]
    connections: dict[int, list[http.client.HTTPConnection]] = field(default_factory=dict)

    @classmethod
    def open(cls, port: int, server_pid: int, per_worker: int = 1) -> WorkerPool:
        """Connect until every worker holds per_worker connections."""
        pool = cls(port, worker_pids(server_pid))
        pool.connections = {pid: [] for pid in pool.pids}
        spare = []
        for _ in range(MAX_CONNECTIONS):
            if all(len(c) >= per_worker for c in pool.connections.values()):
                break
            conn, pid = _connect(port, pool.pids)
            if pid is None or len(pool.connections[pid]) >= per_worker:
                spare.append(conn)
            else:
                pool.connections[pid].append(conn)
        for conn in spare:
            conn.close()
        missing = [pid for pid, c in pool.connections.items() if len(c) < per_worker]
        if missing:
            raise RuntimeError(f"no connection reached server worker(s) {missing}")
        return pool

    def get(self, pid: int, path: str, slot: int = 0) -> float:
        """GET path from worker pid; the seconds to the whole answer.

        A connection the worker closed (idle too long while another server was measured)
        is opened again to the same worker, and the request sent once more.
        """
        try:
            return timed_get(self.connections[pid][slot], path)
        except (http.client.RemoteDisconnected, ConnectionError):
            self.connections[pid][slot].close()
            self.connections[pid][slot] = self._reconnect(pid)
            return timed_get(self.connections[pid][slot], path)

    def _reconnect(self, pid: int) -> http.client.HTTPConnection:
        """A new connection that worker pid accepted."""
        for _ in range(MAX_CONNECTIONS):
            conn, owner = _connect(self.port, self.pids)
            if owner == pid:
                return conn
            conn.close()
        raise RuntimeError(f"no new connection reached server worker {pid}")

    def close(self) -> None:
        for conns in self.connections.values():
            for conn in conns:
                conn.close()


def timed_get(conn: http.client.HTTPConnection, path: str) -> float:
    """GET path on a keep-alive connection; raise RequestFailed unless it answers 200."""
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    seconds = time.perf_counter() - start
    if response.status != 200:
        raise RequestFailed(f"{path}: HTTP {response.status}")
    return seconds


def canonical(conn: http.client.HTTPConnection, path: str) -> str:
    """The path a page answers at (following the UI's redirects to canonical spellings)."""
    for _ in range(3):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status in REDIRECTS:
            location = urlsplit(response.getheader("Location", ""))
            path = location.path + (f"?{location.query}" if location.query else "")
            continue
        if response.status != 200:
            raise RequestFailed(f"{path}: HTTP {response.status}")
        return path
    raise RequestFailed(f"{path}: too many redirects")


def concurrent_gets(pool: WorkerPool, pid: int, paths: Sequence[str], count: int) -> list[str]:
    """GET `count` paths (cycling) from worker pid over all its connections at once; errors."""
    conns = pool.connections[pid]
    errors: list[str] = []
    lock = threading.Lock()
    jobs = list(range(count))

    def client(slot: int) -> None:
        while True:
            with lock:
                if not jobs:
                    return
                n = jobs.pop()
            try:
                timed_get(conns[slot], paths[n % len(paths)])
            except (OSError, http.client.HTTPException, RequestFailed) as exc:
                with lock:
                    errors.append(str(exc))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(conns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@dataclass(frozen=True)
class Memory:
    """A process's memory now (MiB): resident, peak resident, proportional share."""

    rss: float
    hwm: float
    pss: float | None


def memory(pid: int) -> Memory:
    """Resident, peak resident (VmHWM) and proportional (PSS: shared pages split) memory."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    pss = None
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return Memory(values.get("VmRSS", 0.0), values.get("VmHWM", 0.0), pss)
