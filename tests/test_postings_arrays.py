"""Postings written at ingest as mapped arrays, and generations made ready before they answer.

Each segment gets a `.arr` file beside Whoosh's own (search/codec.py): every
term's document numbers and weights, flat. Opening a generation maps it instead
of decoding posting blocks; the facet counts, rankings and totals are the ones
Whoosh's blocks give, the file is covered by the generation's manifest like any
other, and a generation is warmed (arrays, facets, lengths) before its first
search reads it.
"""

from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest
from click.testing import CliRunner

from dmreports.cli import main
from search import Index, SearchRequest, codec, engine, health, search
from search.engine import Matcher, arrays_for
from search.facets import FACET_FIELDS
from search.history import is_store_file
from search.query import parse_query
from tests.ingest_helpers import count_checksums

OCT = "lsst-dm-monthly-report-2017-10"
REPAIR = "run `dmreports ingest --full` to rebuild it"


@pytest.fixture
def october(tmp_path, pdf_report) -> Index:
    index = Index.open(tmp_path / "index", create=True)
    index.add_report(pdf_report)
    return index


def _current(index: Index):
    pointer = json.loads((index.path / "CURRENT").read_text())
    return index.path / f"gen-{pointer['generation']:06d}"


def _segments(index: Index):
    with index.reading(warm=False) as snap:
        return list(snap.searcher.reader().leaf_readers())


def _facet(result, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name].values}


def test_each_segment_has_its_postings_file_holding_what_whoosh_blocks_hold(october):
    gen = _current(october)
    segments = _segments(october)
    assert sorted(p.name for p in gen.glob("*.arr")) == sorted(
        codec.arrays_file(segment.segment()) for segment, _ in segments
    )
    terms = 0
    for segment, _ in segments:
        mapped = codec.segment_arrays(segment)
        assert mapped is not None
        for fieldname in ("kind", "month", "part", "wbs", "refs", "text", "title"):
            for text in segment.field_terms(fieldname):
                ids, weights = mapped.postings(fieldname, text)
                block_ids, block_weights = codec.read_block_postings(segment, fieldname, text)
                assert ids.tolist() == block_ids.tolist(), (fieldname, text)
                assert weights.tolist() == block_weights.tolist(), (fieldname, text)
                terms += 1
        ids, weights = mapped.postings("text", "no-such-term-anywhere")
        assert (len(ids), len(weights)) == (0, 0)
    assert terms > 1000


def test_facet_counts_of_the_real_report_come_from_the_mapped_arrays(october, monkeypatch):
    def no_blocks(*args):
        raise AssertionError("posting blocks decoded although the arrays file is there")

    monkeypatch.setattr(codec, "read_block_postings", no_blocks)
    result = search(october, SearchRequest())
    assert _facet(result, "part") == {"accomplishments": 45, "planned": 43, "recruitment": 7}
    assert _facet(result, "kind") == {"section": 98, "milestone": 11}
    wbs = _facet(result, "wbs")
    assert (wbs["1.02C.03"], wbs["1.02C.06"]) == (19, 17)
    assert _facet(result, "month") == {"2017-10": 109}
    assert search(october, SearchRequest(q="DM-12256")).hits[0].id == (
        f"{OCT}#1.02C.03.00/accomplishments"
    )


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(q="qserv data"),
        SearchRequest(q='"alert production"'),
        SearchRequest(q="butler", part=("planned",)),
        SearchRequest(q="LDM-503-2 OR DMTN-037"),
        SearchRequest(q="pipel*", sort="newest"),
        SearchRequest(wbs=("1.02C.03",)),
    ],
    ids=lambda r: r.q or "wbs",
)
def test_answers_equal_those_read_from_whoosh_blocks(october, monkeypatch, request_):
    mapped = search(october, request_)
    monkeypatch.setattr(codec, "segment_arrays", lambda segment: None)
    blocks = search(Index(october.path), request_)
    assert mapped.total == blocks.total > 0
    assert [(h.id, h.score) for h in mapped.hits] == [(h.id, h.score) for h in blocks.hits]
    assert mapped.facets == blocks.facets


