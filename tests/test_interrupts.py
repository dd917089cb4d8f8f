"""Ctrl-C at any moment of a command: one line, exit status 130, never a traceback.

Each run is held at a named point (ingest/holds.py) and signalled there, so
the signal lands where the test says on any machine, however busy: before the
command's imports, while a worker parses, with the new generation committed
but not yet current. A terminal's Ctrl-C signals the whole process group (the
command, its fork server and its workers), and so do these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dmreports.entry import INTERRUPTED
from ingest.holds import HOLD_ENV
from tests.conftest import ROOT
from tests.fixtures.months import write_month
from tests.ingest_helpers import Holds, alive, cli, generation, run_cli, state

KILLED_EXIT_TIMEOUT = 60
MONTHS = ("2017-07", "2017-08", "2017-09")
LINE = f"{INTERRUPTED}\n"
SIGINT_BIT = 1 << (signal.SIGINT - 1)
# The installed command (bin/dmreports, the launcher), beside this interpreter.
COMMAND = Path(sys.executable).with_name("dmreports")
# A sitecustomize that holds Python in its start-up (site runs it after the .pth
# files), before anything of dmreports has run: hold point `site`.
SITE_HOLD = f"""
import os
folder = os.environ[{HOLD_ENV!r}]
with open(os.path.join(folder, "site"), "w") as fifo:
    fifo.write(f"{{os.getpid()}}\\n")
with open(os.path.join(folder, "site.release")) as fifo:
    fifo.read()
"""


@pytest.fixture
def indexed(tmp_path):
    """A folder of three reports, indexed; the next run has one of them changed."""
    folder, index_dir = tmp_path / "reports", tmp_path / "index"
    for month in MONTHS:
        write_month(folder, month)
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0
    changed = write_month(tmp_path / "later", "2017-10")
    shutil.copyfile(changed, next(folder.glob("*2017-09*")))
    return folder, index_dir


def interrupt(process, pid_group: bool = True) -> tuple[str, str]:
    if pid_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    return process.communicate(timeout=KILLED_EXIT_TIMEOUT)


def _sigint_held_back(pid: int) -> bool:
    """Whether a process ignores or blocks SIGINT (from /proc/PID/status)."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return bool((int(fields["SigIgn"], 16) | int(fields["SigBlk"], 16)) & SIGINT_BIT)


def test_ctrl_c_while_a_worker_parses(indexed, tmp_path):
    folder, index_dir = indexed
    before = (generation(index_dir), state(index_dir))
    held = next(folder.glob("*2017-09*")).name
    holds = Holds(tmp_path / "holds")
    holds.at(f"parse-{held}")
    args = ("ingest", folder, "--index", index_dir, "--full", "--jobs", "2")
    with cli(*args, env=holds.env, start_new_session=True) as process:
        worker = holds.reached(f"parse-{held}", process)
        # The worker and the fork server it came from never see Ctrl-C themselves.
        assert _sigint_held_back(worker)
        with open(f"/proc/{worker}/stat") as f:
            fork_server = int(f.read().rsplit(")", 1)[1].split()[1])
        assert _sigint_held_back(fork_server)
        stdout, stderr = interrupt(process)
    assert (process.returncode, stdout, stderr) == (130, "", LINE)
    # The parent stopped its workers before it went, the held one included.
    assert not alive(worker)
    assert (generation(index_dir), state(index_dir)) == before
    assert list(index_dir.glob("gen-*")) == [index_dir / "gen-000001"]
    assert run_cli("ingest", folder, "--index", index_dir).returncode == 0


def test_ctrl_c_with_the_new_generation_committed_but_not_current(indexed, tmp_path):
    folder, index_dir = indexed
    before = (generation(index_dir), state(index_dir))
    holds = Holds(tmp_path / "holds")
    holds.at("commit")
    with cli("ingest", folder, "--index", index_dir, env=holds.env, start_new_session=True) as p:
        holds.reached("commit", p)
        assert (index_dir / "gen-000002").is_dir()
        stdout, stderr = interrupt(p)
    assert (p.returncode, stdout, stderr) == (130, "", LINE)
    assert (generation(index_dir), state(index_dir)) == before
    assert not (index_dir / "gen-000002").exists()


