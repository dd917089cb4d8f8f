"""The fast index writer writes what Whoosh's own writer writes, term by term.

`ReportText.index` (one pass per value) against Whoosh's `Format.word_values`
over the analyzer's tokens; `ReportSegmentWriter` fed packed reports against
Whoosh's `SegmentWriter.add_document`, compared through Whoosh's reader:
every term's postings, term statistics and encoded term info, stored fields,
field lengths and columns, including a second commit that deletes a report
and merges the first segment; and segments a `SegmentBuilder` writes (as
each parsing worker does) against the writer's own.
"""

from __future__ import annotations

import pickle

import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from search import Index, SearchError, SearchRequest, codec, search
from search import segment as segment_module
from search.codec import index_codec
from search.documents import report_docs
from search.schema import SCHEMA, ReportText
from search.segment import ReportSegmentWriter, SegmentBuilder


def _text_values(reports):
    for report in reports:
        for doc in report_docs(report, "r"):
            for name, value in doc.items():
                if isinstance(SCHEMA[name], ReportText) and value is not None:
                    yield name, value


def test_one_pass_analysis_gives_whoosh_items(pdf_report, html_report, alt_report):
    compared = 0
    for name, value in _text_values([pdf_report, html_report, alt_report]):
        field = SCHEMA[name]
        assert sorted(field.index(value)) == sorted(TEXT.index(field, value)), (name, value[:80])
        compared += 1
    assert compared > 300


def test_one_pass_analysis_terms_and_positions():
    items = {
        t: (freq, weight, v)
        for t, freq, weight, v in SCHEMA["text"].index(
            "See DM-12256 and LDM-503-2; the LDM-503-2 plan for 02C.03.04 tests."
        )
    }
    # Stop words go ("and", "the", "for"); a key also indexes its parents; words are stemmed.
    assert set(items) == {
        b"see",
        b"dm-12256",
        b"ldm-503-2",
        b"ldm-503",
        b"plan",
        b"1.02c.03.04",
        b"test",
    }
    assert items[b"ldm-503-2"][:2] == (2, 2.0)
    assert SCHEMA["text"].format.decode_positions(items[b"ldm-503-2"][2]) == [2, 3]
    assert SCHEMA["text"].format.decode_positions(items[b"ldm-503"][2]) == [2, 3]
    assert SCHEMA["text"].format.decode_positions(items[b"test"][2]) == [6]
    title = dict((t, w) for t, _, w, _ in SCHEMA["title"].index("Science Platform"))
    assert title == {b"scienc": 3.0, b"platform": 3.0}


def test_a_report_with_an_unknown_field_adds_nothing(tmp_path, monkeypatch, pdf_report):
    ix = _new_index(tmp_path / "ix")
    real = segment_module.report_docs

    def with_an_extra_field(report, report_id, **kwargs):
        docs = list(real(report, report_id, **kwargs))
        return [*docs[:-1], {**docs[-1], "colour": "blue"}]

    monkeypatch.setattr(segment_module, "report_docs", with_an_extra_field)
    writer = ReportSegmentWriter(ix)
    with pytest.raises(ValueError, match="no field named 'colour' in the index schema"):
        writer.add_report(pdf_report, "oct")
    assert writer.docnum == 0
    builder = SegmentBuilder(ix.storage.folder, ix.indexname)
    with pytest.raises(ValueError, match="colour"):
        builder.add(pdf_report, "oct")
    assert builder.finish() is None
    writer.cancel()


def test_a_builder_failing_half_way_is_discarded_and_goes_on(tmp_path, monkeypatch, pdf_report):
    ix = _new_index(tmp_path / "ix")
    real = segment_module.report_docs

    def with_a_bad_order(report, report_id, **kwargs):
        docs = list(real(report, report_id, **kwargs))
        return [*docs[:-1], {**docs[-1], "order": "last"}]  # a field known, its value not

    builder = SegmentBuilder(ix.storage.folder, ix.indexname)
    with monkeypatch.context() as patch:
        patch.setattr(segment_module, "report_docs", with_a_bad_order)
        with pytest.raises(ValueError):
            builder.add(pdf_report, "bad")
    builder.discard()
    builder.add(pdf_report, "oct")
    built = builder.finish()
    assert built.reports == (("oct", pdf_report.source),)
    writer = ReportSegmentWriter(ix)
    writer.add_segment(built.segment)
    writer.commit()
    with ix.searcher() as searcher:
        assert {d["report"] for d in searcher.all_stored_fields()} == {"oct"}


