"""An ingest killed at any moment leaves the last complete index; searches never see a half.

Reports are TEST FIXTURE months (tests/fixtures/months.py) rendered as HTML:
four that stay, and one file whose content moves to another month before
every run, so the state before a run and after it always differ.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import threading
import time

import pytest

from dmreports.bulk import run_ingest
from search import Index, SearchRequest, search
from tests.fixtures.months import marker, write_month
from tests.ingest_helpers import cli, generation, state

TRIALS = 20
SEED = 20171031
STAYING = ("2017-08", "2017-09", "2017-10", "2017-11")
MOVING = ("2017-03", "2017-04", "2017-05", "2017-06", "2017-07")
REPORTS = len(STAYING) + 1
# Half the kills land anywhere in a run; half land up to this long after the run
# reports its k-th parsed file (k random), which covers the last adds and the commit.
AFTER_LINE_SECONDS = 0.4
UNBUFFERED = {"PYTHONUNBUFFERED": "1"}
KILLED_EXIT_TIMEOUT = 60


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Every month used here, rendered once: {month: path}."""
    folder = tmp_path_factory.mktemp("renders")
    return {month: write_month(folder, month) for month in STAYING + MOVING}


def make_folder(path, renders, moving_month):
    for month in STAYING:
        shutil.copy(renders[month], path / renders[month].name)
    moving = path / "moving-report.html"
    shutil.copyfile(renders[moving_month], moving)
    return moving


def full_args(folder, index_dir) -> tuple:
    return ("ingest", folder, "--index", index_dir, "--full", "--jobs", "2")


def full_ingest(folder, index_dir):
    """Start a full re-ingest whose output lines arrive as they are written."""
    return cli(*full_args(folder, index_dir), env=UNBUFFERED)


def kill_at_random(process, rng: random.Random, duration: float, trial: int) -> None:
    """SIGKILL the process at a random moment of its run."""
    if trial % 2 == 0:
        time.sleep(rng.uniform(0.0, duration))
    else:
        for _ in range(rng.randint(1, REPORTS)):
            if not process.stdout.readline():
                break
        time.sleep(rng.uniform(0.0, AFTER_LINE_SECONDS))
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    # Worker processes left without their parent go quietly.
    assert "Traceback" not in stderr


def test_sigkilled_ingest_leaves_the_previous_state(tmp_path, renders):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    folder.mkdir()
    moving = make_folder(folder, renders, MOVING[0])
    assert run_ingest([folder], index_dir, jobs=2).failed == []
    # How long an uninterrupted full run takes here, index swap included.
    started = time.perf_counter()
    with full_ingest(folder, index_dir) as process:
        _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    assert process.returncode == 0, stderr
    duration = time.perf_counter() - started
    rng = random.Random(SEED)
    outcomes = []
    for trial in range(TRIALS):
        old = state(index_dir)
        month = MOVING[(trial + 1) % len(MOVING)]
        shutil.copyfile(renders[month], moving)
        with full_ingest(folder, index_dir) as process:
            kill_at_random(process, rng, duration, trial)
        # The index opens and serves a complete state...
        after = state(index_dir)
        # ... and the next ingest completes.
        summary = run_ingest([folder], index_dir, jobs=1)
        assert summary.failed == []
        new = state(index_dir)
        assert old != new
        assert after in (old, new), f"trial {trial}: a state that is neither old nor new"
        assert dict(new[2])[month] == 11
        assert len(list(index_dir.glob("gen-*"))) <= 2
        outcomes.append("old" if after == old else "new")
    # Most kills land before the commit: the previous state is what they leave.
    assert outcomes.count("old") >= TRIALS // 2, outcomes


def test_searches_during_a_full_reingest_see_one_complete_state(tmp_path, renders):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    folder.mkdir()
    moving = make_folder(folder, renders, MOVING[0])
    assert run_ingest([folder], index_dir, jobs=2).failed == []
    old, old_pointer = state(index_dir), generation(index_dir)
    shutil.copyfile(renders[MOVING[1]], moving)
    answers: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                answers.append(state(index_dir))
            except Exception as exc:  # every error counts, whatever its kind
                errors.append(repr(exc))

    thread = threading.Thread(target=client)
    thread.start()
    try:
        with full_ingest(folder, index_dir) as process:
            _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
        seen = len(answers)
        while len(answers) < seen + 3 and thread.is_alive():
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert process.returncode == 0, stderr
    new = state(index_dir)
    assert generation(index_dir) != old_pointer and new != old
    assert errors == []
    assert set(answers) <= {old, new}
    assert answers.count(old) > 0 and answers.count(new) > 0
    assert Index.open(index_dir).report_files()[str(moving.resolve())].month == MOVING[1]
    assert dict(new[2])[MOVING[1]] == 11
    found = search(Index.open(index_dir), SearchRequest(q=marker(MOVING[1])))
    assert {hit.source for hit in found.hits} == {str(moving.resolve())}


def test_ctrl_c_stops_the_run_with_one_line(tmp_path, renders):
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    folder.mkdir()
    moving = make_folder(folder, renders, MOVING[0])
    assert run_ingest([folder], index_dir, jobs=2).failed == []
    old = state(index_dir)
    shutil.copyfile(renders[MOVING[1]], moving)
    # Ctrl-C on a terminal signals the whole process group: the command and its workers.
    with cli(*full_args(folder, index_dir), env=UNBUFFERED, start_new_session=True) as process:
        assert process.stdout.readline().startswith("updated ")
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    assert process.returncode == 130
    assert stderr == "interrupted: the index keeps its last complete state\n"
    interrupted = state(index_dir)
    assert run_ingest([folder], index_dir, jobs=1).failed == []
    assert interrupted in (old, state(index_dir))
