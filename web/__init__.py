"""The web app: search page, pages over time, their JSON twins and the JSON API.

`create_app()` builds the Flask app the way Flask's tutorial does: defaults,
then the caller's config, then each part wires itself up with `init_app`.
The app only reads the index, at `app.config["INDEX_PATH"]`: the path given
(as `dmreports serve` gives it), else the config's, else `index/` in the app's
instance folder. `dmreports ingest` writes it.
"""

from __future__ import annotations

import os

from flask import Flask

from . import api, errors, pages, render, security, store

# Settings a caller may override with create_app(**config).
DEFAULT_CONFIG: dict = {
    # Where relative source paths stored in the index are resolved from (default: cwd).
    "SOURCE_ROOT": None,
    # Outside link of JIRA tickets; None uses ingest's default ($DMREPORTS_JIRA_URL).
    "JIRA_BASE": None,
}


# The index folder's name in the instance folder when no path is given.
INDEX_FOLDER = "index"


def create_app(
    index_path: str | os.PathLike | None = None,
    instance_path: str | os.PathLike | None = None,
    **config,
) -> Flask:
    """Return the app serving the index at index_path (else config INDEX_PATH, else instance)."""
    app = Flask(__name__, instance_path=str(instance_path) if instance_path else None)
    app.config.from_mapping(DEFAULT_CONFIG)
    app.config.update(config)
    chosen = index_path or app.config.get("INDEX_PATH")
    app.config["INDEX_PATH"] = str(chosen or os.path.join(app.instance_path, INDEX_FOLDER))
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
