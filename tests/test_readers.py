"""Readers: one per process and generation, shared by threads, taking over unchanged arrays.

Every thread of a process searches through the same open generation (its
files mapped, not copied), a generation replaced while a search still reads
it stays open until that search is done, and the arrays of the segments a new
generation shares with the one before are taken over rather than read again.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ingest.pipeline import load_report
from search import Index, SearchRequest, codec, engine, search
from search.engine import Matcher, arrays_for
from tests.fixtures.months import marker, write_month


@pytest.fixture
def two_months(tmp_path) -> Index:
    index = Index.open(tmp_path / "index", create=True)
    for month in ("2017-08", "2017-09"):
        index.add_report(load_report(write_month(tmp_path / "src", month)))
    return index


def test_threads_share_one_reader_of_a_generation(two_months):
    inside = threading.Barrier(4)
    seen: list = []

    def read() -> None:
        with two_months.reading() as snap:
            inside.wait()  # all four inside at once
            seen.append((snap.generation, snap.searcher, snap.cache))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(searcher) for _, searcher, _ in seen}) == 1
    assert len({id(cache) for _, _, cache in seen}) == 1
    # The segments are read from mapped files, each file on its own.
    segment = seen[0][1].reader().leaf_readers()[0][0]
    assert not segment.segment().is_compound()
    assert isinstance(segment.storage(), codec.MappedStorage)


def test_a_replaced_generation_stays_open_for_the_search_still_reading_it(two_months, tmp_path):
    holding, release = threading.Event(), threading.Event()
    result: dict = {}

    def slow_reader() -> None:
        with two_months.reading() as snap:
            holding.set()
            release.wait()
            # The writer has swapped generations meanwhile: this one still answers.
            result["docs"] = sum(1 for _ in snap.searcher.documents(kind="report"))
            result["searcher"] = snap.searcher

    thread = threading.Thread(target=slow_reader)
    thread.start()
    holding.wait()
    two_months.add_report(load_report(write_month(tmp_path / "src", "2017-11")))
    new = search(two_months, SearchRequest(q=marker("2017-11")))
    assert new.total == 1
    release.set()
    thread.join()
    assert result["docs"] == 2
    # Closed once its last search was done .
    assert result["searcher"].is_closed
    with two_months.reading() as snap:
        assert snap.searcher is not result["searcher"]
        assert not snap.searcher.is_closed


def _postings(index: Index, fieldname: str, text: str):
    with index.reading() as snap:
        matcher = Matcher(snap.searcher, arrays_for(snap.searcher, snap.cache))
        return matcher.postings(fieldname, text), matcher.lengths("text").copy()


def test_a_new_generation_reads_only_its_new_segments(two_months, tmp_path, monkeypatch):
    # Warm the first generation: the term and the lengths of "text".
    _postings(two_months, "text", "qserv")
    two_months.add_report(load_report(write_month(tmp_path / "src", "2017-11")))
    read: list = []
    real = engine.read_postings

    def counting(segment, fieldname, text):
        read.append((codec.segment_key(segment), fieldname, text))
        return real(segment, fieldname, text)

    monkeypatch.setattr(engine, "read_postings", counting)
    (ids, weights), lengths = _postings(two_months, "text", "qserv")
    with two_months.reading() as snap:
        keys = [codec.segment_key(s) for s, _ in snap.searcher.reader().leaf_readers()]
        generation = snap.generation
    qserv_reads = [key for key, fieldname, text in read if (fieldname, text) == ("text", "qserv")]
    # The new report's segment was read; the old segments' postings were taken over.
    assert len(keys) >= 2
    assert qserv_reads == [keys[-1]]
    # ...and equal what a process opening this generation afresh reads.
    monkeypatch.undo()
    fresh = Index.open(two_months.path)
    (fresh_ids, fresh_weights), fresh_lengths = _postings(fresh, "text", "qserv")
    with fresh.reading() as snap:
        assert snap.generation == generation
    assert len(ids) > 3
    np.testing.assert_array_equal(ids, fresh_ids)
    np.testing.assert_array_equal(weights, fresh_weights)
    np.testing.assert_array_equal(lengths, fresh_lengths)


def test_a_replaced_report_is_searched_as_a_fresh_process_searches_it(two_months, tmp_path):
    requests = [
        SearchRequest(q="qserv"),
        SearchRequest(q='"data release"'),
        SearchRequest(q="butler", month=["2017-09"]),
        SearchRequest(),
    ]
    before = [search(two_months, r) for r in requests]
    assert all(r.total for r in before)
    # September replaced by November under the same report id, and a month added.
    with two_months.writer() as writer:
        files = two_months.report_files()
        september = next(info.id for info in files.values() if info.month == "2017-09")
        writer.add_report(load_report(write_month(tmp_path / "src", "2017-11")), september)
        writer.add_report(load_report(write_month(tmp_path / "src", "2017-10")))
    carried = [search(two_months, r) for r in requests]
    fresh = [search(Index.open(two_months.path), r) for r in requests]
    assert carried == fresh
    assert carried[2].total == 0
    assert {v.value for v in carried[3].facets["month"].values} == {"2017-08", "2017-10", "2017-11"}
