"""Benchmarks of dmreports (`make bench` = `python -m bench`), written to bench/RESULTS.md.

Every figure is measured beside a baseline in the same run on the same files: raw text
extraction with pypdfium2 and word extraction with pdfplumber for ingest, SQLite FTS5 for
search. The reports are SYNTHETIC variants of the real October 2017 report
(bench/synthetic.py), rendered into a temporary folder.
"""
