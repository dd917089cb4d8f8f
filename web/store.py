"""The one read-only Index object an app shares between requests and threads."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from flask import Flask, current_app

from search import Index, SearchError

EXTENSION = "dmreports.index"


def init_app(app: Flask) -> None:
    """Attach the index at app.config["INDEX_PATH"] (it may not exist yet)."""
    app.extensions[EXTENSION] = Index(Path(app.config["INDEX_PATH"]))


def get_index() -> Index:
    """Return the app's index; reading a missing one raises search.IndexMissing."""
    return current_app.extensions[EXTENSION]


def warm(app: Flask) -> None:
    """Make the index ready before a server's first request, and each new generation after.

    A server worker calls it before it answers: the current generation is
    opened and warmed now (a missing or damaged index is reported by the
    requests, as before), and a watcher warms each generation an ingest makes.
    """
    index = app.extensions[EXTENSION]
    with suppress(SearchError, OSError):
        index.warm()
    index.watch()
