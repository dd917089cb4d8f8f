"""bench/: `python -m bench --only STEP[,STEP]` picks steps and what they need; a failed step
is reported in RESULTS.md and the steps that do not need it still run.
"""

from __future__ import annotations

import dataclasses

import pytest
from bench import __main__ as cli
from bench import suite
from bench.results import render


def _names(steps) -> list[str]:
    return [step.__name__ for step in steps]


def test_every_step_runs_without_only():
    assert suite.select_steps(()) == suite.STEPS
    assert sorted(_names(suite.STEP_NAMES.values())) == sorted(_names(suite.STEPS))


def test_only_adds_what_a_step_needs_in_run_order():
    assert _names(suite.select_steps(("cold_ingest",))) == ["generate", "startup", "cold_ingest"]
    assert _names(suite.select_steps(("http", "queries"))) == [
        "generate",
        "parse_only",
        "startup",
        "query_sizes",
        "cold_ingest",
        "http_load",
    ]
    assert _names(suite.select_steps(("serve",))) == [
        "generate",
        "parse_only",
        "startup",
        "serve_history",
    ]


def test_only_on_the_command_line_writes_elsewhere_than_results_md():
    settings = cli.parse_args(["--only", "parse_only,queries", "--sizes", "12,120"])
    assert settings.only == ("parse_only", "queries")
    assert settings.sizes == (12, 120)
    assert settings.output == cli.ONLY_OUTPUT != suite.RESULTS_PATH
    assert settings.describe()["Steps"] == (
        "only parse_only, queries (run: generate, parse_only, query_sizes)"
    )
    assert cli.parse_args([]).output == suite.RESULTS_PATH
    assert cli.parse_args([]).describe()["Steps"] == "all"


def test_an_unknown_step_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(["--only", "cold_ingest,servee"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m bench: error: argument --only: unknown step servee; steps: generate, "
        "plumber, parse_only, startup, queries, cold_ingest, parallel_ingest, http, serve"
    )


def test_a_failed_step_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    monkeypatch.setattr(suite.synthetic, "cached_corpus", lambda *args: ([], True))
    monkeypatch.setattr(suite, "_pages_per_file", lambda paths: [3])

    def broken(*args):
        raise RuntimeError("pypdfium2 is missing")

    monkeypatch.setattr(suite.extraction, "isolated", broken)
    settings = dataclasses.replace(
        suite.QUICK, only=("queries", "startup"), output=tmp_path / "R.md", cache=None
    )
    results = suite.run(settings)
    assert results.failed == ["parse_only", "query_sizes"]
    assert results.remarks == [
        "Step parse_only failed, its figures are missing: RuntimeError: pypdfium2 is missing",
        "Step query_sizes skipped: it needs parse_only, which failed",
    ]
    assert [f.name for f in results.figures] == [
        "SYNTHETIC corpus: 0 reports",
        "CLI start-up (dmreports --help, best of 3)",
    ]
    markdown = settings.output.read_text(encoding="utf-8")
    assert "- Step query_sizes skipped: it needs parse_only, which failed" in markdown
    assert "| Ingest | CLI start-up (dmreports --help, best of 3) |" in markdown


def test_results_written_while_the_run_goes_on_say_so():
    results = suite.Results(machine={}, settings={}, seconds=754.2, running="query_sizes")
    assert (
        "- **Incomplete**: written after step query_sizes, 754 s into a run that went on "
        "(figures of later steps missing)"
    ) in render(results).splitlines()
    results.running = None
    assert "Incomplete" not in render(results)
