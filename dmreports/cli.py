"""The `dmreports` command: each command checks its options, makes one library call, prints."""

from __future__ import annotations

import json
import sys

import click

from ingest.models import IngestError
from ingest.pipeline import load_report
from ingest.structure import NO_STRUCTURE

EXIT_BAD_INPUT = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Search the LSST Data Management monthly reports."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--indent", default=2, show_default=True, help="JSON indentation (0: one line).")
def parse(file: str, indent: int) -> None:
    """Parse one report (PDF or HTML) and print it as JSON.

    Example: dmreports parse corpus/lsst-dm-monthly-report-2017-10.pdf
    """
    try:
        report = load_report(file)
    except IngestError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    for warning in report.warnings:
        if warning == NO_STRUCTURE:
            click.echo(f"{file}: warning: {warning}", err=True)
    click.echo(json.dumps(report.to_dict(), indent=indent or None, ensure_ascii=False))
