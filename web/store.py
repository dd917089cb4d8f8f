"""The one read-only Index object an app shares between requests and threads."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from search import Index

EXTENSION = "dmreports.index"


def init_app(app: Flask) -> None:
    """Attach the index at app.config["INDEX_PATH"] (it may not exist yet)."""
    app.extensions[EXTENSION] = Index(Path(app.config["INDEX_PATH"]))


def get_index() -> Index:
    """Return the app's index; reading a missing one raises search.IndexMissing."""
    return current_app.extensions[EXTENSION]
