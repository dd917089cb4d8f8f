"""Hold points: where a test stops a run mid-way and knows that it is there.

The suite never waits for a run to reach some moment by sleeping: it makes
the run stop at a named hold point. With $DMREPORTS_HOLD naming a folder, a
process that reaches hold point NAME, and finds a FIFO named NAME in that
folder, writes its pid to the FIFO (which blocks until the test reads it:
the test now knows the run is there), then, if the folder also has a FIFO
`NAME.release`, waits until the test opens it. Without the variable (always,
outside the suite) a hold point costs one environment lookup.

Hold points: `start` (the command, before it imports anything heavy),
`parse-FILENAME` (a parsing worker, before it parses that file), `commit`
(the writer, with the new generation committed but CURRENT not yet moved)
and `swapped` (CURRENT moved, the old generations not yet removed).
"""

from __future__ import annotations

import os

HOLD_ENV = "DMREPORTS_HOLD"
RELEASE_SUFFIX = ".release"


def hold(name: str) -> None:
    """Stop at hold point `name` if the test asked for it (see the module docstring)."""
    folder = os.environ.get(HOLD_ENV)
    if not folder:
        return
    point = os.path.join(folder, name)
    if not os.path.exists(point):
        return
    with open(point, "w") as fifo:
        fifo.write(f"{os.getpid()}\n")
    release = point + RELEASE_SUFFIX
    if os.path.exists(release):
        with open(release) as fifo:
            fifo.read()
