"""An ingest killed at any moment leaves the last complete index; searches never see a half.

Reports are TEST FIXTURE months (tests/fixtures/months.py) rendered as HTML:
four that stay, and one file whose content moves to another month before
every run, so the state before a run and after it always differ.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading

import pytest

from dmreports.bulk import run_ingest
from search import Index, SearchRequest, search
from tests.fixtures.months import marker, write_month
from tests.ingest_helpers import Holds, cli, generation, state

STAYING = ("2017-08", "2017-09", "2017-10", "2017-11")
MOVING = ("2017-03", "2017-04", "2017-05", "2017-06", "2017-07")
REPORTS = len(STAYING) + 1
UNBUFFERED = {"PYTHONUNBUFFERED": "1"}
KILLED_EXIT_TIMEOUT = 60
MOVING_NAME = "moving-report.html"
# Where each kill lands (hold points of ingest/holds.py), and the state it leaves:
# while workers parse (the first file, the moving one, the last), with the new
# generation committed but CURRENT not moved, and just after CURRENT moved.
KILL_POINTS = (
    ("parse-test-fixture-dm-monthly-report-2017-08.html", "old"),
    (f"parse-{MOVING_NAME}", "old"),
    ("parse-test-fixture-dm-monthly-report-2017-11.html", "old"),
    ("commit", "old"),
    ("swapped", "new"),
)


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Every month used here, rendered once: {month: path}."""
    folder = tmp_path_factory.mktemp("renders")
    return {month: write_month(folder, month) for month in STAYING + MOVING}


def make_folder(path, renders, moving_month):
    for month in STAYING:
        shutil.copy(renders[month], path / renders[month].name)
    moving = path / MOVING_NAME
    shutil.copyfile(renders[moving_month], moving)
    return moving


def full_args(folder, index_dir) -> tuple:
    return ("ingest", folder, "--index", index_dir, "--full", "--jobs", "2")


@pytest.mark.parametrize("trial", range(len(KILL_POINTS)))
def test_sigkilled_ingest_leaves_the_previous_state(tmp_path, renders, trial):
    point, expected = KILL_POINTS[trial]
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    folder.mkdir()
    moving = make_folder(folder, renders, MOVING[0])
    assert run_ingest([folder], index_dir, jobs=2).failed == []
    old = state(index_dir)
    month = MOVING[1 + trial % (len(MOVING) - 1)]
    shutil.copyfile(renders[month], moving)
    holds = Holds(tmp_path / "holds")
    holds.at(point)
    with cli(*full_args(folder, index_dir), env={**UNBUFFERED, **holds.env}) as process:
        holds.reached(point, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=KILLED_EXIT_TIMEOUT)
        if point.startswith("parse-"):
            holds.release(point)  # the orphaned worker finds its parent gone and leaves
        _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    # Worker processes left without their parent go quietly.
    assert "Traceback" not in stderr
    # The index opens and serves a complete state: the one this kill must leave...
    after = state(index_dir)
    # ... and the next ingest completes.
    summary = run_ingest([folder], index_dir, jobs=1)
    assert summary.failed == []
    new = state(index_dir)
    assert old != new
    assert after == {"old": old, "new": new}[expected], f"killed at {point}"
    assert dict(new[2])[month] == 11
    assert len(list(index_dir.glob("gen-*"))) <= 2


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
    answered = threading.Condition()

    def client():
        while not stop.is_set():
            try:
                answer = state(index_dir)
            except Exception as exc:  # every error counts, whatever its kind
                errors.append(repr(exc))
                continue
            with answered:
                answers.append(answer)
                answered.notify_all()

    def wait_for_answers(count: int) -> None:
        with answered:
            assert answered.wait_for(
                lambda: len(answers) >= count or errors, timeout=KILLED_EXIT_TIMEOUT
            ), "the searching thread stopped answering"

    # The run is held with its new generation committed, CURRENT not yet moved:
    # searches meanwhile see the old state; once it goes on, the new one.
    holds = Holds(tmp_path / "holds")
    holds.at("commit")
    thread = threading.Thread(target=client)
    thread.start()
    try:
        with cli(*full_args(folder, index_dir), env={**UNBUFFERED, **holds.env}) as process:
            holds.reached("commit", process)
            wait_for_answers(len(answers) + 3)
            held = len(answers)
            holds.release("commit")
            _, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
        wait_for_answers(len(answers) + 3)
    finally:
        stop.set()
        thread.join()
    assert process.returncode == 0, stderr
    new = state(index_dir)
    assert generation(index_dir) != old_pointer and new != old
    assert errors == []
    assert set(answers) <= {old, new}
    assert answers.count(old) >= 3 and answers.count(new) >= 3
    assert set(answers[: held - 1]) == {old}
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
    # Held while a worker parses the moving report, the run is surely mid-way.
    holds = Holds(tmp_path / "holds")
    holds.at(f"parse-{MOVING_NAME}")
    # Ctrl-C on a terminal signals the whole process group: the command and its workers.
    env = {**UNBUFFERED, **holds.env}
    with cli(*full_args(folder, index_dir), env=env, start_new_session=True) as process:
        holds.reached(f"parse-{MOVING_NAME}", process)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    assert process.returncode == 130
    assert stderr == "interrupted: the index keeps its last complete state\n"
    # No line says a file was updated: none was.
    assert stdout == ""
    assert state(index_dir) == old
    assert run_ingest([folder], index_dir, jobs=1).failed == []
    assert state(index_dir) != old
