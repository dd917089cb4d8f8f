"""A fixed mix of searches, run in process against search/ (Whoosh) at several index sizes.

Each QuerySpec is written once and turned into a SearchRequest, an /api/search URL and an
FTS5 query (bench/fts.py), so every engine answers the same questions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from ingest.models import Report
from search import FACETS, Index, SearchRequest, search

API_PATH = "/api/search"


@dataclass(frozen=True)
class QuerySpec:
    """One search: text parts (all must match), a month range in the text, facet selections."""

    label: str
    words: tuple[str, ...] = ()
    phrase: str | None = None
    ident: str | None = None
    prefix: str | None = None
    month_range: tuple[str, str] | None = None
    wbs: tuple[str, ...] = ()
    month: tuple[str, ...] = ()
    year: tuple[str, ...] = ()
    part: tuple[str, ...] = ()
    sort: str = "relevance"

    @property
    def q(self) -> str:
        """The query text in dmreports' query language."""
        parts = list(self.words)
        if self.phrase:
            parts.append(f'"{self.phrase}"')
        if self.ident:
            parts.append(self.ident)
        if self.prefix:
            parts.append(f"{self.prefix}*")
        if self.month_range:
            parts.append(f"month:[{self.month_range[0]} TO {self.month_range[1]}]")
        return " ".join(parts)

    def request(self) -> SearchRequest:
        """The SearchRequest (all facets are always counted, hits highlighted)."""
        return SearchRequest(
            q=self.q,
            wbs=self.wbs,
            month=self.month,
            year=self.year,
            part=self.part,
            sort=self.sort,
        )

    def url(self) -> str:
        """The /api/search URL of this search."""
        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in FACETS:
            pairs += [(name, value) for value in getattr(self, name, ())]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        return f"{API_PATH}?{urlencode(pairs)}" if pairs else API_PATH


# Identifiers below exist in the first SYNTHETIC variant (2015-01) and so at every size:
# tickets are renumbered per month, milestones per year, documents and technotes never.
QUERY_MIX: tuple[QuerySpec, ...] = (
    QuerySpec("words", words=("qserv", "data", "distribution")),
    QuerySpec("one word", words=("butler",)),
    QuerySpec("phrase", phrase="alert production"),
    QuerySpec("long phrase", phrase="differential chromatic refraction"),
    QuerySpec("ticket ID", ident="DM-12256"),
    QuerySpec("milestone ID", ident="DLP-472"),
    QuerySpec("document milestone", ident="LDM-503-2"),
    QuerySpec("technote", ident="DMTN-057"),
    QuerySpec("WBS + word", words=("qserv",), wbs=("1.02C.06",)),
    QuerySpec("WBS only, newest", wbs=("1.02C.03",), sort="newest"),
    QuerySpec("month range", words=("pipelines",), month_range=("2015-03", "2015-09")),
    QuerySpec(
        "months + part",
        words=("release",),
        month=("2015-03", "2015-04", "2015-05"),
        part=("planned",),
    ),
    QuerySpec("deep WBS + year", words=("deblending",), wbs=("02C.04.05",), year=("2015",)),
    QuerySpec("prefix", prefix="deblend"),
    QuerySpec("everything, newest", sort="newest"),
)


@dataclass(frozen=True)
class Latencies:
    """Per-query wall times (seconds) over all rounds, and the hit totals of the last round."""

    samples: tuple[float, ...]
    totals: dict[str, int]
    first: float
    by_label: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def slowest(self, count: int) -> list[tuple[str, float]]:
        """The `count` queries with the highest median time: (label, seconds)."""
        medians = {label: statistics.median(times) for label, times in self.by_label.items()}
        return sorted(medians.items(), key=lambda item: -item[1])[:count]


def build_index(reports: Sequence[Report], path: Path) -> float:
    """Index reports into a new index at path in one writer (one commit); return the seconds."""
    start = time.perf_counter()
    index = Index.open(path, create=True)
    with index.writer() as writer:
        for report in reports:
            writer.add_report(report)
    return time.perf_counter() - start


def run_mix(
    answer: Callable[[QuerySpec], int],
    mix: Sequence[QuerySpec] = QUERY_MIX,
    rounds: int = 20,
    budget: float = 60.0,
) -> Latencies:
    """Time answer(spec) for each spec, one warm-up round then up to `rounds` or `budget` s.

    answer returns the hit total (kept to compare engines).
    """
    start = time.perf_counter()
    totals = {spec.label: answer(spec) for spec in mix}
    first = time.perf_counter() - start
    by_label: dict[str, list[float]] = {spec.label: [] for spec in mix}
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(rounds):
        for spec in mix:
            t0 = time.perf_counter()
            totals[spec.label] = answer(spec)
            elapsed = time.perf_counter() - t0
            samples.append(elapsed)
            by_label[spec.label].append(elapsed)
        if time.perf_counter() > deadline:
            break
    return Latencies(tuple(samples), totals, first, {k: tuple(v) for k, v in by_label.items()})


def run_side_by_side(
    answers: dict[Hashable, Callable[[QuerySpec], int]],
    mix: Sequence[QuerySpec] = QUERY_MIX,
    rounds: int = 20,
    budget: float = 60.0,
) -> dict[Hashable, Latencies]:
    """run_mix over several engines (by key) at once, their rounds alternating.

    A change in the machine's speed during the run touches every engine alike,
    so the ratio of their times holds; one warm-up round each first.
    """
    warm = {key: run_mix(answer, mix, rounds=0) for key, answer in answers.items()}
    samples: dict[Hashable, list[float]] = {key: [] for key in answers}
    by_label = {key: {spec.label: [] for spec in mix} for key in answers}
    deadline = time.perf_counter() + budget
    for _ in range(rounds):
        for key, answer in answers.items():
            for spec in mix:
                t0 = time.perf_counter()
                answer(spec)
                elapsed = time.perf_counter() - t0
                samples[key].append(elapsed)
                by_label[key][spec.label].append(elapsed)
        if time.perf_counter() > deadline:
            break
    return {
        key: Latencies(
            tuple(samples[key]),
            warm[key].totals,
            warm[key].first,
            {label: tuple(times) for label, times in by_label[key].items()},
        )
        for key in answers
    }


def whoosh_answer(index: Index) -> Callable[[QuerySpec], int]:
    """A search through search.search with every facet and highlighted snippets."""

    def answer(spec: QuerySpec) -> int:
        return search(index, spec.request()).total

    return answer
