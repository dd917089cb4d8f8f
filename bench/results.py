"""Figures, their baselines and targets, and the RESULTS.md table they make."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MET = "met"
NOT_MET = "NOT MET"
NO_TARGET = "—"
# Others taking more than this share of the CPU during a step make the machine "shared".
BUSY_SHARE = 0.10
SHORT_STEP = 5.0
# RESULTS.md lists figures by section, in this order (others after them).
SECTIONS = ("Corpus", "Ingest", "Queries", "HTTP", "Serve")


@dataclass
class Figure:
    """One measured figure, with the baseline measured in the same run and its target.

    ratio is value / baseline unless given; met is None when the figure has no target.
    note says how it was measured and, when a target is missed, why.
    """

    name: str
    value: float | None
    unit: str
    section: str = ""
    baseline: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    limit: float | None = None  # the target's ratio, so rounding never hides a miss

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline_value:
            self.ratio = self.value / self.baseline_value


@dataclass
class Results:
    """Everything a run produced: machine, settings, figures, remarks."""

    machine: dict[str, str]
    settings: dict[str, str]
    figures: list[Figure] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    load: list[tuple[str, float, float]] = field(default_factory=list)  # (step, share, s)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)  # steps that raised
    running: str | None = None  # while the run goes on: the last step done

    def add(self, figure: Figure) -> Figure:
        """Record a figure and return it."""
        self.figures.append(figure)
        return figure

    def note_load(self, step: str, share: float | None, seconds: float) -> None:
        """Record the share of the CPU other processes took during a step of that length."""
        if share is not None:
            self.load.append((step, share, seconds))

    def busy(self) -> float | None:
        """The largest share others took in a step, if above BUSY_SHARE (a shared machine).

        Steps shorter than SHORT_STEP seconds are left out: a blip fills them.
        """
        highest = max((v for _, v, seconds in self.load if seconds >= SHORT_STEP), default=0.0)
        return highest if highest > BUSY_SHARE else None


def machine() -> dict[str, str]:
    """CPU, cores, memory, Python and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": cpu,
        "Cores": f"{usable} usable ({os.cpu_count()} online)",
        "Memory": memory,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": platform.platform(),
    }


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0.99 is p99) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def p50(samples: Sequence[float]) -> float:
    """The median of a non-empty sample."""
    return statistics.median(samples)


def number(value: float | None, unit: str = "") -> str:
    """A figure as text: three significant digits, with its unit."""
    if value is None:
        return "n/a"
    if value == 0:
        text = "0"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def _ratio(figure: Figure) -> str:
    """The ratio with two decimals, or four when two would round it onto the target."""
    if figure.ratio is None:
        return ""
    text = f"{figure.ratio:.2f}"
    if figure.limit is not None and text == f"{figure.limit:.2f}" and figure.ratio != figure.limit:
        text = f"{figure.ratio:.4f}"
    return f"{text}x"


def _status(figure: Figure) -> str:
    if figure.met is None:
        return NO_TARGET
    return MET if figure.met else NOT_MET


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(figures: Iterable[Figure]) -> list[str]:
    """The markdown table of figures."""
    out = [
        "| Area | Figure | Value | Baseline (same run) | Ratio | Target | Status | Notes |",
        "| --- | --- | ---: | --- | ---: | --- | --- | --- |",
    ]
    for f in figures:
        ratio = _ratio(f)
        value = number(f.value, f.unit)
        cells = [f.section, f.name, value, f.baseline, ratio, f.target, _status(f), f.note]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def render(results: Results) -> str:
    """RESULTS.md: machine, date, settings, the table, targets missed, remarks."""
    lines = [
        "# dmreports benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every baseline is measured in the same "
        "run, on the same files. The reports are SYNTHETIC (bench/synthetic.py): variants of "
        "the real October 2017 report, rendered into a temporary folder and never committed.",
        "",
        "## Machine",
        "",
        f"- Date: {results.started:%Y-%m-%d %H:%M} UTC (run took {results.seconds:.0f} s)",
        *_running_lines(results),
        *(f"- {key}: {value}" for key, value in results.machine.items()),
        *_load_lines(results),
        "",
        "## Settings",
        "",
        *(f"- {key}: {value}" for key, value in results.settings.items()),
        "",
    ]
    order = _sections(results.figures)
    figures = sorted(results.figures, key=lambda f: order.index(f.section))
    lines += ["## Figures", "", *table(figures), ""]
    missed = [f for f in results.figures if f.met is False]
    lines += ["## Targets not met", ""]
    if missed:
        lines += [f"- **{f.name}** ({f.target}): {f.note}" for f in missed]
    else:
        lines.append("- none")
    lines.append("")
    if results.remarks:
        lines += ["## Remarks", "", *(f"- {remark}" for remark in results.remarks), ""]
    return "\n".join(lines)


def _running_lines(results: Results) -> list[str]:
    if results.running is None:
        return []
    return [
        f"- **Incomplete**: written after step {results.running}, "
        f"{results.seconds:.0f} s into a run that went on (figures of later steps missing)"
    ]


def _load_lines(results: Results) -> list[str]:
    if not results.load:
        return []
    steps = ", ".join(f"{step} {value:.0%}" for step, value, _ in results.load)
    lines = [f"- CPU taken by other processes during each step: {steps}"]
    if (highest := results.busy()) is not None:
        lines.append(
            f"- **Shared machine**: other processes took up to {highest:.0%} of the CPU "
            f"during a step (of {SHORT_STEP:g} s or more); wall times are pessimistic, the "
            "2-worker speedup and HTTP throughput most of all"
        )
    return lines


def _sections(figures: Sequence[Figure]) -> list[str]:
    present = list(dict.fromkeys(f.section for f in figures))
    return [s for s in SECTIONS if s in present] + [s for s in present if s not in SECTIONS]


def write(results: Results, path: Path) -> None:
    """Write RESULTS.md."""
    path.write_text(render(results), encoding="utf-8")
