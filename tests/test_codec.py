"""Whoosh fenced: one module holds its internals, for the one pinned version.

search/codec.py refuses any Whoosh but the pinned one, with a message naming
both versions; no other module of search/ reaches a private Whoosh name or a
Whoosh module below its public API; pyproject.toml pins the version the code
checks for. And the mapped files it opens serve many threads at once.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import threading
import tomllib
import warnings
from pathlib import Path

import pytest

from search import codec

ROOT = Path(__file__).resolve().parent.parent
SEARCH = ROOT / "search"
WHOOSH = Path(codec.whoosh.__file__).parent
# Whoosh modules the rest of search/ may import: the documented API (schema,
# analysis, queries and their parser, the searcher and its scoring).
PUBLIC_WHOOSH = (
    "whoosh.analysis",
    "whoosh.fields",
    "whoosh.formats",
    "whoosh.index",
    "whoosh.lang",
    "whoosh.qparser",
    "whoosh.query",
    "whoosh.scoring",
    "whoosh.searching",
    "whoosh.support.charset",
)


def test_the_pinned_version_is_the_one_checked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"whoosh-reloaded=={codec.WHOOSH_VERSION}" in project["dependencies"]
    assert codec.whoosh.versionstring() == codec.WHOOSH_VERSION


def test_another_whoosh_version_is_refused_with_both_versions_named(monkeypatch):
    monkeypatch.setattr(codec.whoosh, "__version__", (2, 7, 4))
    with pytest.raises(codec.WhooshVersionError) as raised:
        codec.check_version()
    assert str(raised.value) == (
        "dmreports needs whoosh-reloaded 2.7.5 (pinned in pyproject.toml), found 2.7.4: "
        "run `make setup` to install the pinned version"
    )
    monkeypatch.undo()
    codec.check_version()


def test_importing_search_under_another_whoosh_fails_at_import():
    code = "import whoosh; whoosh.__version__ = (2, 8, 0); import search"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "search.codec.WhooshVersionError: dmreports needs whoosh-reloaded 2.7.5 "
        "(pinned in pyproject.toml), found 2.8.0: run `make setup` to install the pinned version"
    )


def _whoosh_private_names() -> set[str]:
    """Every underscore name Whoosh defines or assigns (functions, methods, attributes)."""
    names: set[str] = set()
    for path in WHOOSH.rglob("*.py"):
        with warnings.catch_warnings():  # old escapes in Whoosh's own sources
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                name = node.name
            elif isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            if name and name.startswith("_") and not name.endswith("__"):
                names.add(name)
    return names


def _whoosh_bases(tree: ast.Module) -> set[str]:
    """Names a module imports from Whoosh (its classes may be subclassed)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh")
        for alias in node.names
    }


def _defined(tree: ast.AST) -> set[str]:
    """Functions and methods defined in a module or class of ours."""
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def _fence_breaks(path: Path, private: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    whoosh_names = _whoosh_bases(tree)
    loaded = importlib.import_module(f"search.{path.stem}")
    # A private name of the module's own (Index._pointer) is not Whoosh's...
    own = _defined(tree)
    breaks = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module] if isinstance(node, ast.ImportFrom) else []
            modules += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for module in filter(None, modules):
                if module.startswith("whoosh") and not module.startswith(PUBLIC_WHOOSH):
                    breaks.append(f"{path.name}:{node.lineno} imports {module}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        breaks.append(f"{path.name}:{node.lineno} imports {alias.name}")
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(base).split(".")[0] for base in node.bases}
            if bases & whoosh_names:
                # ...but in a subclass of a Whoosh class only what it adds is its own.
                inherited = getattr(loaded, node.name).__mro__[1:]
                added = {
                    name
                    for name in _defined(node)
                    if not any(hasattr(base, name) for base in inherited)
                }
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Attribute) and sub.attr in private - added:
                        breaks.append(f"{path.name}:{sub.lineno} {node.name} uses {sub.attr}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if not node.attr.endswith("__") and ast.unparse(node.value) not in ("self", "cls"):
                if node.attr in private - own:
                    breaks.append(f"{path.name}:{node.lineno} reaches {node.attr}")
    return breaks


def test_no_module_but_codec_touches_whoosh_internals():
    private = _whoosh_private_names()
    assert {"_lenfield", "_read_ids", "_blocklimit", "_finalize_segment", "_perdoc"} <= private
    modules = sorted(p for p in SEARCH.glob("*.py") if p.name != "codec.py")
    assert len(modules) >= 10
    breaks = [b for path in modules for b in _fence_breaks(path, private)]
    assert breaks == []
    # ...while codec.py does use them (the check would catch them anywhere else).
    assert len(_fence_breaks(SEARCH / "codec.py", private)) > 10


def test_mapped_files_serve_many_threads_at_once(tmp_path):
    path = tmp_path / "blocks"
    blocks = [bytes([n]) * (1000 + n) for n in range(50)]
    path.write_bytes(b"".join(blocks))
    storage = codec.MappedStorage(str(tmp_path))
    shared = storage.open_file("blocks")
    starts = [sum(len(b) for b in blocks[:n]) for n in range(len(blocks))]
    ready = threading.Barrier(4)
    wrong: list[int] = []

    def read_all(order: list[int]) -> None:
        ready.wait()
        for _ in range(20):
            for n in order:
                # seek then read, as Whoosh reads a posting block: each thread its own position.
                shared.seek(starts[n])
                if shared.read(len(blocks[n])) != blocks[n] or shared.tell() != starts[n] + len(
                    blocks[n]
                ):
                    wrong.append(n)

    orders = [list(range(50)), list(reversed(range(50))), list(range(0, 50, 2)), [7] * 50]
    threads = [threading.Thread(target=read_all, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert shared.get(starts[3], 4) == bytes([3]) * 4
    shared.close()
