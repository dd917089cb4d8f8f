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
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ingest.batch import default_jobs
from ingest.models import Report
from search import Index
from search.documents import slugify

from . import engines, extraction, fts, load, processes, queries, serving, synthetic, tantivy_index
from .contention import Contention
from .results import Figure, Results, machine, number, p50, percentile, write

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
TARGET_TANTIVY_P50 = 1.0  # warm p50 at TARGET_SIZE against tantivy's, in the same run
TARGET_TANTIVY_COLD = 3.0  # the cold first round against tantivy's
# Fresh processes that each take an engine's cold first round (the median counts): one
# such round is over in a fifth of a second, and a single one varied by half.
COLD_SAMPLES = 3
# The served index: a worker's peak memory (MiB) by size, after MEMORY_SEARCHES searches
# and every history page; history pages' warm p50 and growth; the first user's wait.
MEMORY_TARGETS = {1200: 1000.0, 120: 250.0}
MEMORY_SEARCHES = 50
TARGET_HISTORY_MS = 50.0
TARGET_HISTORY_GROWTH = 3.0
TARGET_FIRST_MS = 300.0
FIRST_SEARCH = "/api/search"
FIRST_HISTORY = "/milestones"
# The history pages' subjects: a milestone listed for a year, a ticket of one month, a WBS
# element of every report (all in the first SYNTHETIC report, so at every size).
HISTORY_KEYS = {"milestone": "DLP-472", "ticket": "DM-12256", "wbs": "1.02C.03"}
TARGETED_PAGES = ("/milestones", "/milestones/<id>", "/ref/<key>", "/wbs/<code>")
READY_PATH = "/static/style.css"  # answers without reading the index
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
    history_rounds: int = 10
    history_budget: float = 60.0
    seed: int = synthetic.DEFAULT_SEED
    render_jobs: int = field(default_factory=default_jobs)
    output: Path = RESULTS_PATH
    cache: Path | None = field(default_factory=lambda: default_cache())
    workdir: Path | None = None
    short: bool = False
    mode: str = "full"
    only: tuple[str, ...] = ()  # step names (STEP_NAMES); empty: every step

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
            "Served index at each query size": f"{MEMORY_SEARCHES} searches over "
            f"{self.http_clients} connections to one worker, then every history page; up to "
            f"{self.history_rounds} warm rounds of the history pages (budget "
            f"{self.history_budget:g} s)",
            "Corpus cache": str(self.cache) if self.cache else "none (rendered afresh)",
            "Seed": str(self.seed),
            "Steps": _describe_steps(self.only),
        }


