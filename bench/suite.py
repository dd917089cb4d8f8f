"""The benchmark run: each step measures one thing beside its baseline and records figures."""

from __future__ import annotations

import cProfile
import dataclasses
import os
import pstats
import resource
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.batch import default_jobs
from ingest.models import Report
from search import Index

from . import extraction, fts, load, processes, queries, synthetic
from .contention import Contention
from .results import Figure, Results, machine, p50, percentile, write

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
TMP_PREFIX = "dmreports-bench-"

# Targets from the performance issue.
TARGET_COLD_RATIO = 10.0
TARGET_WARM_SECONDS = 2.0
TARGET_SPEEDUP = 1.7
TARGET_P50_MS = 20.0
TARGET_P99_MS = 100.0
TARGET_P50_GROWTH = 3.0
TARGET_HTTP_RPS = 200.0
# The sizes the query targets are stated for.
TARGET_SIZE = 1200
GROWTH_FROM = 120
# The function whose time the query breakdown splits (module file, name), how far it goes
# down a callee taking more than DESCEND_SHARE of the time, and how many callees it names.
SEARCH_ENTRY = ("search/query.py", "search")
DESCEND_SHARE = 0.6
MAX_DEPTH = 4
TOP_CALLEES = 5
# Slow queries named when a latency target is missed; runs of the slowest under cProfile.
SLOWEST = 3
PROFILE_REPEATS = 3


@dataclass(frozen=True)
class Settings:
    """Sizes and bounds of a run."""

    reports: int = 120
    sizes: tuple[int, ...] = (12, 120, 1200)
    plumber_sample: int = 12
    rounds: int = 20
    query_budget: float = 40.0
    http_clients: int = 8
    http_seconds: float = 20.0
    seed: int = synthetic.DEFAULT_SEED
    render_jobs: int = field(default_factory=default_jobs)
    output: Path = RESULTS_PATH
    workdir: Path | None = None
    short: bool = False
    mode: str = "full"

    def describe(self) -> dict[str, str]:
        """The settings as RESULTS.md lists them."""
        return {
            "Mode": self.mode,
            "Reports rendered and ingested": str(self.reports)
            + (" (short: a few pages each)" if self.short else ""),
            "Query index sizes": ", ".join(map(str, self.sizes)),
            "pdfplumber sample": f"{self.plumber_sample} files, scaled to all by pages",
            "Query rounds": f"1 warm-up + up to {self.rounds} (budget {self.query_budget:g} s "
            "per engine and size)",
            "HTTP load": f"{self.http_clients} clients, {self.http_seconds:g} s",
            "Seed": str(self.seed),
        }


QUICK = Settings(
    reports=12, sizes=(3, 12, 120), plumber_sample=2, rounds=5, query_budget=10.0,
    http_seconds=5.0, mode="quick",
)  # fmt: skip


@dataclass
class Context:
    """What the steps share: settings, folders, the files and what was learnt about them."""

    settings: Settings
    results: Results
    work: Path
    paths: list[Path] = field(default_factory=list)
    pages: int = 0
    reports: list[Report] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    index_path: Path | None = None
    cold1: processes.Run | None = None
    pdfium: dict[str, float] = field(default_factory=dict)  # before which step: seconds

    @property
    def corpus(self) -> Path:
        """The folder of rendered SYNTHETIC reports."""
        return self.work / "corpus"


def run(settings: Settings) -> Results:
    """Run every step, write RESULTS.md and return the results."""
    started = time.perf_counter()
    results = Results(machine=machine(), settings=settings.describe())
    work = settings.workdir or Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(settings, results, work)
    contention = Contention().start()
    try:
        for step in STEPS:
            step_start = time.perf_counter()
            step(ctx)
            for figure in results.figures:
                figure.section = figure.section or STEP_SECTIONS.get(step.__name__, "")
            step_seconds = time.perf_counter() - step_start
            results.note_load(step.__name__, contention.share(), step_seconds)
            _log(f"{step.__name__} done in {step_seconds:.1f} s")
    finally:
        contention.stop()
        if settings.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    results.seconds = time.perf_counter() - started
    write(results, settings.output)
    _log(f"wrote {settings.output}")
    return results