def _cut(path):
    path.write_bytes(path.read_bytes()[:-100])


def _overwrite(path):
    # A new file in place of the old: the original's hard links are left alone.
    content = bytearray(path.read_bytes())
    content[600:620] = b"x" * 20
    path.unlink()
    path.write_bytes(bytes(content))


@pytest.mark.parametrize(
    ("spoil", "fault"),
    [(_cut, "truncated"), (_overwrite, "changed since it was written")],
    ids=["truncated", "overwritten"],
)
def test_check_names_a_damaged_postings_file(october, tmp_path, spoil, fault):
    copy = tmp_path / "copy"
    shutil.copytree(october.path, copy, copy_function=shutil.copy2)
    gen = _current(Index(copy))
    damaged = next(gen.glob("*.arr"))
    spoil(damaged)
    health.forget_verified()
    result = CliRunner().invoke(main, ["check", "--index", str(copy)])
    line = f"index damaged: {gen.name} ({damaged.name} {fault}); {REPAIR}\n"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line)


def test_a_generation_is_warmed_before_its_first_search(october, html_report):
    generation = october.warm()
    with october.reading() as snap:
        assert snap.generation == generation
        arrays = snap.cache["arrays"]
        assert set(FACET_FIELDS.values()) <= set(arrays.facets)
        assert {"text", "title"} <= set(arrays.lengths)
        assert "month" in arrays.sort_keys and "wbs_labels" in snap.cache
    october.add_report(html_report, "html")
    assert october.warm() == generation + 1
    with october.reading() as snap:
        assert set(FACET_FIELDS.values()) <= set(snap.cache["arrays"].facets)
        months = snap.cache["arrays"].facets["month"]
        assert months.values == ["2017-10"]
        assert np.count_nonzero(snap.cache["arrays"].live) == snap.searcher.doc_count()


def _facet_arrays(index: Index) -> tuple[dict, np.ndarray]:
    with index.reading(warm=False) as snap:
        matcher = Matcher(snap.searcher, arrays_for(snap.searcher, {}))
        facets = {
            name: matcher.facet(name, skip=frozenset({"report"})) for name in FACET_FIELDS.values()
        }
        return facets, matcher.sort_key("month")


def test_facets_from_whole_fields_equal_facets_term_by_term(october, html_report, monkeypatch):
    october.add_report(html_report, "html")  # a second segment, and the first one's
    october.add_report(html_report, "html")  # documents of that report deleted
    with october.reading(warm=False) as snap:
        assert len(list(snap.searcher.reader().leaf_readers())) >= 2
        assert snap.searcher.doc_count() < snap.searcher.doc_count_all()
    whole, months = _facet_arrays(october)
    # Term by term, as for segments without an arrays file.
    monkeypatch.setattr(engine, "read_field_postings", lambda segment, fieldname: None)
    by_term, expected_months = _facet_arrays(october)
    assert np.array_equal(months, expected_months) and months.max() >= 0
    assert "report" not in whole["kind"].values and "section" in whole["kind"].values
    for name, found in whole.items():
        expected = by_term[name]
        assert found.values == expected.values and found.values, name
        for part in ("pair_doc", "starts", "doc_value", "doc_starts", "doc_values"):
            mine, theirs = getattr(found, part), getattr(expected, part)
            assert (mine is None) == (theirs is None), (name, part)
            if mine is not None:
                assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), (name, part)