def _new_index(path):
    path.mkdir()
    return FileStorage(str(path)).create_index(SCHEMA)


def _write_stock(ix, adds, removes=(), optimize=False):
    # Whoosh's own writer with the settings of the index's: W3 codec, one file per part.
    writer = SegmentWriter(ix, codec=index_codec(), compound=False)
    for report_id in removes:
        writer.delete_by_term("report", report_id)
    for report, report_id in adds:
        for doc in report_docs(report, report_id):
            writer.add_document(**doc)
    writer.commit(optimize=optimize)


def _write_fast(ix, adds, removes=(), optimize=False):
    writer = ReportSegmentWriter(ix)
    for report_id in removes:
        writer.delete_by_term("report", report_id)
    for report, report_id in adds:
        writer.add_report(report, report_id)
    writer.commit(optimize=optimize)


def _contents(ix) -> dict:
    """Everything a search can read from an index, through Whoosh's reader."""
    out: dict = {}
    with ix.reader() as reader:
        out["segments"] = [s.doc_count_all() for s in ix._segments()]
        count = reader.doc_count_all()
        out["docs"] = [(n, reader.stored_fields(n), reader.is_deleted(n)) for n in range(count)]
        for fieldname in sorted(SCHEMA.names()):
            field = SCHEMA[fieldname]
            if not field.indexed:
                continue
            out[f"total:{fieldname}"] = reader.field_length(fieldname)
            out[f"lengths:{fieldname}"] = [
                reader.doc_field_length(n, fieldname) for n in range(reader.doc_count_all())
            ]
            if field.column_type and reader.has_column(fieldname):
                column = reader.column_reader(fieldname)
                out[f"column:{fieldname}"] = [column[n] for n in range(reader.doc_count_all())]
            for text in reader.lexicon(fieldname):
                info = reader.term_info(fieldname, text)
                matcher = reader.postings(fieldname, text)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                out[f"term:{fieldname}:{text!r}"] = (
                    info.weight(),
                    info.doc_frequency(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                    info.min_id(),
                    info.max_id(),
                    postings,
                )
    # Byte for byte: the terms table (term infos with their offsets) and the postings,
    # each a file of its own (segments are not compound: readers map each file).
    for n, segment in enumerate(ix._segments()):
        assert not segment.is_compound()
        for ext in (W3Codec.TERMS_EXT, W3Codec.POSTS_EXT):
            with ix.storage.open_file(segment.make_filename(ext)) as f:
                out[f"file:{n}{ext}"] = f.read()
    return out


@pytest.fixture
def three_reports(pdf_report, html_report, alt_report):
    return [
        (pdf_report, "oct-pdf"),
        (html_report, "oct-html"),
        (alt_report, "oct-a4"),
    ]


def test_segment_writer_writes_what_whoosh_writes(tmp_path, three_reports):
    stock, fast = _new_index(tmp_path / "stock"), _new_index(tmp_path / "fast")
    _write_stock(stock, three_reports)
    _write_fast(fast, three_reports)
    expected, got = _contents(stock), _contents(fast)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key
    # The real report's identifiers are there, in every rendering.
    assert got["term:refs:b'dm-12256'"][1] == 3
    assert got["term:milestone_id:b'dlp-472'"][1] == 3
    assert got["segments"] == [sum(1 for r, i in three_reports for _ in report_docs(r, i))]
    assert len(got[f"file:0{W3Codec.POSTS_EXT}"]) > 100_000


def test_segment_writer_deletes_and_merges_as_whoosh_does(tmp_path, three_reports):
    stock, fast = _new_index(tmp_path / "stock"), _new_index(tmp_path / "fast")
    first, second = three_reports[:2], three_reports[2:]
    for ix, write in ((stock, _write_stock), (fast, _write_fast)):
        write(ix, first)
        write(ix, second, removes=["oct-pdf"], optimize=True)
    expected, got = _contents(stock), _contents(fast)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key
    # The second commit merged the first segment: one segment, the deleted report gone.
    assert len(got["segments"]) == 1
    assert all(fields["report"] != "oct-pdf" for _, fields, _ in got["docs"])


def _write_built(ix, adds):
    """One segment per report, each written by a SegmentBuilder (as a worker does)."""
    builder = pickle.loads(pickle.dumps(SegmentBuilder(ix.storage.folder, ix.indexname)))
    writer = ReportSegmentWriter(ix)
    for report, report_id in adds:
        builder.add(report, report_id)
        built = builder.finish()
        assert built.reports == ((report_id, report.source),)
        writer.add_segment(built.segment)
    assert builder.finish() is None
    writer.commit()


def test_built_segments_hold_what_one_segment_holds(tmp_path, three_reports):
    one, several = _new_index(tmp_path / "one"), _new_index(tmp_path / "several")
    _write_stock(one, three_reports)
    _write_built(several, three_reports)
    expected, got = _contents(one), _contents(several)
    # One segment per report, in the order they were added...
    sizes = [sum(1 for _ in report_docs(r, i)) for r, i in three_reports]
    assert got["segments"] == sizes
    assert expected["segments"] == [sum(sizes)]
    # ...and, read across them, the same documents, terms, postings and statistics.
    same = [key for key in expected if key != "segments" and not key.startswith("file:")]
    assert len(same) > 1000
    for key in same:
        assert got[key] == expected[key], key


def test_a_built_segment_is_the_segment_the_writer_writes(tmp_path, three_reports):
    written, built = _new_index(tmp_path / "written"), _new_index(tmp_path / "built")
    report, report_id = three_reports[1]
    _write_fast(written, [(report, report_id)])
    _write_built(built, [(report, report_id)])
    expected, got = _contents(written), _contents(built)
    assert got == expected
    assert got["term:milestone_id:b'dlp-472'"][1] == 1


def test_built_segments_replace_earlier_versions(tmp_path, pdf_report, html_report):
    index = Index.open(tmp_path / "ix", create=True)
    index.add_report(pdf_report, "oct")
    with index.writer() as writer:
        builder = writer.segment_builder()
        builder.add(html_report, "oct")
        builder.add(pdf_report, "other")
        writer.add_built(builder.finish())
    hits = search(index, SearchRequest(q="DLP-472", kind=["milestone"])).hits
    assert sorted((hit.report, hit.source) for hit in hits) == [
        ("oct", html_report.source),
        ("other", pdf_report.source),
    ]
    files = index.report_files()
    assert {files[html_report.source].id, files[pdf_report.source].id} == {"oct", "other"}


def test_a_report_built_twice_in_one_write_is_refused(tmp_path, pdf_report):
    index = Index.open(tmp_path / "ix", create=True)
    with pytest.raises(SearchError, match="report oct added twice in one write"):
        with index.writer() as writer:
            writer.add_report(pdf_report, "oct")
            builder = writer.segment_builder()
            builder.add(pdf_report, "oct")
            writer.add_built(builder.finish())
    assert index.report_files() == {}


def _arrays_against_blocks(ix) -> int:
    """Check every term of every segment's arrays file against Whoosh's posting blocks.

    Document numbers, weights and (for the fields keeping them) each
    posting's positions; returns the number of terms checked.
    """
    checked = 0
    with ix.reader() as reader:
        for segment_reader, _ in reader.leaf_readers():
            assert not segment_reader.has_deletions()
            mapped = codec.segment_arrays(segment_reader)
            terms = 0
            for fieldname in segment_reader.indexed_field_names():
                positional = SCHEMA[fieldname].format.supports("positions")
                for text in segment_reader.lexicon(fieldname):
                    i = mapped.find(fieldname, text)
                    assert i >= 0, (fieldname, text)
                    matcher = segment_reader.postings(fieldname, text)
                    ids, weights, positions = [], [], []
                    while matcher.is_active():
                        ids.append(matcher.id())
                        weights.append(matcher.weight())
                        if positional:
                            positions.append(list(matcher.value_as("positions")))
                        matcher.next()
                    start, end = int(mapped._starts[i]), int(mapped._starts[i + 1])
                    assert mapped._ids[start:end].tolist() == ids, (fieldname, text)
                    assert mapped._weights[start:end].tolist() == weights, (fieldname, text)
                    runs = mapped._pos_starts[start : end + 1].tolist()
                    if positional:
                        assert [
                            mapped._positions[a:b].tolist()
                            for a, b in zip(runs[:-1], runs[1:], strict=True)
                        ] == positions, (fieldname, text)
                    else:
                        assert len(set(runs)) == 1, (fieldname, text)
                    terms += 1
            assert terms == mapped._count
            checked += terms
    return checked


def test_arrays_files_hold_what_the_posting_blocks_hold(tmp_path, three_reports):
    # Segments written by the writer (merging one with deletions into the next)...
    merged = _new_index(tmp_path / "merged")
    _write_fast(merged, three_reports[:2])
    _write_fast(merged, three_reports[2:], removes=["oct-pdf"], optimize=True)
    assert _arrays_against_blocks(merged) > 1000
    # ...and by a SegmentBuilder, as each parsing worker writes them.
    built = _new_index(tmp_path / "built")
    _write_built(built, three_reports)
    assert _arrays_against_blocks(built) > 3000


def test_text_of_stop_words_and_codes_only_indexes_as_whoosh_does(tmp_path):
    # Values that index nothing (stop words only), codes and keys with their ancestors or
    # parents at the same position, a term repeated in a value, a title seen twice.
    report = {
        "doc_id": "r#1",
        "kind": "section",
        "report": "r",
        "order": 0,
        "text": "the and of a",
        "title": "DM-12256 DM-12256 LDM-503-2 LDM-503",
        "wbs": "see 02C.03.04, not 99",
        "wbs_title": "1.02C.03.04 Science Platform Science",
        "refs": "LDM-503-2 DM-1 DM-1",
    }
    other = {**report, "doc_id": "r#2", "order": 1, "text": "Science platform of the plans"}
    stock, fast = _new_index(tmp_path / "stock"), _new_index(tmp_path / "fast")
    writer = SegmentWriter(stock, codec=index_codec(), compound=False)
    for doc in (report, other):
        writer.add_document(**doc)
    writer.commit()
    writer = ReportSegmentWriter(fast)
    writer.add_docs(
        lambda pool, pdw, docnum: segment_module.index_docs([report, other], pool, pdw, docnum)
    )
    writer.commit()
    expected, got = _contents(stock), _contents(fast)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == expected[key], key
    assert _arrays_against_blocks(fast) > 10


def _report_labels(ix) -> list[list]:
    """Each segment's report labels from its arrays file, checked against its stored fields."""
    from search.codec import report_labels
    from search.facets import stored_labels

    out = []
    with ix.reader() as reader:
        for segment, _ in reader.leaf_readers():
            found = report_labels(segment)
            assert found is not None and found == stored_labels(segment)
            out.append(found)
    return out


def test_arrays_files_keep_the_report_labels_of_written_merged_and_built_segments(
    tmp_path, three_reports
):
    fast, built = _new_index(tmp_path / "fast"), _new_index(tmp_path / "built")
    first, second = three_reports[:2], three_reports[2:]
    _write_fast(fast, first)
    (written,) = _report_labels(fast)
    assert [docnum for docnum, _, _ in written] == [
        n
        for n, doc in enumerate(d for r, i in first for d in report_docs(r, i))
        if doc["kind"] == "report"
    ]
    assert written[0][1] == "2017-10" and written[0][2]["1.02C.03"]
    # Merged by Whoosh, the deleted report's document dropped.
    _write_fast(fast, second, removes=["oct-pdf"], optimize=True)
    (merged,) = _report_labels(fast)
    assert len(merged) == 2 and merged[0][2] == written[1][2]
    _write_built(built, three_reports)
    assert [len(found) for found in _report_labels(built)] == [1, 1, 1]