def _log(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --- corpus and extraction baselines -------------------------------------------------


def generate(ctx: Context) -> None:
    """Render the SYNTHETIC corpus."""
    s = ctx.settings
    start = time.perf_counter()
    ctx.paths = synthetic.write_corpus(ctx.corpus, s.reports, s.seed, s.render_jobs, s.short)
    seconds = time.perf_counter() - start
    per_file = _pages_per_file(ctx.paths)
    ctx.pages = sum(per_file)
    ctx.results.add(
        Figure(
            f"SYNTHETIC corpus: {len(ctx.paths)} reports",
            ctx.pages,
            "pages",
            note=f"{min(per_file)}-{max(per_file)} pages per report; rendered in {seconds:.0f} s "
            f"with {s.render_jobs} processes (corpus/build.py renderer)",
        )
    )


def _pdfium(ctx: Context, before: str) -> float:
    """Measure the pypdfium2 raw-text baseline now, just before what it is compared with.

    The best of extraction.PDFIUM_REPEATS runs in a fresh process.
    """
    timing = extraction.isolated(extraction.pdfium_best, ctx.paths)
    ctx.pdfium[before] = timing.seconds
    return timing.seconds


def _pages_per_file(paths: list[Path]) -> list[int]:
    import pypdfium2

    out = []
    for path in paths:
        pdf = pypdfium2.PdfDocument(str(path))
        out.append(len(pdf))
        pdf.close()
    return out


def plumber(ctx: Context) -> None:
    """pdfplumber extract_words on a sample, scaled to the whole corpus by pages."""
    pdfium_s = _pdfium(ctx, "pdfplumber")
    picked = extraction.sample(ctx.paths, ctx.settings.plumber_sample)
    timing = extraction.isolated(extraction.pdfplumber_words, picked)
    scaled = timing.per_page * ctx.pages
    ctx.seconds["plumber"] = scaled
    ctx.results.add(
        Figure(
            "Baseline: pdfplumber extract_words, all pages (scaled from a sample)",
            scaled,
            "s",
            baseline=f"pypdfium2 raw text {pdfium_s:.2f} s",
            baseline_value=pdfium_s,
            note=f"measured on {timing.files} of {len(ctx.paths)} files ({timing.pages} pages, "
            f"{timing.seconds:.1f} s), scaled by pages",
        )
    )


def parse_only(ctx: Context) -> None:
    """load_report() of every file in one process: the parse without the index."""
    pdfium_s = _pdfium(ctx, "parse")
    timing, reports, errors = extraction.isolated(extraction.parse_all, ctx.paths)
    ctx.reports = reports
    ctx.seconds["parse"] = timing.seconds
    note = f"{timing.pages / timing.seconds:,.0f} pages/s"
    if errors:
        note += f"; {len(errors)} failed, e.g. {errors[0]}"
    ctx.results.add(
        Figure(
            "Parse only (load_report, one process, no index)",
            timing.seconds,
            "s",
            baseline=f"pypdfium2 raw text {pdfium_s:.2f} s",
            baseline_value=pdfium_s,
            note=note,
        )
    )


# --- ingest through the CLI ----------------------------------------------------------


def startup(ctx: Context) -> None:
    """How long `dmreports --help` takes: the floor of any command."""
    runs = [processes.run(["--help"]).check("dmreports --help") for _ in range(3)]
    ctx.seconds["startup"] = min(r.seconds for r in runs)
    ctx.results.add(
        Figure(
            "CLI start-up (dmreports --help, best of 3)",
            ctx.seconds["startup"],
            "s",
            note="Python start and imports: part of every command below",
        )
    )


def _ingest(ctx: Context, index: Path, jobs: int) -> processes.Run:
    result = processes.run(["ingest", str(ctx.corpus), "--index", str(index), "--jobs", str(jobs)])
    if result.status not in (0, 1):  # 1: some file failed, reported below
        result.check(f"dmreports ingest --jobs {jobs}")
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    if failed:
        ctx.results.remarks.append(
            f"`dmreports ingest --jobs {jobs}`: {len(failed)} files failed, e.g. {failed[0]}"
        )
    return result


def cold_ingest(ctx: Context) -> None:
    """`dmreports ingest --jobs 1` into an empty index, then the same again (warm)."""
    index = ctx.work / "index-1"
    pdfium_s = _pdfium(ctx, "cold ingest")
    cold = _ingest(ctx, index, 1)
    ctx.index_path = index
    ctx.seconds["cold1"] = cold.seconds
    ctx.cold1 = cold
    parse_s = ctx.seconds["parse"]
    ratio = cold.seconds / pdfium_s
    _pdfium_figure(ctx)
    ctx.results.add(
        Figure(
            f"Cold ingest, 1 worker: dmreports ingest --jobs 1, {len(ctx.paths)} reports",
            cold.seconds,
            "s",
            baseline=f"pypdfium2 raw text {pdfium_s:.2f} s",
            baseline_value=pdfium_s,
            target=f"<= {TARGET_COLD_RATIO:g}x pypdfium2",
            met=ratio <= TARGET_COLD_RATIO,
            limit=TARGET_COLD_RATIO,
            note=_cold_note(ctx, cold, ratio),
        )
    )
    ctx.results.add(
        Figure(
            "Cold ingest, 1 worker, against pdfplumber extract_words",
            cold.seconds,
            "s",
            baseline=f"pdfplumber extract_words {ctx.seconds['plumber']:.1f} s (scaled)",
            baseline_value=ctx.seconds["plumber"],
            note=f"parse alone: {parse_s / ctx.seconds['plumber']:.2f}x pdfplumber",
        )
    )
    ctx.results.add(
        Figure(
            "Cold ingest, 1 worker: throughput",
            ctx.pages / cold.seconds,
            "pages/s",
            baseline=f"pypdfium2 raw text {ctx.pages / pdfium_s:,.0f} pages/s",
            ratio=(ctx.pages / cold.seconds) / (ctx.pages / pdfium_s),
        )
    )
    ctx.results.add(
        Figure(
            "Peak memory, ingest (--jobs 1)",
            cold.max_rss_mib,
            "MiB",
            note=f"the dmreports process (VmHWM); largest parser worker {cold.worker_rss_mib:.0f} "
            "MiB",
        )
    )
    size = _tree_size(index)
    ctx.results.add(
        Figure(
            f"Index size on disk, {len(ctx.paths)} reports (dmreports ingest)",
            size / 2**20,
            "MiB",
            note=f"{sum(p.stat().st_size for p in ctx.paths) / 2**20:.1f} MiB of PDFs",
        )
    )
    warm = _ingest(ctx, index, 1)
    ctx.results.add(
        Figure(
            f"Warm re-ingest, {len(ctx.paths)} unchanged reports",
            warm.seconds,
            "s",
            baseline=f"CLI start-up {ctx.seconds['startup']:.2f} s",
            baseline_value=ctx.seconds["startup"],
            target=f"< {TARGET_WARM_SECONDS:g} s",
            met=warm.seconds < TARGET_WARM_SECONDS,
            note=_warm_note(ctx, warm),
        )
    )


def _pdfium_figure(ctx: Context) -> None:
    """The pypdfium2 baseline as measured before the cold ingest, and its other measurements."""
    seconds = ctx.pdfium["cold ingest"]
    others = ", ".join(f"{v:.2f} s before {k}" for k, v in ctx.pdfium.items() if k != "cold ingest")
    ctx.results.add(
        Figure(
            "Baseline: pypdfium2 raw text (get_text_range), all pages",
            seconds,
            "s",
            note=f"{ctx.pages / seconds:,.0f} pages/s; best of {extraction.PDFIUM_REPEATS} runs "
            f"in a fresh process just before the cold ingest; each ratio uses the measurement "
            f"taken just before it ({others})",
        )
    )


def _cold_note(ctx: Context, cold: processes.Run, ratio: float) -> str:
    parse_s, pdfium_s = ctx.seconds["parse"], ctx.pdfium["parse"]
    note = f"parse alone {parse_s:.1f} s ({parse_s / pdfium_s:.1f}x pypdfium2)"
    index_s = ctx.seconds.get(f"index{len(ctx.paths)}")
    if index_s is not None:
        note += (
            f"; indexing the same reports in process (one writer, one commit) "
            f"{index_s:.1f} s ({index_s / pdfium_s:.1f}x pypdfium2)"
        )
    note += (
        f"; CPU of the run: dmreports process {cold.cpu_main:.1f} s, worker processes "
        f"{cold.cpu_workers:.1f} s; CLI start-up {ctx.seconds['startup']:.1f} s"
    )
    alone = cold.seconds - cold.workers_until
    note += (
        f"; the workers were done {cold.workers_until:.1f} s into the run, the dmreports "
        f"process then worked alone for {alone:.1f} s (the last reports and the commit)"
    )
    if ratio > TARGET_COLD_RATIO:
        note = f"NOT MET: {note}"
    return note


def _warm_note(ctx: Context, warm: processes.Run) -> str:
    line = warm.stdout.strip().splitlines()[-1] if warm.stdout.strip() else ""
    note = f"only hashing; CLI said: {line}" if line else "only hashing"
    if warm.seconds >= TARGET_WARM_SECONDS:
        note = (
            f"NOT MET: {warm.seconds - ctx.seconds['startup']:.2f} s beyond start-up go to "
            f"hashing and reading the index; {note}"
        )
    return note


def parallel_ingest(ctx: Context) -> None:
    """`dmreports ingest --jobs 2` into an empty index, against --jobs 1."""
    two = _ingest(ctx, ctx.work / "index-2", 2)
    one = ctx.seconds["cold1"]
    speedup = one / two.seconds
    note = (
        f"{ctx.pages / two.seconds:,.0f} pages/s; CPU: dmreports process {two.cpu_main:.1f} s, "
        f"worker processes {two.cpu_workers:.1f} s; the dmreports process alone for the last "
        f"{two.seconds - two.workers_until:.1f} s"
    )
    if speedup < TARGET_SPEEDUP:
        note = f"NOT MET: {_parallel_bound(ctx, one)}; {note}"
    ctx.results.add(
        Figure(
            "Parallel ingest, 2 workers (speedup over 1)",
            two.seconds,
            "s",
            baseline=f"1 worker {one:.1f} s",
            baseline_value=one,
            ratio=speedup,
            target=f">= {TARGET_SPEEDUP:g}x",
            met=speedup >= TARGET_SPEEDUP,
            limit=TARGET_SPEEDUP,
            note=note,
        )
    )


def _parallel_bound(ctx: Context, one: float) -> str:
    """Why 2 workers gain no more: the work the main process does stays serial."""
    run = ctx.cold1
    if run is None or not run.cpu_main:
        return "no CPU split of the 1-worker run available"
    alone = one - run.workers_until
    floor = max(run.cpu_main, run.cpu_workers / 2 + alone)
    return (
        f"the 1-worker run spent {run.cpu_workers:.1f} s CPU in worker processes (parsing; "
        f"fork server included), which 2 workers split, and {run.cpu_main:.1f} s in the "
        f"dmreports process, {alone:.1f} s of it alone after the workers were done: "
        f"{one / floor:.2f}x over 1 worker at best"
    )


# --- queries -------------------------------------------------------------------------


def query_sizes(ctx: Context) -> None:
    """The query mix at each size, through search/ (Whoosh) and through FTS5."""
    s = ctx.settings
    latencies: dict[int, queries.Latencies] = {}
    growth_sizes = sorted(set(_growth_sizes(s.sizes)))
    for size in s.sizes:
        reports = synthetic.scale_reports(ctx.reports, size, ctx.corpus)
        index_dir = ctx.work / f"query-index-{size}"
        index_s = queries.build_index(reports, index_dir)
        ctx.seconds[f"index{size}"] = index_s
        db_path = ctx.work / f"fts-{size}.sqlite"
        fts_build = fts.build(reports, db_path)
        index = Index.open(index_dir)
        whoosh = queries.run_mix(
            queries.whoosh_answer(index), rounds=s.rounds, budget=s.query_budget
        )
        db = sqlite3.connect(db_path)
        try:
            baseline = queries.run_mix(fts.answer(db), rounds=s.rounds, budget=s.query_budget)
        finally:
            db.close()
        latencies[size] = whoosh
        _query_figures(ctx, size, whoosh, baseline, index)
        _size_figures(ctx, size, index_dir, db_path, index_s, fts_build)
        _check_totals(ctx, size, whoosh, baseline)
        if size not in growth_sizes:
            shutil.rmtree(index_dir, ignore_errors=True)
        db_path.unlink(missing_ok=True)
    # The growth ratio from both sizes measured side by side, rounds alternating.
    answers = {
        size: queries.whoosh_answer(Index.open(ctx.work / f"query-index-{size}"))
        for size in growth_sizes
    }
    side_by_side = queries.run_side_by_side(answers, rounds=s.rounds, budget=2 * s.query_budget)
    for size in growth_sizes:
        shutil.rmtree(ctx.work / f"query-index-{size}", ignore_errors=True)
    _growth_figure(ctx, side_by_side, len(growth_sizes) > 1)


def _query_figures(
    ctx: Context, size: int, whoosh: queries.Latencies, baseline: queries.Latencies, index: Index
) -> None:
    largest = size == max(ctx.settings.sizes)
    w50, w99 = p50(whoosh.samples) * 1000, percentile(whoosh.samples, 0.99) * 1000
    f50, f99 = p50(baseline.samples) * 1000, percentile(baseline.samples, 0.99) * 1000
    missed = largest and (w50 > TARGET_P50_MS or w99 > TARGET_P99_MS)
    why = _slow_queries(whoosh, baseline, index) if missed else ""
    count = f"{len(whoosh.samples)} searches ({len(queries.QUERY_MIX)} queries x rounds)"
    first = f"first round (cold caches): {whoosh.first * 1000:.0f} ms for the whole mix"
    p50_name = f"Query p50, {size} reports (search/, all facets + highlights)"
    p50_limit = TARGET_P50_MS if largest else None
    p99_limit = TARGET_P99_MS if largest else None
    _latency(ctx, p50_name, (w50, f50), "p50", p50_limit, why, count)
    _latency(ctx, f"Query p99, {size} reports", (w99, f99), "p99", p99_limit, why, first)


def _latency(
    ctx: Context,
    name: str,
    values: tuple[float, float],
    label: str,
    limit: float | None,
    why: str,
    note: str,
) -> None:
    """One latency figure (ms) against FTS5; limit None: no target at this size."""
    value, fts_value = values
    ctx.results.add(
        Figure(
            name,
            value,
            "ms",
            baseline=f"SQLite FTS5 {label} {fts_value:.1f} ms",
            baseline_value=fts_value,
            target=f"<= {limit:g} ms" if limit is not None else "",
            met=value <= limit if limit is not None else None,
            note=f"NOT MET: {why}" if limit is not None and value > limit else note,
        )
    )


def _size_figures(
    ctx: Context, size: int, index_dir: Path, db_path: Path, index_s: float, fts_s: float
) -> None:
    index_mib = _tree_size(index_dir) / 2**20
    fts_mib = db_path.stat().st_size / 2**20
    ctx.results.add(
        Figure(
            f"Index build in process, {size} reports (one writer, one commit)",
            index_s,
            "s",
            baseline=f"FTS5 build {fts_s:.1f} s",
            baseline_value=fts_s,
            note=f"{size / index_s:.1f} reports/s; index {index_mib:.1f} MiB on disk, "
            f"FTS5 database {fts_mib:.1f} MiB",
        )
    )


def _check_totals(
    ctx: Context, size: int, whoosh: queries.Latencies, baseline: queries.Latencies
) -> None:
    differ = [
        f"{label} ({whoosh.totals[label]} vs {baseline.totals[label]})"
        for label in whoosh.totals
        if whoosh.totals[label] != baseline.totals[label]
    ]
    if differ:
        ctx.results.remarks.append(
            f"At {size} reports search/ and FTS5 count different totals for: "
            + ", ".join(differ)
            + " (different analysis of words and identifiers)"
        )


def _growth_sizes(sizes) -> tuple[int, int]:
    """(from, to) of the p50 growth figure among the query sizes."""
    ordered = sorted(sizes)
    if GROWTH_FROM in ordered:
        small = GROWTH_FROM
    else:
        small = ordered[-2] if len(ordered) > 1 else ordered[0]
    large = TARGET_SIZE if TARGET_SIZE in ordered else ordered[-1]
    return small, large


def _growth_figure(
    ctx: Context, latencies: dict[int, queries.Latencies], side_by_side: bool
) -> None:
    small, large = _growth_sizes(latencies)
    growth = p50(latencies[large].samples) / p50(latencies[small].samples)
    how = (
        f"p50 {p50(latencies[small].samples) * 1000:.2f} -> "
        f"{p50(latencies[large].samples) * 1000:.2f} ms, measured side by side "
        f"(rounds alternating between the two indexes, {len(latencies[large].samples)} "
        "searches each)"
        if side_by_side
        else "one size only"
    )
    ctx.results.add(
        Figure(
            f"Query p50 growth, {small} -> {large} reports",
            growth,
            "x",
            target=f"<= {TARGET_P50_GROWTH:g}x",
            met=growth <= TARGET_P50_GROWTH,
            note=(
                f"NOT MET: {large / small:g}x the reports; time grows with the matching "
                f"documents and the facet values; {how}"
                if growth > TARGET_P50_GROWTH
                else f"{large / small:g}x the reports; {how}"
            ),
        )
    )


def _slow_queries(whoosh: queries.Latencies, fts_: queries.Latencies, index: Index) -> str:
    """The slowest queries of the mix, and where the slowest one spends its time."""
    slowest = whoosh.slowest(SLOWEST)
    fts_medians = {label: p50(times) for label, times in fts_.by_label.items()}
    listed = ", ".join(
        f"{label} {seconds * 1000:.0f} ms (FTS5 {fts_medians.get(label, 0) * 1000:.0f} ms)"
        for label, seconds in slowest
    )
    (spec,) = [s for s in queries.QUERY_MIX if s.label == slowest[0][0]]
    return f"slowest queries (median): {listed}; {spec.label}: {_search_breakdown(index, spec)}"


def _search_breakdown(index: Index, spec: queries.QuerySpec) -> str:
    """Where search() spends its time on one query, under cProfile."""
    answer = queries.whoosh_answer(index)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILE_REPEATS):
        answer(spec)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    path, name = SEARCH_ENTRY
    node = next((k for k in stats if k[2] == name and k[0].endswith(path)), None)
    if node is None:
        return "no profile of search() available"
    total = stats[node][3]
    trail = [_function_name(node)]
    parts = _callees(stats, node)
    # Follow a callee that takes most of the time down, to where the time splits.
    while (
        parts
        and parts[0][0] > DESCEND_SHARE * total
        and len(trail) < MAX_DEPTH
        and _function_name(parts[0][1]) not in trail  # a recursion: stop where it starts
    ):
        node = parts[0][1]
        trail.append(_function_name(node))
        parts = _callees(stats, node)
    shares = ", ".join(f"{_function_name(key)} {t / total:.0%}" for t, key in parts[:TOP_CALLEES])
    return f"time of search() under cProfile, inside {' > '.join(trail)}: {shares}"


