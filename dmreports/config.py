"""Where the index lives: one rule shared by every command and the web app.

The index is the folder `index/` under the instance path (`instance/` at the
top of the project checkout). `DMREPORTS_INSTANCE` moves the instance folder,
`DMREPORTS_INDEX` names the index folder itself; `--index` beats both.
"""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_ENV = "DMREPORTS_INSTANCE"
INDEX_ENV = "DMREPORTS_INDEX"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """Return the instance folder: $DMREPORTS_INSTANCE, else `instance/` in the project."""
    return Path(os.environ.get(INSTANCE_ENV) or PROJECT_ROOT / "instance")


def index_path(explicit: str | os.PathLike | None = None) -> Path:
    """Return the index folder: explicit, else $DMREPORTS_INDEX, else `<instance>/index`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(INDEX_ENV)
    return Path(env) if env else instance_path() / "index"
