"""Dependencies point one way: ingest -> search -> web, with the dmreports command on top."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from web import create_app

RUFF = Path(sys.executable).with_name("ruff")
# A module that uses the command's settings, as web/ once did for its index path.
USES_COMMAND = "from dmreports.config import index_path\n\n__all__ = ['index_path']\n"


def ruff_on(path: str, source: str) -> subprocess.CompletedProcess:
    """Run the project's ruff on source as if it were the file at path (its folder's rules)."""
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("package", ["ingest", "search", "web"])
def test_ruff_bans_the_command_package_below_it(package):
    result = ruff_on(f"{package}/uses_command.py", USES_COMMAND)
    assert result.returncode == 1
    assert "TID251 `dmreports.config` is banned" in result.stdout or (
        "TID251 `dmreports` is banned" in result.stdout
    )


def test_the_command_and_the_tests_may_use_the_command_package():
    for path in ("dmreports/uses_command.py", "tests/uses_command.py"):
        result = ruff_on(path, USES_COMMAND)
        assert (result.returncode, result.stdout) == (0, "All checks passed!\n")


def test_the_bulk_ingest_uses_only_the_public_interface_of_search():
    tree = ast.parse((ROOT / "dmreports" / "bulk.py").read_text(encoding="utf-8"))
    modules = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("search")
    }
    assert modules == {"search"}


def test_the_app_finds_its_index_in_its_instance_folder_unless_told(tmp_path):
    app = create_app(instance_path=tmp_path / "instance")
    assert app.config["INDEX_PATH"] == str(tmp_path / "instance" / "index")
    app = create_app(instance_path=tmp_path / "instance", INDEX_PATH=str(tmp_path / "elsewhere"))
    assert app.config["INDEX_PATH"] == str(tmp_path / "elsewhere")
    app = create_app(tmp_path / "given", INDEX_PATH=str(tmp_path / "elsewhere"))
    assert app.config["INDEX_PATH"] == str(tmp_path / "given")


def test_the_library_hands_web_nothing_of_ingest_s():
    from search import library

    modules = {
        name: getattr(getattr(library, name), "__module__", "search")
        for name in library.__all__
        if callable(getattr(library, name))
    }
    assert {name for name, module in modules.items() if not module.startswith("search")} == set()
    assert "report_months" in modules and "canonical_key" in modules