def default_cache() -> Path:
    """Where rendered SYNTHETIC corpora are kept between runs ($XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dmreports-bench"


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
    query_indexes: set[int] = field(default_factory=set)  # sizes whose index is complete
    pdfium: dict[str, float] = field(default_factory=dict)  # before which step: seconds

    @property
    def corpus(self) -> Path:
        """The folder of rendered SYNTHETIC reports."""
        return self.work / "corpus"


def run(settings: Settings) -> Results:
    """Run the steps (all, or settings.only and what they need), write RESULTS.md."""
    started = time.perf_counter()
    results = Results(machine=machine(), settings=settings.describe())
    work = settings.workdir or Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(settings, results, work)
    contention = Contention().start()
    try:
        for step in select_steps(settings.only):
            step_start = time.perf_counter()
            missing = [need for need in _needs(step) if need.__name__ in results.failed]
            if missing:
                _skip(ctx, step, missing)
            else:
                _attempt(ctx, step.__name__, step, ctx)
            for figure in results.figures:
                figure.section = figure.section or STEP_SECTIONS.get(step.__name__, "")
            step_seconds = time.perf_counter() - step_start
            results.note_load(step.__name__, contention.share(), step_seconds)
            _log(f"{step.__name__} done in {step_seconds:.1f} s")
            # What is known so far, in case the run is stopped before its end.
            results.seconds, results.running = time.perf_counter() - started, step.__name__
            write(results, settings.output)
    finally:
        contention.stop()
        if settings.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    results.seconds, results.running = time.perf_counter() - started, None
    write(results, settings.output)
    for figure in results.figures:
        _log(f"  {summary(figure)}")
    _log(f"wrote {settings.output}")
    return results


def _attempt(ctx: Context, what: str, function, *args) -> bool:
    """Run one measurement; a failure is recorded (remark, failed list), not raised."""
    try:
        function(*args)
    except Exception as exc:  # noqa: BLE001 - the other measurements' figures still count
        ctx.results.remarks.append(
            f"Step {what} failed, its figures are missing: {type(exc).__name__}: {exc}"
        )
        ctx.results.failed.append(what)
        _log(f"{what} FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return False
    return True


def _skip(ctx: Context, step, missing: list) -> None:
    names = ", ".join(need.__name__ for need in missing)
    ctx.results.remarks.append(f"Step {step.__name__} skipped: it needs {names}, which failed")
    ctx.results.failed.append(step.__name__)
    _log(f"{step.__name__} SKIPPED: needs {names}")


def summary(figure: Figure) -> str:
    """One line of a figure for the log: name, value, ratio, target and status."""
    line = f"{figure.name}: {number(figure.value, figure.unit)}"
    if figure.ratio is not None:
        line += f" ({figure.ratio:.2f}x {figure.baseline})"
    if figure.met is not None:
        line += f" [{figure.target}: {'met' if figure.met else 'NOT MET'}]"
    return line


def _log(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --- corpus and extraction baselines -------------------------------------------------


def generate(ctx: Context) -> None:
    """Render the SYNTHETIC corpus."""
    s = ctx.settings
    start = time.perf_counter()
    ctx.paths, cached = synthetic.cached_corpus(
        ctx.corpus, s.reports, s.seed, s.render_jobs, s.short, s.cache
    )
    seconds = time.perf_counter() - start
    how = (
        f"copied from the cache {s.cache} in {seconds:.0f} s (rendered by an earlier run)"
        if cached
        else f"rendered in {seconds:.0f} s with {s.render_jobs} processes"
    )
    per_file = _pages_per_file(ctx.paths)
    ctx.pages = sum(per_file)
    ctx.results.add(
        Figure(
            f"SYNTHETIC corpus: {len(ctx.paths)} reports",
            ctx.pages,
            "pages",
            note=f"{min(per_file)}-{max(per_file)} pages per report; {how} "
            "(corpus/build.py renderer)",
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
    if "plumber" in ctx.seconds:  # measured in this run (not with --only cold_ingest)
        plumber_s = ctx.seconds["plumber"]
        parse_s = ctx.seconds.get("parse")
        ctx.results.add(
            Figure(
                "Cold ingest, 1 worker, against pdfplumber extract_words",
                cold.seconds,
                "s",
                baseline=f"pdfplumber extract_words {plumber_s:.1f} s (scaled)",
                baseline_value=plumber_s,
                note=f"parse alone: {parse_s / plumber_s:.2f}x pdfplumber"
                if parse_s is not None
                else "",
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
    parts = []
    pdfium_s = ctx.pdfium.get("parse", ctx.pdfium["cold ingest"])
    if "parse" in ctx.seconds:  # measured in this run (not with --only cold_ingest)
        parse_s = ctx.seconds["parse"]
        parts.append(f"parse alone {parse_s:.1f} s ({parse_s / pdfium_s:.1f}x pypdfium2)")
    index_s = ctx.seconds.get(f"index{len(ctx.paths)}")
    if index_s is not None:
        parts.append(
            f"indexing the same reports in process (one writer, one commit) "
            f"{index_s:.1f} s ({index_s / pdfium_s:.1f}x pypdfium2)"
        )
    parts.append(
        f"CPU of the run: dmreports process {cold.cpu_main:.1f} s, worker processes "
        f"{cold.cpu_workers:.1f} s; CLI start-up {ctx.seconds['startup']:.1f} s"
    )
    alone = cold.seconds - cold.workers_until
    parts.append(
        f"the workers were done {cold.workers_until:.1f} s into the run, the dmreports "
        f"process then worked alone for {alone:.1f} s (the last reports and the commit)"
    )
    note = "; ".join(parts)
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
    """The query mix at each size: search/ (Whoosh) and tantivy side by side, and FTS5."""
    s = ctx.settings
    done = [
        size
        for size in s.sizes
        if _attempt(ctx, f"query_sizes ({size} reports)", _query_size, ctx, size)
    ]
    growth_sizes = sorted(set(_growth_sizes(s.sizes)))
    if not set(growth_sizes) <= set(done):
        raise RuntimeError(f"no growth figure: the query step failed at a size of {growth_sizes}")
    # The growth ratio from both sizes measured side by side, rounds alternating.
    answers = {
        size: queries.whoosh_answer(Index.open(query_index(ctx, size))) for size in growth_sizes
    }
    side_by_side = queries.run_side_by_side(answers, rounds=s.rounds, budget=2 * s.query_budget)
    _growth_figure(ctx, side_by_side, len(growth_sizes) > 1)


def _build_query_index(ctx: Context, size: int) -> tuple[list[Report], float]:
    """The in-process index of `size` reports (one writer, one commit): reports, seconds."""
    reports = synthetic.scale_reports(ctx.reports, size, ctx.corpus)
    index_dir = query_index(ctx, size)
    ctx.query_indexes.discard(size)
    shutil.rmtree(index_dir, ignore_errors=True)
    index_s = queries.build_index(reports, index_dir)
    ctx.query_indexes.add(size)
    return reports, index_s


def _cold_rounds(engine_paths: tuple[tuple[str, Path], ...]) -> dict[str, ColdRounds]:
    """Each engine's first round in COLD_SAMPLES fresh processes, the engines taking turns
    (so that whatever else the machine does falls on each alike)."""
    seconds: dict[str, list[float]] = {engine: [] for engine, _ in engine_paths}
    for _ in range(COLD_SAMPLES):
        for engine, path in engine_paths:
            seconds[engine].append(extraction.isolated(engines.cold_round, engine, path)[0])
    return {engine: ColdRounds(tuple(taken)) for engine, taken in seconds.items()}


@dataclass(frozen=True)
class ColdRounds:
    """An engine's cold first rounds: seconds, in the order taken."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return p50(self.samples)

    def listed(self) -> str:
        return ", ".join(f"{t * 1000:.0f}" for t in self.samples) + " ms"


