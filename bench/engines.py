"""The query engines side by side: how each opens an index and answers the query mix.

`cold_round` times the first round of the mix right after opening an index, in a fresh
process (see `extraction.isolated`), so nothing the benchmark process already holds (a
reader, a cache warmed by the build) makes the first round look warm.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from search import Index

from . import fts, queries, tantivy_index

DMREPORTS = "dmreports"
TANTIVY = "tantivy"
FTS5 = "SQLite FTS5"


def answer_for(engine: str, path: Path) -> Callable[[queries.QuerySpec], int]:
    """Open the engine's index at path and return its answer(spec) -> total."""
    if engine == DMREPORTS:
        return queries.whoosh_answer(Index.open(path))
    if engine == TANTIVY:
        return tantivy_index.answer(tantivy_index.open_index(path))
    if engine == FTS5:
        return fts.answer(sqlite3.connect(path))
    raise ValueError(f"unknown engine {engine!r}")


def cold_round(engine: str, path: Path) -> tuple[float, dict[str, int]]:
    """Seconds of the first round of the mix, opening the index included; and the totals."""
    start = time.perf_counter()
    answer = answer_for(engine, path)
    totals = {spec.label: answer(spec) for spec in queries.QUERY_MIX}
    return time.perf_counter() - start, totals
