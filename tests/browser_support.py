"""What the browser tests need: a folder of reports, a `dmreports serve` process, chromium.

The folder holds the real October 2017 report (the corpus PDF), the August,
September and November TEST FIXTURES derived from it (tests/fixtures/months.py)
and one more TEST FIXTURE, December 2017, whose High-level Summary carries
HTML and script payloads. `dmreports ingest` indexes it and `dmreports serve`
answers on a free port of 127.0.0.1, as a user would run them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import CORPUS_PDF, ROOT, load_builder
from tests.fixtures.months import derive, write_month

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--no-first-run",
)
MISSING_CHROMIUM = (
    f"chromium is not installed at {CHROMIUM}: the browser tests drive Debian's chromium. "
    "Run `make system-deps` (or `apt-get install chromium`); `make test` does it for you."
)
MISSING_PLAYWRIGHT = (
    "the playwright package is missing: run `.venv/bin/pip install --editable . --group dev`"
)
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
STOP_TIMEOUT = 20
# Months of the fixture reports written beside the real October report.
FIXTURE_MONTHS = ("2017-08", "2017-09", "2017-11")
XSS_MONTH = "2017-12"
XSS_ID = "test-fixture-xss-dm-monthly-report-2017-12"
# A word only the payload paragraph contains, to find it with a search.
XSS_WORD = "zebrapayload"
XSS_SCRIPT = "<script>window.__xss='script';alert('xss')</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss='img';alert(1)\">"
XSS_ATTR = "\"'><svg onload=\"window.__xss='svg';alert(2)\">"
XSS_PARAGRAPH = f"Payload {XSS_WORD} {XSS_SCRIPT} and {XSS_IMG} near DM-12256."


def write_reports(folder: Path) -> list[Path]:
    """Write the real October report and the fixture months into folder; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [Path(shutil.copy(CORPUS_PDF, folder))]
    paths += [write_month(folder, month, fmt="html") for month in FIXTURE_MONTHS]
    paths.append(write_xss_report(folder))
    return paths


def write_xss_report(folder: Path) -> Path:
    """Write the December TEST FIXTURE: October's text, no milestone table, payloads in it."""
    builder = load_builder()
    doc = derive(XSS_MONTH, builder)
    # Without the table the fixture leaves DLP-472's due-date history to the other months.
    doc.nodes = [n for n in doc.nodes if not isinstance(n, builder.MilestoneTable)]
    summary = next(
        i for i, n in enumerate(doc.nodes) if isinstance(n, builder.Heading) and n.level == 1
    )
    doc.nodes.insert(summary + 1, builder.Paragraph([builder.Run(XSS_PARAGRAPH)]))
    path = folder / f"{XSS_ID}.html"
    builder.render_html(doc, path)
    return path


def clean_env() -> dict[str, str]:
    """The environment for the commands: this checkout's packages, default JIRA links."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMREPORTS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ingest(folder: Path, index: Path) -> None:
    """Index folder with `dmreports ingest`; raise with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "dmreports", "ingest", "--index", str(index), str(folder)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dmreports ingest failed:\n{result.stdout}\n{result.stderr}")


# The line `dmreports serve` writes once its sockets listen (with the port it got).
SERVING = re.compile(r"serving .* on http://127\.0\.0\.1:(?P<port>\d+)/ ")


class Server:
    """A `dmreports serve` process over an index, on 127.0.0.1 and a port it picks."""

    def __init__(self, index: Path, log: Path) -> None:
        self.port: int | None = None
        self.base = ""
        self.log = log
        self._log_file = log.open("w", encoding="utf-8")
        self._copier: threading.Thread | None = None
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dmreports",
                "serve",
                "--index",
                str(index),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ],
            cwd=ROOT,
            env=clean_env(),
            stdout=self._log_file,
            stderr=subprocess.PIPE,
            text=True,
        )

    def url(self, path: str) -> str:
        """Return the absolute URL of a path on this server."""
        return self.base + path

    def wait_ready(self) -> None:
        """Wait for the server's `serving ...` line; raise with its log if it exits first.

        The line comes once the sockets listen: connections made from then on
        queue until a worker takes them, so nothing is polled.
        """
        for line in self.process.stderr:
            self._log_file.write(line)
            found = SERVING.match(line)
            if found:
                self.port = int(found["port"])
                self.base = f"http://127.0.0.1:{self.port}"
                self._copier = threading.Thread(target=self._copy_stderr, daemon=True)
                self._copier.start()
                return
        self.process.wait(timeout=STOP_TIMEOUT)
        raise RuntimeError(f"dmreports serve exited before it listened:\n{self.output()}")

    def _copy_stderr(self) -> None:
        for line in self.process.stderr:
            self._log_file.write(line)

    def output(self) -> str:
        """Return what the server has logged so far."""
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the process (terminate, then kill) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self._copier is not None:
            self._copier.join(STOP_TIMEOUT)  # end of file: the server and its workers are gone
        self.process.stderr.close()
        self._log_file.close()