def _query_size(ctx: Context, size: int) -> None:
    """search/ (Whoosh) and tantivy side by side, and FTS5, at one size."""
    s = ctx.settings
    reports, index_s = _build_query_index(ctx, size)
    index_dir = query_index(ctx, size)
    ctx.seconds[f"index{size}"] = index_s
    db_path = ctx.work / f"fts-{size}.sqlite"
    fts_build = fts.build(reports, db_path)
    tantivy_dir = ctx.work / f"tantivy-{size}"
    tantivy_one = tantivy_index.build(reports, ctx.work / f"tantivy-{size}-1", threads=1)
    shutil.rmtree(ctx.work / f"tantivy-{size}-1", ignore_errors=True)
    tantivy_default = tantivy_index.build(reports, tantivy_dir)
    del reports
    cold = _cold_rounds(
        ((engines.DMREPORTS, index_dir), (engines.TANTIVY, tantivy_dir), (engines.FTS5, db_path))
    )
    index = Index.open(index_dir)
    side = queries.run_side_by_side(
        {
            engines.DMREPORTS: queries.whoosh_answer(index),
            engines.TANTIVY: engines.answer_for(engines.TANTIVY, tantivy_dir),
        },
        rounds=s.rounds,
        budget=2 * s.query_budget,
    )
    whoosh, tantivy = side[engines.DMREPORTS], side[engines.TANTIVY]
    db = sqlite3.connect(db_path)
    try:
        baseline = queries.run_mix(fts.answer(db), rounds=s.rounds, budget=s.query_budget)
    finally:
        db.close()
    _query_figures(ctx, size, whoosh, baseline, index, cold[engines.DMREPORTS].median)
    _size_figures(ctx, size, index_dir, db_path, index_s, fts_build)
    builds = (index_s, tantivy_one, tantivy_default)
    _tantivy_figures(ctx, size, (whoosh, tantivy), cold, builds, tantivy_dir)
    _check_totals(ctx, size, whoosh, baseline, "FTS5")
    _check_totals(ctx, size, whoosh, tantivy, "tantivy")
    shutil.rmtree(tantivy_dir, ignore_errors=True)
    db_path.unlink(missing_ok=True)