def _callees(stats: dict, node: tuple) -> list[tuple[float, tuple]]:
    """(cumulative seconds spent when called from node, function) of node's callees."""
    out = [(callers[node][3], key) for key, (*_, callers) in stats.items() if node in callers]
    return sorted(out, key=lambda item: -item[0])


def _function_name(key: tuple) -> str:
    file, _, func = key
    if file == "~":
        return func
    return f"{Path(file).parent.name}/{Path(file).name}:{func}"


# --- HTTP ----------------------------------------------------------------------------


def http_load(ctx: Context) -> None:
    """`dmreports serve` on the ingested index, N clients on /api/search."""
    s = ctx.settings
    port = load.free_port()
    server = processes.Server(ctx.index_path, port).start()
    urls = [spec.url() for spec in queries.QUERY_MIX]
    try:
        load.wait_ready(port, urls[0], server.alive)
        tree = processes.TreePeak(server.proc.pid)
        tree.sample()
        server_before, client_before = tree.root_cpu + tree.children_cpu, _own_cpu()
        tree.start()
        result = load.run_load(port, urls, s.http_clients, s.http_seconds)
        tree.stop()
        cpu = (tree.root_cpu + tree.children_cpu - server_before, _own_cpu() - client_before)
    finally:
        server.stop()
    rps = result.per_second
    ok = rps >= TARGET_HTTP_RPS and not result.errors
    note = f"{result.requests} requests in {result.seconds:.1f} s, {len(result.errors)} errors; "
    note += _http_cpu(cpu, result)
    ctx.results.add(
        Figure(
            f"HTTP /api/search, {s.http_clients} clients, {len(ctx.paths)} reports: throughput",
            rps,
            "req/s",
            target=f">= {TARGET_HTTP_RPS:g} req/s, 0 errors",
            met=ok,
            note=note if ok else f"NOT MET: {note}",
        )
    )
    ctx.results.add(
        Figure("HTTP /api/search p50", result.p50 * 1000, "ms", note=f"{s.http_clients} clients")
    )
    ctx.results.add(Figure("HTTP /api/search p99", result.p99 * 1000, "ms"))
    ctx.results.add(
        Figure(
            "HTTP errors",
            len(result.errors),
            "",
            target="0",
            met=not result.errors,
            note="; ".join(result.errors[: load.MAX_ERROR_EXAMPLES]),
        )
    )
    ctx.results.add(
        Figure(
            "Peak memory, server",
            tree.root_mib,
            "MiB",
            note=f"dmreports serve (VmHWM) after the load; largest of its worker processes "
            f"{tree.children_mib:.0f} MiB",
        )
    )


