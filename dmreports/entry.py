"""The `dmreports` command's first moments: Ctrl-C is answered before anything heavy loads.

Importing the command (Flask, Whoosh, the PDF readers) takes a while; a
Ctrl-C in that time, or in any command that does not handle it itself, ends
the process with one line and status 130, never a traceback. `ingest`
replaces the handler while it runs, so that its workers and its half-built
generation are cleaned up first.
"""

from __future__ import annotations

import os
import signal

INTERRUPTED = "interrupted: the index keeps its last complete state"
EXIT_INTERRUPTED = 130


def stop_now(signum=None, frame=None) -> None:
    """Print the one line and end the process at once (a SIGINT handler)."""
    try:
        os.write(2, f"{INTERRUPTED}\n".encode())
    finally:
        os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Run the command line, with Ctrl-C answered from the first line on."""
    signal.signal(signal.SIGINT, stop_now)
    from ingest.holds import hold

    hold("start")
    from dmreports.cli import main as command_line

    command_line()