def _against_tantivy(
    ctx: Context,
    name: str,
    values: tuple[float, float, str],
    limit: float | None,
    note: str,
    why: str,
) -> None:
    """A figure in ms against tantivy's; limit: the largest ratio that meets the target."""
    ours, theirs, baseline = values
    met = ours / theirs <= limit if limit is not None else None
    ctx.results.add(
        Figure(
            name,
            ours,
            "ms",
            baseline=f"tantivy {baseline}",
            baseline_value=theirs,
            target=f"<= {limit:g}x tantivy" if limit is not None else "",
            met=met,
            limit=limit,
            note=f"NOT MET: {why}" if met is False else note,
        )
    )


def _statistic(samples: tuple[float, ...], label: str) -> float:
    return p50(samples) if label == "p50" else percentile(samples, 0.99)


def query_index(ctx: Context, size: int) -> Path:
    """The folder of the in-process index of `size` reports (kept for the serve step)."""
    return ctx.work / f"query-index-{size}"


def _tantivy_figures(
    ctx: Context,
    size: int,
    latencies: tuple[queries.Latencies, queries.Latencies],
    cold: dict[str, ColdRounds],
    builds: tuple[float, float, float],
    tantivy_dir: Path,
) -> None:
    """dmreports against tantivy at one size: warm p50/p99, the cold first round, the build."""
    whoosh, tantivy = latencies
    largest = size == max(ctx.settings.sizes)
    count = (
        f"measured side by side (rounds alternating), {len(whoosh.samples)} searches each; "
        f"facets in tantivy by terms aggregations over fast fields"
    )
    for label in ("p50", "p99"):
        ours, theirs = (_statistic(x.samples, label) * 1000 for x in (whoosh, tantivy))
        limit = TARGET_TANTIVY_P50 if largest and label == "p50" else None
        slow = ", ".join(f"{name} {t * 1000:.1f} ms" for name, t in whoosh.slowest(SLOWEST))
        why = f"slowest queries of search/ (median): {slow}; {count}"
        name = f"Query {label} against tantivy, {size} reports"
        _against_tantivy(ctx, name, (ours, theirs, f"{label} {theirs:.2f} ms"), limit, count, why)
    engine_names = (engines.DMREPORTS, engines.TANTIVY, engines.FTS5)
    ours, theirs, fts_s = (cold[name].median * 1000 for name in engine_names)
    note = (
        f"the {len(queries.QUERY_MIX)}-query mix once, opening the index included, in a fresh "
        f"process (files in the page cache); median of {COLD_SAMPLES} such processes per "
        f"engine, the engines taking turns (search/ {cold[engines.DMREPORTS].listed()}; "
        f"tantivy {cold[engines.TANTIVY].listed()}); SQLite FTS5 {fts_s:.0f} ms; warm, one "
        f"round of search/ takes {p50(whoosh.samples) * len(queries.QUERY_MIX) * 1000:.0f} ms"
    )
    name = f"Cold first round, {size} reports (15 queries right after opening the index)"
    limit = TARGET_TANTIVY_COLD if largest else None
    _against_tantivy(ctx, name, (ours, theirs, f"{theirs:.0f} ms"), limit, note, note)
    ours_build, one, default = builds
    ctx.results.add(
        Figure(
            f"Index build against tantivy, {size} reports",
            ours_build,
            "s",
            baseline=f"tantivy 1 thread {one:.2f} s",
            baseline_value=one,
            note=f"search/ in process (one writer, one commit); tantivy with its default "
            f"writer ({tantivy_index.default_threads()} threads) {default:.2f} s "
            f"({ours_build / default:.1f}x); tantivy index "
            f"{_tree_size(tantivy_dir) / 2**20:.1f} MiB",
        )
    )


