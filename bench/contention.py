"""How much of the CPU other processes took while the benchmark ran (a shared machine).

A background thread reads every process's CPU time (/proc/PID/stat) twice a second. A
process that was ever seen below this one is ours, even after it outlives its parent (a
fork server orphaned at exit); every other process is someone else's, and the CPU it used
between samples is what others took. A process that starts and ends between two samples
goes unseen, so the share can only be underestimated. Linux only; elsewhere every share
reads as unknown.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .processes import TICKS, process_cpu, process_tree

SAMPLE_INTERVAL = 0.5

Key = tuple[int, str]  # (pid, start time): a pid is reused, the pair is not


class Contention:
    """Samples all processes; `share()` tells the share of the cores others took since last."""

    def __init__(self, interval: float = SAMPLE_INTERVAL) -> None:
        self.interval = interval
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self.available = Path("/proc/self/stat").exists()
        self._ours: set[Key] = set()
        self._first: dict[Key, int] = {}
        self._last: dict[Key, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._sample()
        self._mark = (self._others(), time.monotonic())

    def start(self) -> Contention:
        """Start sampling."""
        if self.available:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def share(self) -> float | None:
        """Share of all cores others used since the last call (or start); None if unknown."""
        if not self.available:
            return None
        self._sample()
        now = (self._others(), time.monotonic())
        (others0, wall0), (others1, wall1) = self._mark, now
        self._mark = now
        if wall1 <= wall0:
            return None
        return min(1.0, (others1 - others0) / TICKS / ((wall1 - wall0) * self.cores))

    def _others(self) -> int:
        with self._lock:
            return sum(
                self._last[key] - self._first[key] for key in self._last if key not in self._ours
            )

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        ours = set()
        for pid in process_tree(os.getpid()):
            stat = process_cpu(pid)
            if stat is not None:
                ours.add((pid, stat[0]))
        seen = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = process_cpu(int(entry.name))
                if stat is not None:
                    seen[(int(entry.name), stat[0])] = stat[1]
        with self._lock:
            self._ours |= ours
            for key, ticks in seen.items():
                self._first.setdefault(key, ticks)
                self._last[key] = ticks