def _own_cpu() -> float:
    """CPU seconds this process (the load generator's threads) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _http_cpu(cpu: tuple[float, float], result: load.LoadResult) -> str:
    """Where the CPU went during the load: the server's processes and the load generator."""
    server_s, client_s = cpu
    n = max(result.requests, 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    per_request = (server_s + client_s) / n
    return (
        f"CPU during the load: server processes {server_s:.1f} s ({server_s / n * 1000:.1f} ms "
        f"a request), load generator {client_s:.1f} s ({client_s / n * 1000:.1f} ms a request) "
        f"of {cores * result.seconds:.0f} s on {cores} cores: about "
        f"{cores / per_request:.0f} req/s if both kept every core busy"
    )


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


STEPS = (
    generate,
    plumber,
    parse_only,
    startup,
    query_sizes,
    cold_ingest,
    parallel_ingest,
    http_load,
)
# The RESULTS.md area of each step's figures.
STEP_SECTIONS = {
    "generate": "Corpus",
    "plumber": "Ingest",
    "parse_only": "Ingest",
    "startup": "Ingest",
    "cold_ingest": "Ingest",
    "parallel_ingest": "Ingest",
    "query_sizes": "Queries",
    "http_load": "HTTP",
}


def environment_settings(base: Settings) -> Settings:
    """Settings with overrides from BENCH_* environment variables (for CI or a quick look)."""
    changes = {}
    if value := os.environ.get("BENCH_REPORTS"):
        changes["reports"] = int(value)
    if value := os.environ.get("BENCH_SIZES"):
        changes["sizes"] = tuple(int(v) for v in value.split(","))
    if value := os.environ.get("BENCH_HTTP_SECONDS"):
        changes["http_seconds"] = float(value)
    return dataclasses.replace(base, **changes) if changes else base