def _query_figures(
    ctx: Context,
    size: int,
    whoosh: queries.Latencies,
    baseline: queries.Latencies,
    index: Index,
    cold: float,
) -> None:
    largest = size == max(ctx.settings.sizes)
    w50, w99 = p50(whoosh.samples) * 1000, percentile(whoosh.samples, 0.99) * 1000
    f50, f99 = p50(baseline.samples) * 1000, percentile(baseline.samples, 0.99) * 1000
    missed = largest and (w50 > TARGET_P50_MS or w99 > TARGET_P99_MS)
    why = _slow_queries(whoosh, baseline, index) if missed else ""
    count = f"{len(whoosh.samples)} searches ({len(queries.QUERY_MIX)} queries x rounds)"
    first = f"first round right after opening the index: {cold * 1000:.0f} ms for the whole mix"
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
    ctx: Context, size: int, whoosh: queries.Latencies, baseline: queries.Latencies, name: str
) -> None:
    differ = [
        f"{label} ({whoosh.totals[label]} vs {baseline.totals[label]})"
        for label in whoosh.totals
        if whoosh.totals[label] != baseline.totals[label]
    ]
    if differ:
        ctx.results.remarks.append(
            f"At {size} reports search/ and {name} count different totals for: "
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


# --- a server's workers: memory, history pages, the first user ----------------------


@dataclass
class Served:
    """A `dmreports serve` on the index of one size, with connections to each worker."""

    size: int
    server: processes.Server
    pool: serving.WorkerPool
    first: dict[str, dict[int, float]] = field(default_factory=dict)  # what: pid -> s
    pages: dict[str, str] = field(default_factory=dict)  # page label -> canonical path

    @property
    def busy(self) -> int:
        """The worker that gets the searches and every history page."""
        return self.pool.pids[0]

    def stop(self) -> None:
        self.pool.close()
        self.server.stop()


def serve_history(ctx: Context) -> None:
    """`dmreports serve` at each query size: a worker's memory, history pages, first users.

    Serves the indexes the query step built (built here when it did not run or failed at a
    size); a failure at one size is recorded and the other sizes still measured.
    """
    s = ctx.settings
    small, large = _growth_sizes(s.sizes)
    kept: dict[int, Served] = {}
    try:
        for size in s.sizes:
            _attempt(ctx, f"serve_history ({size} reports)", _serve_size, ctx, size, kept)
        if small in kept and large in kept:
            _attempt(
                ctx, "serve_history (history pages)", _history_figures, ctx, kept, small, large
            )
        if large in kept:
            _attempt(
                ctx, "serve_history (first users)", _after_start_and_reingest, ctx, kept[large]
            )
    finally:
        for served in kept.values():
            served.stop()
        for size in s.sizes:
            shutil.rmtree(query_index(ctx, size), ignore_errors=True)


def _serve_size(ctx: Context, size: int, kept: dict[int, Served]) -> None:
    """Serve the index of one size: first requests, memory; kept when growth needs it."""
    if size not in ctx.query_indexes:
        _build_query_index(ctx, size)
    served = _start_served(ctx, size)
    try:
        _first_requests(served, "start")
        served.pages = _history_paths(ctx, served)
        _memory_figure(ctx, served)
    except BaseException:
        served.stop()
        raise
    if size in _growth_sizes(ctx.settings.sizes):
        kept[size] = served
    else:
        served.stop()


def _after_start_and_reingest(ctx: Context, served: Served) -> None:
    """The first users after the start, then after a one-file re-ingest."""
    _first_figures(ctx, served, "start")
    _reingest_one(ctx, served)
    _first_requests(served, "re-ingest")
    _first_figures(ctx, served, "re-ingest")


def _start_served(ctx: Context, size: int) -> Served:
    port = load.free_port()
    server = processes.Server(query_index(ctx, size), port).start()
    try:
        load.wait_ready(port, READY_PATH, server.alive)
        pool = serving.WorkerPool.open(port, server.proc.pid, per_worker=ctx.settings.http_clients)
    except BaseException:
        server.stop()
        raise
    return Served(size, server, pool)


def _first_requests(served: Served, after: str) -> None:
    """The first search, then the first /milestones, of every worker (one after another)."""
    for what, path in ((FIRST_SEARCH, queries.QUERY_MIX[0].url()), (FIRST_HISTORY, "/milestones")):
        served.first[f"{what} {after}"] = {
            pid: served.pool.get(pid, path) for pid in served.pool.pids
        }
        # The same request again on the first worker: what a second user waits.
        served.first[f"{what} {after} again"] = {served.busy: served.pool.get(served.busy, path)}


def _history_paths(ctx: Context, served: Served) -> dict[str, str]:
    """Each history page's canonical path in this index.

    The milestone, ticket, WBS element and report are the first rendered report's (in the
    index at every size): HISTORY_KEYS when it has them, else the first it has.
    """
    conn = served.pool.connections[served.busy][0]
    first = _first_report(ctx)
    milestones = [m.id for m in first.milestones]
    tickets = [r.key for r in first.references if r.kind == "jira"]
    codes = [x.wbs for x in first.sections if x.wbs]
    keys = {
        "/milestones/<id>": (HISTORY_KEYS["milestone"], milestones),
        "/ref/<key>": (HISTORY_KEYS["ticket"], tickets),
        "/wbs/<code>": (HISTORY_KEYS["wbs"], codes),
    }
    wanted = {"/milestones": "/milestones"}
    for label, (preferred, present) in keys.items():
        key = preferred if preferred in present or not present else present[0]
        wanted[label] = label.split("<")[0] + quote(key)
    wanted["/reports"] = "/reports"
    wanted["/reports/<id>"] = f"/reports/{slugify(Path(first.source).stem)}"
    return {label: serving.canonical(conn, path) for label, path in wanted.items()}


def _first_report(ctx: Context) -> Report:
    return min(ctx.reports, key=lambda r: r.month or "")


def _memory_figure(ctx: Context, served: Served) -> None:
    """The workers' memory after 50 searches and every history page on one of them."""
    mix = [spec.url() for spec in queries.QUERY_MIX]
    errors = serving.concurrent_gets(served.pool, served.busy, mix, MEMORY_SEARCHES)
    for path in served.pages.values():
        served.pool.get(served.busy, path)
    if errors:
        ctx.results.remarks.append(
            f"serve at {served.size} reports: {len(errors)} of {MEMORY_SEARCHES} searches "
            f"failed, e.g. {errors[0]}"
        )
    workers = {pid: serving.memory(pid) for pid in served.pool.pids}
    parent = serving.memory(served.server.proc.pid)
    largest_pid = max(workers, key=lambda pid: workers[pid].hwm)
    largest = workers[largest_pid]
    limit = MEMORY_TARGETS.get(served.size)
    threads = ctx.settings.http_clients
    others = "; ".join(
        f"another worker after one search and one /milestones: peak {m.hwm:.0f} MiB"
        for pid, m in workers.items()
        if pid != served.busy
    )
    note = (
        f"peak RSS (VmHWM) of the worker that answered {MEMORY_SEARCHES} searches "
        f"({threads} connections at once, the {len(mix)}-query mix) and then every history page "
        f"({', '.join(served.pages.values())}): RSS now {largest.rss:.0f} MiB, PSS "
        f"{_mib(largest.pss)} (pages shared with other processes split between them); "
        f"{len(workers)} worker processes"
    )
    if others:
        note += f"; {others}"
    if parent is not None and served.server.proc.pid not in workers:
        note += f"; the supervising process {parent.hwm:.0f} MiB"
    if largest_pid != served.busy:
        note += f"; the largest is not the busy worker (pid {largest_pid})"
    met = largest.hwm <= limit if limit is not None else None
    ctx.results.add(
        Figure(
            f"Memory, largest serve worker after {MEMORY_SEARCHES} searches and every history "
            f"page, {served.size} reports",
            largest.hwm,
            "MiB",
            target=f"<= {limit:,.0f} MiB" if limit is not None else "",
            met=met,
            note=f"NOT MET: {note}" if met is False else note,
        )
    )


def _mib(value: float | None) -> str:
    return f"{value:.0f} MiB" if value is not None else "n/a"


def _history_figures(ctx: Context, kept: dict[int, Served], small: int, large: int) -> None:
    """Warm p50 of each history page at both sizes, rounds alternating, and its growth."""
    s = ctx.settings
    samples: dict[tuple[int, str], list[float]] = {
        (size, label): [] for size in kept for label in kept[size].pages
    }
    deadline = time.perf_counter() + s.history_budget
    for _ in range(s.history_rounds):
        for size, served in kept.items():
            for label, path in served.pages.items():
                samples[size, label].append(served.pool.get(served.busy, path))
        if time.perf_counter() > deadline:
            break
    rounds = len(samples[large, "/milestones"])
    for size in sorted(kept):
        for label, path in kept[size].pages.items():
            value = p50(samples[size, label]) * 1000
            targeted = size == large and label in TARGETED_PAGES
            met = value <= TARGET_HISTORY_MS if targeted else None
            note = f"GET {path} on one worker, {rounds} warm rounds (after its first load)"
            ctx.results.add(
                Figure(
                    f"History page {label} warm p50, {size} reports",
                    value,
                    "ms",
                    target=f"<= {TARGET_HISTORY_MS:g} ms" if targeted else "",
                    met=met,
                    note=f"NOT MET: {note}" if met is False else note,
                )
            )
    if small == large:
        return
    for label in kept[large].pages:
        before, after = p50(samples[small, label]) * 1000, p50(samples[large, label]) * 1000
        growth = after / before
        targeted = label in TARGETED_PAGES
        met = growth <= TARGET_HISTORY_GROWTH if targeted else None
        note = (
            f"{large / small:g}x the reports; p50 {before:.1f} -> {after:.1f} ms, the two servers "
            f"measured side by side (rounds alternating)"
        )
        ctx.results.add(
            Figure(
                f"History page {label} p50 growth, {small} -> {large} reports",
                growth,
                "x",
                target=f"<= {TARGET_HISTORY_GROWTH:g}x" if targeted else "",
                met=met,
                limit=TARGET_HISTORY_GROWTH if targeted else None,
                note=f"NOT MET: {note}" if met is False else note,
            )
        )


def _reingest_one(ctx: Context, served: Served) -> None:
    """One report file changed and ingested again into the served index, as a user would."""
    path = Path(_first_report(ctx).source)
    with path.open("ab") as out:  # a changed file (a comment after the end): parsed again
        out.write(b"\n% changed for the benchmark\n")
    index = query_index(ctx, served.size)
    result = processes.run(["ingest", str(path), "--index", str(index), "--jobs", "1"])
    result.check("dmreports ingest (one changed file)")
    said = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    ctx.results.add(
        Figure(
            f"One-file re-ingest into the {served.size}-report index (served meanwhile)",
            result.seconds,
            "s",
            baseline=f"CLI start-up {ctx.seconds['startup']:.2f} s",
            baseline_value=ctx.seconds["startup"],
            note=f"dmreports ingest {path.name} --jobs 1; CLI said: {said}",
        )
    )


def _first_figures(ctx: Context, served: Served, after: str) -> None:
    """The first search and the first /milestones of each worker, after a start or re-ingest."""
    how = "a start" if after == "start" else "a one-file re-ingest"
    for what in (FIRST_SEARCH, FIRST_HISTORY):
        times = served.first[f"{what} {after}"]
        again = served.first[f"{what} {after} again"][served.busy]
        value = max(times.values()) * 1000
        met = value <= TARGET_FIRST_MS
        each = ", ".join(f"{t * 1000:.0f} ms" for t in times.values())
        order = "each asked in turn" if what == FIRST_SEARCH else "each after its first search"
        note = (
            f"the slowest worker's first answer ({len(times)} workers, {order}: {each}); "
            f"the same request again {again * 1000:.0f} ms"
        )
        if what == FIRST_SEARCH:
            note += f"; GET {queries.QUERY_MIX[0].url()}"
        ctx.results.add(
            Figure(
                f"First {what} after {how}, {served.size} reports",
                value,
                "ms",
                target=f"<= {TARGET_FIRST_MS:g} ms",
                met=met,
                note=f"NOT MET: {note}" if not met else note,
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
    serve_history,
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
    "serve_history": "Serve",
}


# The names `--only` takes for the steps, and what each step needs run before it (those run
# too, and their figures are written as well). generate (the corpus) comes first always.
STEP_NAMES = {
    "generate": generate,
    "plumber": plumber,
    "parse_only": parse_only,
    "startup": startup,
    "queries": query_sizes,
    "cold_ingest": cold_ingest,
    "parallel_ingest": parallel_ingest,
    "http": http_load,
    "serve": serve_history,
}
STEP_HELP = {
    "generate": "render the SYNTHETIC corpus (or copy it from the cache)",
    "plumber": "pdfplumber extract_words on a sample, against pypdfium2",
    "parse_only": "load_report of every file in one process, against pypdfium2",
    "startup": "dmreports --help, best of 3",
    "queries": "the query mix at each size: search/, tantivy and FTS5 (warm, cold, build)",
    "cold_ingest": "dmreports ingest --jobs 1 into an empty index against pypdfium2, then warm",
    "parallel_ingest": "dmreports ingest --jobs 2 against --jobs 1",
    "http": "dmreports serve on the ingested index under N clients",
    "serve": "dmreports serve at each size: worker memory, history pages, first users",
}
NEEDS = {
    query_sizes: (parse_only,),
    cold_ingest: (startup,),
    parallel_ingest: (cold_ingest,),
    http_load: (cold_ingest,),
    serve_history: (parse_only, startup),
}


def _needs(step) -> tuple:
    """The steps `step` needs (the corpus always)."""
    return (generate, *NEEDS.get(step, ())) if step is not generate else ()


def step_by_name(name: str):
    """The step of a name --only takes (or of its function's name); ValueError if none."""
    by_function = {step.__name__: step for step in STEPS}
    step = STEP_NAMES.get(name) or by_function.get(name)
    if step is None:
        raise ValueError(f"no step {name!r}; steps: {', '.join(STEP_NAMES)}")
    return step


def select_steps(only: tuple[str, ...] = ()) -> tuple:
    """The steps to run, in STEPS order: every one, or those named and what they need."""
    if not only:
        return STEPS
    wanted: set = set()
    pending = [step_by_name(name) for name in only]
    while pending:
        step = pending.pop()
        if step not in wanted:
            wanted.add(step)
            pending.extend(_needs(step))
    return tuple(step for step in STEPS if step in wanted)


def _describe_steps(only: tuple[str, ...]) -> str:
    if not only:
        return "all"
    picked = [step.__name__ for step in select_steps(only)]
    return f"only {', '.join(only)} (run: {', '.join(picked)})"


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