def test_ctrl_c_before_the_command_has_loaded(indexed, tmp_path):
    folder, index_dir = indexed
    holds = Holds(tmp_path / "holds")
    holds.at("start")
    for command in (("ingest", folder, "--index", index_dir), ("search", "--index", index_dir)):
        with cli(*command, env=holds.env, start_new_session=True) as process:
            holds.reached("start", process)
            stdout, stderr = interrupt(process)
        assert (process.returncode, stdout, stderr) == (130, "", LINE)
    assert json.loads(generation(index_dir))["generation"] == 1


@pytest.mark.parametrize("trial", range(3))
def test_ctrl_c_while_the_command_loads(indexed, tmp_path, trial):
    # Let the command go from before its imports and signal it at once: the signal
    # lands in the imports or later, and the run cannot finish before it (a worker is
    # held), so the one line and 130 are the only answer there is.
    folder, index_dir = indexed
    holds = Holds(tmp_path / "holds")
    holds.at("start")
    holds.at(f"parse-{next(folder.glob('*2017-09*')).name}")
    args = ("ingest", folder, "--index", index_dir, "--jobs", "1")
    with cli(*args, env=holds.env, start_new_session=True) as process:
        holds.reached("start", process)
        holds.release("start")
        stdout, stderr = interrupt(process, pid_group=trial != 0)
    assert (process.returncode, stdout, stderr) == (130, "", LINE)
    assert "Traceback" not in stderr


def test_a_second_ctrl_c_while_stopping_still_gives_one_line(indexed, tmp_path):
    folder, index_dir = indexed
    before = generation(index_dir)
    holds = Holds(tmp_path / "holds")
    holds.at("commit")
    with cli("ingest", folder, "--index", index_dir, env=holds.env, start_new_session=True) as p:
        holds.reached("commit", p)
        os.killpg(p.pid, signal.SIGINT)
        stdout, stderr = interrupt(p)
    assert (p.returncode, stdout, stderr) == (130, "", LINE)
    assert generation(index_dir) == before


@pytest.mark.parametrize("command", ["ingest", "search", "check"])
def test_ctrl_c_while_python_starts_up(indexed, tmp_path, command):
    # Without the launcher a Ctrl-C here is a KeyboardInterrupt in site ("Fatal
    # Python error: init_import_site" and a traceback, exit 1).
    folder, index_dir = indexed
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITE_HOLD)
    holds = Holds(tmp_path / "holds")
    holds.at("site")
    args = {"ingest": (command, folder), "search": (command, "camera"), "check": (command,)}
    process = subprocess.Popen(
        [COMMAND, *args[command], "--index", index_dir],
        cwd=ROOT,
        env={**os.environ, **holds.env, "PYTHONPATH": str(site)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with process:
        pid = holds.reached("site", process)
        assert pid == process.pid  # the launcher became the Python it started
        assert _sigint_held_back(pid)
        os.killpg(process.pid, signal.SIGINT)
        holds.release("site")
        stdout, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    assert (process.returncode, stdout, stderr) == (130, "", LINE)
    assert json.loads(generation(index_dir))["generation"] == 1


def test_the_launcher_lifts_the_block_for_the_command(indexed, tmp_path):
    # Once started, the command (and what it starts) sees SIGINT like any program.
    folder, index_dir = indexed
    holds = Holds(tmp_path / "holds")
    holds.at("start")
    process = subprocess.Popen(
        [COMMAND, "check", "--index", index_dir],
        cwd=ROOT,
        env={**os.environ, **holds.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with process:
        pid = holds.reached("start", process)
        assert not _sigint_held_back(pid)
        holds.release("start")
        stdout, stderr = process.communicate(timeout=KILLED_EXIT_TIMEOUT)
    assert (process.returncode, stderr) == (0, "")
    assert stdout.startswith("index ok: gen-000001")