def test_a_new_generation_checksums_only_the_files_it_wrote(october, html_report, monkeypatch):
    health.forget_verified()
    october.warm()
    # Files a generation shares with the one before are the same files (hard links).
    before = {p.stat().st_ino for p in _current(october).iterdir()}
    read = count_checksums(monkeypatch)
    october.add_report(html_report, "html")
    read.clear()  # the writer checks the generation it builds on and writes the manifest
    # Files as their ingest stamped them are not read at all (tests/test_index_health.py);
    # without stamps (a manifest written before they were kept), only the new files are.
    _drop_stamps(october)
    october.warm()
    # The searcher's new files and the history store's new part, each once.
    files = list(_current(october).iterdir())
    new = [p.name for p in files if p.stat().st_ino not in before]
    assert len(new) < len(files)
    wanted = [n for n in new if n != "MANIFEST" and not n.endswith("LOCK")]
    assert any(map(is_store_file, wanted)) and any(not is_store_file(n) for n in wanted)
    assert sorted(read) == sorted(wanted)


def _drop_stamps(index: Index) -> None:
    """Make the current manifest one written before file stamps were kept."""
    manifest_path = _current(index) / health.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"].values():
        del entry["inode"], entry["mtime_ns"]
    manifest_path.write_text(json.dumps(manifest))


def test_a_warmed_worker_opens_the_history_store_without_reading_its_files(october, monkeypatch):
    _drop_stamps(october)  # every file is checksummed once per process
    health.forget_verified()
    read = count_checksums(monkeypatch)
    october.warm()
    assert any(map(is_store_file, read)), read  # the warm-up checked the store's files
    read.clear()
    pages: list = []
    # A request thread of its own, as a server's: its first history page checks nothing.
    thread = threading.Thread(
        target=lambda: pages.append([r.id for r in october.history().reports()])
    )
    thread.start()
    thread.join()
    assert pages == [["lsst-dm-monthly-report-2017-10"]] and read == []


PHRASES = [
    '"alert production"',
    '"data release production"',
    '"image differencing"',
    '"the LSST data facility"',
    'title:"alert production"',
    '"production alert"',
    '"alert production" OR "science platform"',
]


def _phrase_mask(index: Index, q: str) -> np.ndarray:
    query, notice = parse_query(q)
    assert notice is None
    with index.reading() as snap:
        return Matcher(snap.searcher, arrays_for(snap.searcher, snap.cache)).mask(query)


@pytest.mark.parametrize("q", PHRASES)
def test_phrases_matched_on_mapped_positions_equal_whoosh_spans(october, monkeypatch, q):
    used = []
    mapped = engine.phrase_docs

    def counting(*args):
        used.append(args[1:])
        return mapped(*args)

    monkeypatch.setattr(engine, "phrase_docs", counting)
    found = _phrase_mask(october, q)
    assert used
    monkeypatch.setattr(engine, "phrase_docs", lambda *args: None)
    expected = _phrase_mask(Index(october.path), q)
    assert found.tolist() == expected.tolist()
    if q == '"alert production"':
        assert expected.sum() > 3


def test_facet_listings_without_a_selection_keep_their_order(tmp_path, monkeypatch):
    from ingest.pipeline import load_report
    from search import facets
    from tests.fixtures.months import FIXTURE_MONTHS, write_months

    index = Index.open(tmp_path / "index", create=True)
    with index.writer() as writer:
        for path in write_months(tmp_path / "src"):
            writer.add_report(load_report(path))
    listed = search(index, SearchRequest(q="DCR"))
    everything = search(index, SearchRequest())
    assert [v.value for v in listed.facets["month"].values] == sorted(FIXTURE_MONTHS, reverse=True)
    # The same listings made value by value, as for a facet with a selection.
    monkeypatch.setattr(
        facets,
        "_listed",
        lambda name, arrays, at, n: facets._flat_values(
            name, dict(zip([arrays.values[i] for i in at], n.tolist(), strict=True)), ()
        ),
    )
    assert search(Index(index.path), SearchRequest(q="DCR")).facets == listed.facets
    assert search(Index(index.path), SearchRequest()).facets == everything.facets


