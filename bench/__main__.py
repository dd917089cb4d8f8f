"""`python -m bench [--quick]`: run every benchmark and write bench/RESULTS.md.

Example: python -m bench --quick --output /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from .suite import QUICK, Settings, environment_settings, run

QUICK_ENV = "BENCH_QUICK"


def parse_args(argv: list[str] | None = None) -> Settings:
    """Settings from the command line (and BENCH_* environment variables)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_ENV) == "1",
        help=f"small sizes, about a minute (also ${QUICK_ENV}=1)",
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
