"""How much of the CPU other processes took while the benchmark ran (a shared machine).

A background thread samples, twice a second, the CPU time the whole machine spent busy
(/proc/stat) and the CPU time of this process and every process below it (/proc/PID/stat).
What the machine spent beyond this process tree is what others took. Linux only; elsewhere
every share reads as unknown.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .processes import process_cpu, process_tree

SAMPLE_INTERVAL = 0.5
# /proc/stat cpu fields counted as busy: user nice system irq softirq steal.
BUSY_FIELDS = (0, 1, 2, 5, 6, 7)
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class Contention:
    """Samples busy CPU of the machine and of this process tree; `share()` per interval."""

    def __init__(self, interval: float = SAMPLE_INTERVAL):
        self.interval = interval
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self._ours: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._mark = self._snapshot()

    def start(self) -> Contention:
        """Start sampling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()

    def share(self) -> float | None:
        """Share of all cores others used since the last call (or start); None if unknown."""
        self._sample()
        now = self._snapshot()
        (busy0, ours0, wall0), (busy1, ours1, wall1) = self._mark, now
        self._mark = now
        if busy0 is None or busy1 is None or wall1 <= wall0:
            return None
        others = max(0, (busy1 - busy0) - (ours1 - ours0)) / TICKS
        return min(1.0, others / ((wall1 - wall0) * self.cores))

    def _snapshot(self) -> tuple[int | None, int, float]:
        with self._lock:
            ours = sum(self._ours.values())
        return _machine_busy(), ours, time.monotonic()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        seen = {}
        for pid in process_tree(os.getpid()):
            stat = process_cpu(pid)
            if stat is not None:
                seen[(pid, stat[0])] = stat[1]
        with self._lock:
            self._ours.update(seen)


def _machine_busy() -> int | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    return sum(int(fields[i]) for i in BUSY_FIELDS if i < len(fields))