def test_whole_index_facets_are_counted_once_per_generation(october, html_report):
    first = search(october, SearchRequest())
    assert search(october, SearchRequest()).facets == first.facets
    assert _facet(first, "month") == {"2017-10": first.total}
    october.add_report(html_report, "html")
    after = search(october, SearchRequest(sort="newest"))
    assert after.total > first.total
    assert _facet(after, "month") == {"2017-10": after.total}
    assert sum(_facet(after, "kind").values()) == after.total


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_searches_without_words_rank_by_month_as_top_does(tmp_path, sort):
    from ingest.pipeline import load_report
    from search.engine import first_ranked, top
    from tests.fixtures.months import write_months

    index = Index.open(tmp_path / "index", create=True)
    with index.writer() as writer:
        for path in write_months(tmp_path / "src"):
            writer.add_report(load_report(path))
    with index.reading() as snap:
        matcher = Matcher(snap.searcher, arrays_for(snap.searcher, snap.cache))
        month = matcher.sort_key("month")
        keys = [-month if sort == "newest" else np.where(month < 0, month.max() + 1, month)]
        order = matcher.month_order(sort)
        for mask in (matcher.arrays.searchable, matcher.term_mask("part", "planned")):
            for start, stop in ((0, 20), (20, 40), (0, 5000), (len(order), len(order) + 20)):
                assert first_ranked(order, mask, start, stop) == top(keys, mask, start, stop)
    result = search(index, SearchRequest(sort=sort, per_page=50))
    months = [hit.month for hit in result.hits]
    assert months == sorted(months, reverse=sort == "newest")
    newest_first = sorted(result.months, reverse=True)
    assert months[0] == (newest_first[0] if sort == "newest" else newest_first[-1])


def test_a_refused_pattern_is_refused_again_and_a_remembered_one_follows_the_cap(
    october, monkeypatch
):
    from search import QueryError
    from search import query as query_module

    assert search(october, SearchRequest(q="pipe*")).total > 0  # remembered for the generation
    monkeypatch.setattr(query_module, "MAX_WILDCARD_TERMS", 1)
    for _ in range(2):
        with pytest.raises(QueryError, match="pipe\\* matches more than 1 terms"):
            search(october, SearchRequest(q="pipe*"))


def test_report_labels_kept_in_the_arrays_file_equal_the_stored_fields(
    october, html_report, pdf_report, monkeypatch
):
    from search import facets

    # More segments, old documents deleted, and small segments merged by Whoosh.
    for report, report_id in ((html_report, "html"), (pdf_report, None), (html_report, "html")):
        october.add_report(report, report_id)
    with october.reading(warm=False) as snap:
        segments = list(snap.searcher.reader().leaf_readers())
        assert len(segments) >= 2 and snap.searcher.doc_count() < snap.searcher.doc_count_all()
        kept = 0
        for segment, _ in segments:
            found = codec.report_labels(segment)
            assert found is not None and found == facets.stored_labels(segment)
            kept += len(found)
        assert kept >= 2
    with october.reading() as snap:
        labels = facets.wbs_labels(snap)
    assert labels["1.02C.03"] and len(labels) > 20
    # Segments whose arrays file has no report labels (written before it kept them).
    monkeypatch.setattr(facets, "report_labels", lambda segment: None)
    with Index(october.path).reading() as snap:
        assert facets.wbs_labels(snap) == labels
    assert (
        search(Index(october.path), SearchRequest(q="qserv")).facets
        == search(october, SearchRequest(q="qserv")).facets
    )


def test_a_hits_stored_fields_are_whooshs_in_every_segment(october, html_report):
    october.add_report(html_report, "html")  # a second segment
    with october.reading(warm=False) as snap:
        searcher = snap.searcher
        assert len(list(searcher.reader().leaf_readers())) == 2
        for docnum in range(searcher.doc_count_all()):
            assert codec.stored_fields(searcher, docnum) == searcher.stored_fields(docnum)
        first = codec.stored_fields(searcher, 0)
        first["report"] = "changed"  # each call gives a dict of its own
        assert codec.stored_fields(searcher, 0)["report"] == OCT
