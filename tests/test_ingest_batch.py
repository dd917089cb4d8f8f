"""Parsing in worker processes: outcomes per file, limits enforced, the batch goes on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.batch import LOST_TOO_OFTEN, Finished, Outcome, parse_many
from ingest.pipeline import Limits
from tests.conftest import CORPUS_HTML, CORPUS_PDF, ROOT
from tests.ingest_helpers import (
    CLI_TIMEOUT,
    Holds,
    KeepMonths,
    KeepMonthsFailingOnBad,
    write_long_pdf,
)


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    return write_long_pdf(tmp_path_factory.mktemp("long") / "long.pdf")


def test_outcomes_for_every_file(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    paths = [str(CORPUS_PDF), str(empty), str(CORPUS_HTML)]
    outcomes = {o.path: o for o in parse_many(paths, jobs=2)}
    assert set(outcomes) == set(paths)
    assert outcomes[str(CORPUS_PDF)].report.month == "2017-10"
    assert outcomes[str(CORPUS_HTML)].report.milestones[5].id == "DLP-472"
    assert outcomes[str(empty)].report is None
    assert outcomes[str(empty)].error == "empty file"


# Runs parse_many in a process of its own, as its workers read hold points from
# their environment; prints each item as JSON.
HELD_RUN = """
import json, sys
from ingest.batch import Finished, parse_many
from ingest.pipeline import Limits
from tests.ingest_helpers import KeepMonths
collector = KeepMonths() if sys.argv[1] == "keep" else None
for item in parse_many(sys.argv[2:], jobs=1, limits=Limits(seconds=20), collector=collector):
    if isinstance(item, Finished):
        print(json.dumps(["finished", item.result, list(item.paths)]))
    else:
        print(json.dumps(["outcome", item.path, item.error, item.report and item.report.month]))
"""
# A limit no file here comes near on any machine: only a held file reaches it.
HELD_LIMIT_ERROR = "parse exceeded the time limit (20 s)"


def held_run(tmp_path, held: Path, paths: list[str], keep: bool = False) -> list[list]:
    """parse_many over paths with `held` held in its worker and never let go."""
    holds = Holds(tmp_path / "holds")
    holds.at(f"parse-{held.name}")
    result = subprocess.run(
        [sys.executable, "-c", HELD_RUN, "keep" if keep else "-", *paths],
        cwd=ROOT,
        env={**os.environ, **holds.env},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_time_limit_kills_the_parse_and_goes_on(long_pdf, tmp_path):
    items = held_run(tmp_path, long_pdf, [str(long_pdf), str(CORPUS_HTML)])
    assert sorted(items) == sorted(
        [
            ["outcome", str(long_pdf), HELD_LIMIT_ERROR, None],
            ["outcome", str(CORPUS_HTML), None, "2017-10"],
        ]
    )


def test_page_and_size_limits(long_pdf):
    limits = Limits(pages=200, megabytes=0.05)
    outcomes = {o.path: o for o in parse_many([str(long_pdf), str(CORPUS_PDF)], 2, limits)}
    assert outcomes[str(long_pdf)].error.startswith("file too large (")
    limits = Limits(pages=200)
    outcomes = {o.path: o for o in parse_many([str(long_pdf)], 1, limits)}
    assert outcomes[str(long_pdf)].error == "too many pages (300, limit 200)"


def _copies(folder, *names: str) -> list[str]:
    """Copies of the corpus HTML report (a few hundredths of a second each to parse)."""
    for name in names:
        shutil.copy(CORPUS_HTML, folder / name)
    return [str(folder / name) for name in names]


@pytest.fixture
def html_copies(tmp_path):
    return _copies(tmp_path, "a.html", "b.html", "c.html")


def test_collector_hands_over_what_it_kept(html_copies):
    items = list(parse_many(html_copies, jobs=1, collector=KeepMonths(), finish_every=2))
    outcomes = [i for i in items if isinstance(i, Outcome)]
    finished = [i for i in items if isinstance(i, Finished)]
    assert [o.path for o in outcomes] == html_copies
    assert [f.result for f in finished] == [
        [("a.html", "2017-10"), ("b.html", "2017-10")],
        [("c.html", "2017-10")],
    ]
    assert [f.paths for f in finished] == [tuple(html_copies[:2]), tuple(html_copies[2:])]
    assert all(f.error is None for f in finished)


def test_work_kept_by_a_killed_worker_is_done_again(html_copies, long_pdf, tmp_path):
    a, b, c = html_copies
    paths = [a, b, str(long_pdf), c]
    items = held_run(tmp_path, long_pdf, paths, keep=True)
    outcomes = [i for i in items if i[0] == "outcome"]
    # Every file once: a and b were reported before the worker holding them was killed.
    assert sorted(o[1] for o in outcomes) == sorted(paths)
    failed = {o[1]: o[2] for o in outcomes if o[2]}
    assert failed == {str(long_pdf): HELD_LIMIT_ERROR}
    kept = [name for f in items if f[0] == "finished" for name, _ in f[1]]
    assert sorted(kept) == ["a.html", "b.html", "c.html"]
    covered = [p for f in items if f[0] == "finished" for p in f[2]]
    assert sorted(covered) == [a, b, c]


def test_a_collector_failing_on_a_file_drops_its_work_which_is_done_again(tmp_path):
    a, b, bad, c = _copies(tmp_path, "a.html", "b.html", "bad.html", "c.html")
    items = list(parse_many([a, b, bad, c], jobs=1, collector=KeepMonthsFailingOnBad()))
    outcomes = [i for i in items if isinstance(i, Outcome)]
    assert sorted(o.path for o in outcomes) == [a, b, bad, c]  # each once
    failed = {o.path: o.error for o in outcomes if o.error}
    assert failed == {bad: "cannot be prepared for the index (ValueError: half-way)"}
    # The half-made entry for bad.html went with the rest; a and b were kept again.
    kept = [name for f in items if isinstance(f, Finished) for name, _ in f.result]
    assert sorted(kept) == ["a.html", "b.html", "c.html"]


def test_a_file_lost_twice_fails(tmp_path):
    a, bad1, bad2 = _copies(tmp_path, "a.html", "bad1.html", "bad2.html")
    items = list(parse_many([a, bad1, bad2], jobs=1, collector=KeepMonthsFailingOnBad()))
    outcomes = [i for i in items if isinstance(i, Outcome)]
    # a: reported parsed, lost when bad1 failed, parsed again, lost again when bad2 failed.
    assert [(o.path, o.error) for o in outcomes if o.path == a] == [
        (a, None),
        (a, LOST_TOO_OFTEN),
    ]
    assert LOST_TOO_OFTEN == "lost with 2 parser workers that stopped (crashed or too slow)"
    assert not [f for f in items if isinstance(f, Finished) and f.result]
