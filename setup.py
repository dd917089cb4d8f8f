"""The package's one C module; everything else about the package is in pyproject.toml.

ingest/pdf/_charcalls.c makes PDFium's per-character calls in a C loop (see
ingest/pdf/charcalls.py). It is optional: where no C compiler is at hand the package
installs without it, and the reader makes the same calls one by one through ctypes,
with the same results, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("ingest.pdf._charcalls", ["ingest/pdf/_charcalls.c"], optional=True),
    ]
)
