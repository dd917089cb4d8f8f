"""The web app: search page, pages over time, their JSON twins and the JSON API.

`create_app()` builds the Flask app the way Flask's tutorial does: defaults,
then the caller's config, then each part wires itself up with `init_app`.
The app only reads the index; `dmreports ingest` writes it.
"""

from __future__ import annotations

import os

from flask import Flask

from dmreports.config import index_path as default_index_path

from . import api, errors, pages, render, security, store

# Settings a caller may override with create_app(**config).
DEFAULT_CONFIG: dict = {
    # Where relative source paths stored in the index are resolved from (default: cwd).
    "SOURCE_ROOT": None,
    # Outside link of JIRA tickets; None uses ingest's default ($DMREPORTS_JIRA_URL).
    "JIRA_BASE": None,
}


def create_app(index_path: str | os.PathLike | None = None, **config) -> Flask:
    """Return the app serving the index at index_path (default: dmreports.config.index_path())."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULT_CONFIG)
    app.config["INDEX_PATH"] = str(default_index_path(index_path))
    app.config.update(config)
    app.config["SOURCE_ROOT"] = app.config["SOURCE_ROOT"] or os.getcwd()
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    store.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    render.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    return app
