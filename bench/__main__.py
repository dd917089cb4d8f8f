"""`python -m bench [--quick] [--only STEP[,STEP]]`: run the benchmarks, write RESULTS.md.

Without --only every step runs and bench/RESULTS.md is written (`make bench`). With --only
the named steps run, with the steps they need, and the results go to ONLY_OUTPUT unless
--output says otherwise (bench/RESULTS.md stays the full run's). Every figure is also
printed at the end.

Examples: python -m bench --quick --output /tmp/RESULTS.md
          python -m bench --only cold_ingest
          python -m bench --only queries,serve --sizes 120,1200 --rounds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

from .suite import NEEDS, QUICK, STEP_HELP, STEP_NAMES, Settings, environment_settings, run

QUICK_ENV = "BENCH_QUICK"
ONLY_OUTPUT = Path(tempfile.gettempdir()) / "dmreports-bench-RESULTS.md"


def _steps_help() -> str:
    lines = ["steps (--only):"]
    for name, step in STEP_NAMES.items():
        needs = [n for n, s in STEP_NAMES.items() if s in NEEDS.get(step, ())]
        after = f" (runs {', '.join(needs)} first)" if needs else ""
        lines.append(f"  {name:<16}{STEP_HELP[name]}{after}")
    lines.append("every step needs generate, which runs first (the corpus, cached)")
    return "\n".join(lines)


def _only(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in STEP_NAMES]
    if unknown or not names:
        named = ", ".join(unknown) if unknown else repr(text)
        raise argparse.ArgumentTypeError(f"unknown step {named}; steps: {', '.join(STEP_NAMES)}")
    return names


def parse_args(argv: list[str] | None = None) -> Settings:
    """Settings from the command line (and BENCH_* environment variables)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog=_steps_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_ENV) == "1",
        help=f"small sizes, about a minute (also ${QUICK_ENV}=1)",
    )
    parser.add_argument(
        "--only",
        type=_only,
        metavar="STEP[,STEP]",
        help=f"run only these steps (and what they need); output {ONLY_OUTPUT} by default",
    )
    parser.add_argument("--reports", type=int, help="SYNTHETIC reports to render and ingest")
    parser.add_argument("--sizes", help="query index sizes, comma-separated (e.g. 12,120,1200)")
    parser.add_argument("--plumber-sample", type=int, help="files pdfplumber reads")
    parser.add_argument("--rounds", type=int, help="rounds of the query mix per size")
    parser.add_argument("--http-seconds", type=float, help="length of the HTTP load")
    parser.add_argument("--http-clients", type=int, help="concurrent HTTP clients")
    parser.add_argument("--seed", type=int, help="seed of the SYNTHETIC corpus")
    parser.add_argument("--output", type=Path, help="where to write RESULTS.md")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and indexes here")
    parser.add_argument(
        "--no-cache", action="store_true", help="render the corpus afresh (no cached files)"
    )
    args = parser.parse_args(argv)
    settings = environment_settings(QUICK if args.quick else Settings())
    changes = {
        name: getattr(args, name)
        for name in (
            "reports", "plumber_sample", "rounds", "http_seconds", "http_clients", "seed",
            "output", "workdir",
        )
        if getattr(args, name) is not None
    }  # fmt: skip
    if args.only:
        changes["only"] = args.only
        changes.setdefault("output", ONLY_OUTPUT)
    if args.no_cache:
        changes["cache"] = None
    if args.sizes:
        changes["sizes"] = tuple(int(size) for size in args.sizes.split(","))
    return dataclasses.replace(settings, **changes)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks; exit 1 if a step failed (RESULTS.md is written all the same)."""
    if run(parse_args(argv)).failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
