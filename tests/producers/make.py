"""Render the October 2017 report with every producer (run by hand, see README.md).

    .venv/bin/python tests/producers/make.py [PRODUCER ...]

Each producer's input is written from the seed (through corpus/build.py's reader) into
``src/``, then the producer's own tool prints it to ``<producer>.pdf`` beside this
script. The tools are not needed by the test suite, only the committed files are.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import html_writer
import latex_writer
import markdown_writer
import odt_writer
from seed import PRODUCERS_DIR, SOURCES_DIR, build, read_document


def _run(command: list[str], *, quiet: bool = False) -> None:
    """Run a producer's tool; ``quiet`` drops its stderr chatter (Chromium's D-Bus lines)."""
    print("$", " ".join(command), flush=True)
    stderr = subprocess.DEVNULL if quiet else None
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=stderr)


def make_reportlab(doc) -> Path:
    """The project's own reportlab renderer in its second style (A4, Times, no furniture)."""
    out = PRODUCERS_DIR / "reportlab.pdf"
    build.render_pdf(doc, out, style=build.ALT)
    return out


def make_libreoffice(doc) -> Path:
    """A .docx (python-docx, Word styles) printed to PDF by LibreOffice headless."""
    import docx_writer  # python-docx is needed by this producer only

    source = SOURCES_DIR / "libreoffice.docx"
    docx_writer.render(doc, source)
    return _print_with_libreoffice(source, PRODUCERS_DIR / "libreoffice.pdf")


def make_libreoffice_odt(doc) -> Path:
    """A flat OpenDocument text (numbered outline, A4) printed by LibreOffice headless."""
    source = SOURCES_DIR / "libreoffice-odt.fodt"
    source.write_text(odt_writer.render(doc), encoding="utf-8")
    return _print_with_libreoffice(source, PRODUCERS_DIR / "libreoffice-odt.pdf")


def _print_with_libreoffice(source: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as work:
        _run(
            [
                "libreoffice",
                f"-env:UserInstallation=file://{work}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                work,
                str(source),
            ]
        )
        shutil.move(Path(work) / source.with_suffix(".pdf").name, out)
    return out


def make_pdflatex(doc, name: str = "pdflatex", render=latex_writer.render) -> Path:
    """LaTeX source set by pdfLaTeX (three runs, so "Page N of M" and marks settle)."""
    source = SOURCES_DIR / f"{name}.tex"
    source.write_text(render(doc), encoding="utf-8")
    with tempfile.TemporaryDirectory() as work:
        for _ in range(3):
            _run(
                [
                    "pdflatex",
                    "-interaction=nonstopmode",
                    "-halt-on-error",
                    "-output-directory",
                    work,
                    str(source),
                ]
            )
        out = PRODUCERS_DIR / f"{name}.pdf"
        shutil.move(Path(work) / f"{name}.pdf", out)
    return out


def make_chromium(doc, name: str = "chromium", css: str = html_writer.CHROMIUM_CSS) -> Path:
    """An HTML page with print CSS, printed by headless Chromium."""
    source = SOURCES_DIR / f"{name}.html"
    source.write_text(html_writer.render(doc, css), encoding="utf-8")
    out = PRODUCERS_DIR / f"{name}.pdf"
    with tempfile.TemporaryDirectory() as work:
        _run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={work}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                source.as_uri(),
            ],
            quiet=True,
        )
    return out


def make_weasyprint(doc, name: str = "weasyprint", css: str = html_writer.WEASYPRINT_CSS) -> Path:
    """An HTML page with numbered headings and hyphenation, converted by WeasyPrint."""
    source = SOURCES_DIR / f"{name}.html"
    source.write_text(html_writer.render(doc, css), encoding="utf-8")
    out = PRODUCERS_DIR / f"{name}.pdf"
    _run(["weasyprint", str(source), str(out)])
    return out


def make_pdflatex_starred(doc) -> Path:
    """A second LaTeX source: A4, Termes, \\section*, one tabularx, set by pdfLaTeX."""
    return make_pdflatex(doc, "pdflatex-starred", latex_writer.render_starred)


def make_pandoc(doc) -> Path:
    """Pandoc Markdown turned into LaTeX by pandoc and printed by pdfLaTeX: A4, TeX Gyre
    Pagella, numbered sections, the milestone table as pandoc's longtable."""
    source = SOURCES_DIR / "pandoc.md"
    source.write_text(markdown_writer.render(doc), encoding="utf-8")
    out = PRODUCERS_DIR / "pandoc.pdf"
    _run(
        [
            "pandoc",
            str(source),
            "--from=markdown-smart-citations-tex_math_dollars-raw_tex-subscript-superscript",
            "--pdf-engine=pdflatex",
            "--number-sections",
            "-V",
            "papersize=a4",
            "-V",
            "geometry=margin=25mm",
            "-V",
            "fontfamily=tgpagella",
            "-V",
            "fontsize=11pt",
            "-V",
            "colorlinks=true",
            "-o",
            str(out),
        ]
    )
    return out


def make_chromium_narrow(doc) -> Path:
    """A narrow page with an unruled table, printed by headless Chromium."""
    return make_chromium(doc, "chromium-narrow", html_writer.CHROMIUM_NARROW_CSS)


def make_weasyprint_a5(doc) -> Path:
    """A5 with a table whose rows break across pages, converted by WeasyPrint."""
    return make_weasyprint(doc, "weasyprint-a5", html_writer.WEASYPRINT_A5_CSS)


PRODUCERS = {
    "reportlab": make_reportlab,
    "libreoffice": make_libreoffice,
    "pdflatex": make_pdflatex,
    "chromium": make_chromium,
    "weasyprint": make_weasyprint,
    "chromium-narrow": make_chromium_narrow,
    "weasyprint-a5": make_weasyprint_a5,
    "pandoc": make_pandoc,
    "libreoffice-odt": make_libreoffice_odt,
    "pdflatex-starred": make_pdflatex_starred,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("producers", nargs="*", choices=[[], *PRODUCERS], default=[])
    names = parser.parse_args().producers or list(PRODUCERS)
    SOURCES_DIR.mkdir(exist_ok=True)
    doc = read_document()
    for name in names:
        out = PRODUCERS[name](doc)
        print(f"wrote {out.relative_to(PRODUCERS_DIR.parents[1])}")


if __name__ == "__main__":
    sys.exit(main())
