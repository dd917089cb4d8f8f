"""Shared fixtures: the corpus files, their parsed reports, the corpus builder."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from ingest.pipeline import load_report

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORT_NAME = "lsst-dm-monthly-report-2017-10"
CORPUS_PDF = CORPUS / f"{REPORT_NAME}.pdf"
CORPUS_HTML = CORPUS / f"{REPORT_NAME}.html"
EXPECTED = Path(__file__).resolve().parent / "expected" / f"{REPORT_NAME}.json"


def load_builder():
    """The corpus builder module (corpus/build.py), imported from its file."""
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(sys.modules[spec.name])
    module = sys.modules[spec.name]
    return module


@pytest.fixture(scope="session")
def builder():
    return load_builder()


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pdf_report():
    return load_report(CORPUS_PDF)


@pytest.fixture(scope="session")
def html_report():
    return load_report(CORPUS_HTML)


@pytest.fixture(scope="session")
def alt_pdf(tmp_path_factory, builder) -> Path:
    """The same report rendered another way: A4, other fonts, unruled table, no furniture."""
    path = tmp_path_factory.mktemp("alt") / f"{REPORT_NAME}-alt.pdf"
    builder.render_pdf(builder.read_seed(builder.SEED_PATH), path, style=builder.ALT)
    return path


@pytest.fixture(scope="session")
def alt_report(alt_pdf):
    return load_report(alt_pdf)
