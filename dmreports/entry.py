"""The `dmreports` command's first moments: Ctrl-C is answered before anything heavy loads.

Importing the command (Flask, Whoosh, the PDF readers) takes a while; a
Ctrl-C in that time, or in any command that does not handle it itself, ends
the process with one line and status 130, never a traceback. `ingest`
replaces the handler while it runs, so that its workers and its half-built
generation are cleaned up first.

Before this module runs, Python starts up (site, the .pth files of the
installed packages, the imports that lead here), and a Ctrl-C there would be
a KeyboardInterrupt traceback (or "Fatal Python error" from site). The
installed command (bin/dmreports) therefore starts Python with SIGINT blocked:
such a Ctrl-C stays pending until `main` has its handler in place and lifts
the block, and is answered then.
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
    # Blocked by the launcher while Python started; one that came meanwhile lands now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    from ingest.holds import hold

    hold("start")
    from dmreports.cli import main as command_line

    command_line()
