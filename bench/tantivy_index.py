"""The second query baseline: the same sections in tantivy (the engine paperless-ngx uses).

The documents are exactly the ones search/ and bench/fts.py index (search.documents.report_docs,
sections and milestones). The schema is what a tantivy user would write for them: title,
WBS title and text with the English stemmer (stored, for snippets); the identifiers a
section cites in a field split on whitespace (keys are exact terms, `DM-12256`); month,
year, part, kind, every WBS ancestor and the cited identifier kinds as raw-tokenized fast
fields; the month as an integer fast field for ranges and the newest-first order.

A search is answered as a tantivy user would answer it: one boolean query (text parts
must match, facet selections as term-set filters), the top 20 by BM25 (title and WBS title
boosted as in search/) or by month, snippets of the text field from SnippetGenerator, and
the facets counted with tantivy's terms aggregation over the fast fields, each facet under
the other facets' selections but not its own (one aggregation request for the facets
without a selection, one more for each facet with one).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import tantivy

from ingest.models import Report
from search.documents import report_docs
from search.schema import SEARCH_KINDS, TITLE_BOOST, WBS_TITLE_BOOST, canonical_wbs, wbs_ancestors

from . import fts
from .queries import QuerySpec

PER_PAGE = 20
# The writer's memory budget (tantivy's usual 128 MB; split between the threads).
HEAP_BYTES = 128_000_000
# Facet values returned per facet: all of them (a month per report at most).
FACET_SIZE = 100_000
TEXT_FIELDS = ("title", "wbs_title", "text")
# tantivy's own cap on the indexing threads its default writer starts.
MAX_WRITER_THREADS = 8
FIELD_BOOSTS = {"title": TITLE_BOOST, "wbs_title": WBS_TITLE_BOOST}
FACET_FIELDS: dict[str, str] = {
    "wbs": "wbs",
    "month": "month",
    "year": "year",
    "part": "part",
    "ref_kind": "ref_kind",
    "kind": "kind",
}


def schema() -> tantivy.Schema:
    """The tantivy schema of a section or milestone document."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="en_stem")
    builder.add_text_field("refs", tokenizer_name="whitespace", index_option="freq")
    for name in FACET_FIELDS.values():
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("month_num", fast=True, indexed=True)
    return builder.build()


def _month_number(month: str | None) -> int:
    return int(month.replace("-", "")) if month else 0


def _documents(reports: Sequence[Report]):
    seen: set[str] = set()
    for report in reports:
        report_id = fts.unique_report_id(report, seen)
        for doc in report_docs(report, report_id):
            if doc["kind"] not in SEARCH_KINDS:
                continue
            fields: dict[str, object] = {
                "doc_id": doc["doc_id"],
                "title": doc.get("title", ""),
                "wbs_title": doc.get("wbs_title", ""),
                "text": doc.get("text", ""),
                "refs": doc.get("refs", ""),
                "kind": doc["kind"],
                "month_num": _month_number(doc.get("month")),
            }
            for name in ("month", "year", "part"):
                if doc.get(name):
                    fields[name] = doc[name]
            if wbs := canonical_wbs(doc.get("wbs") or ""):
                fields["wbs"] = wbs_ancestors(wbs)
            if kinds := doc.get("ref_kinds", "").split():
                fields["ref_kind"] = kinds
            yield fields


def build(reports: Sequence[Report], path: Path, threads: int = 0) -> float:
    """Write a tantivy index of the reports' sections and milestones; return the seconds.

    threads 0 lets tantivy choose (one indexing thread per core, at most 8); 1 is
    single-threaded.
    """
    start = time.perf_counter()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(path))
    writer = index.writer(HEAP_BYTES, threads)
    for fields in _documents(reports):
        writer.add_document(tantivy.Document(**_as_lists(fields)))
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - start


def _as_lists(fields: dict[str, object]) -> dict[str, list]:
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


def default_threads() -> int:
    """The indexing threads tantivy's default writer starts here: one per core, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, MAX_WRITER_THREADS)


def open_index(path: Path) -> tantivy.Index:
    """The index at path, opened for searching."""
    return tantivy.Index.open(str(path))


def _text_query(index: tantivy.Index, spec: QuerySpec) -> list[tantivy.Query]:
    """The text parts of a search, each a query that must match."""
    schema_ = index.schema
    parts: list[tantivy.Query] = []

    def parsed(text: str) -> tantivy.Query:
        return index.parse_query(
            text,
            list(TEXT_FIELDS),
            field_boosts=FIELD_BOOSTS,
            conjunction_by_default=True,
        )

    for word in spec.words:
        parts.append(parsed(word))
    if spec.phrase:
        parts.append(parsed(f'"{spec.phrase}"'))
    if spec.ident:
        # The key as cited (an exact term of refs) or as written in the text.
        cited = tantivy.Query.term_query(schema_, "refs", spec.ident)
        written = parsed(f'"{spec.ident}"')
        parts.append(
            tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, cited), (tantivy.Occur.Should, written)]
            )
        )
    if spec.prefix:
        regex = f"{spec.prefix.lower()}.*"
        parts.append(
            tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.regex_query(schema_, name, regex))
                    for name in TEXT_FIELDS
                ]
            )
        )
    if spec.month_range:
        low, high = (_month_number(m) for m in spec.month_range)
        parts.append(
            tantivy.Query.range_query(schema_, "month_num", tantivy.FieldType.Integer, low, high)
        )
    return parts


def _selections(index: tantivy.Index, spec: QuerySpec) -> dict[str, tantivy.Query]:
    """Facet name -> the term-set filter of its selected values, for each facet selected."""
    out = {}
    for name, field in FACET_FIELDS.items():
        values = list(getattr(spec, name, ()))
        if name == "wbs":
            values = [canonical_wbs(v) for v in values]
        if values:
            out[name] = tantivy.Query.term_set_query(index.schema, field, values)
    return out


def _all_of(parts: Sequence[tantivy.Query]) -> tantivy.Query:
    if not parts:
        return tantivy.Query.all_query()
    if len(parts) == 1:
        return parts[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in parts])


def _terms(names: Sequence[str]) -> dict:
    return {name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in names}


def answer(index: tantivy.Index) -> Callable[[QuerySpec], int]:
    """A search against an open tantivy index: hits with snippets, total and all facets."""
    searcher = index.searcher()
    schema_ = index.schema

    def run(spec: QuerySpec) -> int:
        text = _text_query(index, spec)
        selections = _selections(index, spec)
        query = _all_of([*text, *selections.values()])
        if spec.sort == "relevance" and text:
            result = searcher.search(query, PER_PAGE, count=True)
        else:
            result = searcher.search(
                query, PER_PAGE, count=True, order_by_field="month_num", order=tantivy.Order.Desc
            )
        if text:
            snippets = tantivy.SnippetGenerator.create(searcher, _all_of(text), schema_, "text")
            for _, address in result.hits:
                snippets.snippet_from_doc(searcher.doc(address)).to_html()
        else:
            for _, address in result.hits:
                searcher.doc(address)
        unselected = [name for name in FACET_FIELDS if name not in selections]
        searcher.aggregate(query, _terms(unselected))
        for name in selections:
            others = [q for other, q in selections.items() if other != name]
            searcher.aggregate(_all_of([*text, *others]), _terms([name]))
        return result.count

    return run
