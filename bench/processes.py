"""Running `dmreports` commands as the user would, timing them and reading their peak memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The console script next to this interpreter (the venv's), else `python -m dmreports`.
_SCRIPT = Path(sys.executable).with_name("dmreports")
STOP_GRACE = 10.0
SAMPLE_INTERVAL = 0.1
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def dmreports_command() -> list[str]:
    """The command line that starts `dmreports`."""
    if _SCRIPT.exists():
        return [str(_SCRIPT)]
    return [sys.executable, "-m", "dmreports"]


@dataclass(frozen=True)
class Run:
    """A finished command: wall time, exit status, peak RSS (MiB) and its output.

    max_rss_mib is the command's own process; worker_rss_mib the largest of the
    processes it started (parser workers), as sampled while it ran.
    """

    seconds: float
    status: int
    max_rss_mib: float
    worker_rss_mib: float
    stdout: str
    stderr: str
    cpu_main: float = 0.0  # CPU seconds of the command's own process
    cpu_workers: float = 0.0  # CPU seconds of the processes it started, together
    workers_until: float = 0.0  # seconds from the start when those last used CPU

    def check(self, what: str) -> Run:
        """Raise RuntimeError naming `what` unless the command succeeded."""
        if self.status != 0:
            tail = (self.stderr or self.stdout).strip().splitlines()[-5:]
            raise RuntimeError(f"{what} failed (exit {self.status}): {' / '.join(tail)}")
        return self


def run(args: Sequence[str], timeout: float = 3600.0) -> Run:
    """Run `dmreports ARGS` to the end, sampling the peak memory of its process tree."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*dmreports_command(), *args], cwd=ROOT, stdout=out, stderr=err, env=_env()
        )
        sampler = TreePeak(proc.pid).start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        seconds = time.perf_counter() - start
        sampler.stop()
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            proc.returncode,
            sampler.root_mib,
            sampler.children_mib,
            out.read(),
            err.read(),
            sampler.root_cpu,
            sampler.children_cpu,
            sampler.children_busy_until,
        )


class TreePeak:
    """Samples peak RSS and CPU time of a process and its descendants in a background thread."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL):
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, float] = {}
        self.ticks: dict[tuple[int, str], int] = {}  # (pid, start time): CPU ticks last seen
        self.started = time.monotonic()
        self.children_busy_until = 0.0  # seconds from start when a descendant last used CPU
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> TreePeak:
        """Start sampling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (after one last sample)."""
        self._stop.set()
        self._thread.join()

    @property
    def root_mib(self) -> float:
        """Peak RSS of the process itself."""
        return self.peaks.get(self.pid, 0.0)

    @property
    def children_mib(self) -> float:
        """Largest peak RSS among its descendants."""
        return max((v for pid, v in self.peaks.items() if pid != self.pid), default=0.0)

    @property
    def root_cpu(self) -> float:
        """CPU seconds of the process itself."""
        return sum(v for (pid, _), v in self.ticks.items() if pid == self.pid) / TICKS

    @property
    def children_cpu(self) -> float:
        """CPU seconds of its descendants, together."""
        return sum(v for (pid, _), v in self.ticks.items() if pid != self.pid) / TICKS

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        """Read the peak RSS and CPU time of every process in the tree now."""
        for pid in process_tree(self.pid):
            peak = _vm_hwm_mib(pid)
            if peak is not None:
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))
            cpu = process_cpu(pid)
            if cpu is None:
                continue
            key = (pid, cpu[0])
            if pid != self.pid and cpu[1] > self.ticks.get(key, 0):
                self.children_busy_until = time.monotonic() - self.started
            self.ticks[key] = cpu[1]


def process_cpu(pid: int, reaped: bool = False) -> tuple[str, int] | None:
    """(start time, user + system CPU ticks) of a process; None if it is gone.

    reaped adds the CPU of the children it has waited for.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    # After the command: state is field 3; utime 14, stime 15, cutime 16, cstime 17,
    # starttime 22 (1-based).
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return fields[19], ticks


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants, by pid."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").glob("*/children"))
        except OSError:  # the process ended while the tree was read
            continue
        for task in tasks:
            try:
                todo += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return out


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DMREPORTS_INDEX", None)
    env["PYTHONPATH"] = str(ROOT)
    return env


class Server:
    """`dmreports serve` in the background on 127.0.0.1."""

    def __init__(self, index: Path, port: int):
        self.index, self.port = index, port
        self.proc: subprocess.Popen | None = None
        self.log = ""

    def start(self) -> Server:
        """Start the server (returns at once; see `wait_ready`)."""
        args = [
            "serve",
            "--index",
            str(self.index),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.proc = subprocess.Popen(
            [*dmreports_command(), *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        return self

    def peak_rss_mib(self) -> float | None:
        """The server's peak RSS so far (VmHWM), or None if it cannot be read."""
        return _vm_hwm_mib(self.proc.pid) if self.proc is not None else None

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGINT, then SIGKILL after a grace period)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr is not None:
            self.log = self.proc.stderr.read()
            self.proc.stderr.close()
