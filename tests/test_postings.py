"""The side postings (searchcore.execution.postings) against whoosh's own postings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import bbc_articles, seed_article
from test_columns import dated

import searchcore
from searchcore.execution.postings import (_PARTS, build_field, indexed_fields,
                                           segment_postings)
from searchcore.whoosh_boundary.segments import index_segments, leaf_readers, open_segment_reader


def assert_postings_match_whoosh(ix: searchcore.Index) -> None:
    """Every segment's side arrays (as written) equal a fresh conversion of whoosh's."""
    whoosh_ix = ix.whoosh_index
    for reader, _ in leaf_readers(ix.searcher()):
        sp = segment_postings(reader)
        assert sp._on_disk, "the writer wrote this segment's postings"
        for name in indexed_fields(whoosh_ix.schema):
            got, want = sp.field(name), build_field(reader, name)
            assert got is not None
            for part in _PARTS:
                a, b = getattr(got, part), getattr(want, part)
                assert (a is None) == (b is None), (name, part)
                if a is not None:
                    assert np.array_equal(np.asarray(a), b), (name, part)
                    assert np.asarray(a).dtype == b.dtype, (name, part)


def test_bulk_writer_postings_equal_whoosh(tmp_path: Path) -> None:
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles()) + [seed_article()])      # one FastWriter segment
        assert_postings_match_whoosh(ix)


def test_postings_of_whoosh_written_and_merged_segments(tmp_path: Path) -> None:
    articles = dated(bbc_articles())
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles[:120])
        for start in range(120, 300, 30):
            ix.add(articles[start:start + 30])           # whoosh's writer, merges
        ix.delete([articles[5]["id"]])
        assert len(index_segments(ix.whoosh_index)) > 1
        assert_postings_match_whoosh(ix)


def test_term_lookup_and_prefix_ranges(news_index: searchcore.Index) -> None:
    reader, _ = leaf_readers(news_index.searcher())[0]
    fp = segment_postings(reader).field("body")
    lexicon = list(reader.lexicon("body"))
    assert [fp.term(i) for i in range(len(fp))] == lexicon
    for btext in (lexicon[0], lexicon[len(lexicon) // 2], lexicon[-1]):
        i = fp.find(btext)
        docs, tf = fp.postings(i)
        assert fp.df(i) == reader.doc_frequency("body", btext) == len(docs)
    assert fp.find(b"zzzz-not-a-term") == -1
    lo, hi = fp.prefix_range(b"elect")
    assert [fp.term(i) for i in range(lo, hi)] == list(reader.expand_prefix("body", "elect"))


def test_damaged_side_files_are_ignored_not_trusted(tmp_path: Path) -> None:
    """A side file that does not fit (truncated, wrong type, numbers out of range) is
    ignored: results come from whoosh's records, never an out-of-range read."""
    articles = dated(bbc_articles())
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles)
        want = [(h.id, h.score) for h in ix.search('"prime minister" tax', limit=20).hits]
        gen = ix.path / ix.manifest["generation"]
    docs = next(gen.glob("*.spst_body_docs.npy"))
    np.save(docs, np.full(len(np.load(docs)), 10**6, dtype=np.int32))      # out of range
    pos = next(gen.glob("*.spst_title_pos.npy"))
    pos.write_bytes(b"not a numpy file")
    codes = next(gen.glob("*.scol_source.npy"))
    np.save(codes, np.full(len(np.load(codes)), 99, dtype=np.int32))        # no such value
    with searchcore.open_index(tmp_path / "ix") as ix:
        got = [(h.id, h.score) for h in ix.search('"prime minister" tax', limit=20).hits]
        assert got == want
        cols = ix.columns()
        assert all(cols.source.value(d) in ("BBC News", "Wire 0", "Wire 1", "Wire 2")
                   for d in range(cols.doc_count))
