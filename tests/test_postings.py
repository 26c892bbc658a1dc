"""The side postings (searchcore.execution.postings) against whoosh's own postings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bbc_articles, seed_article
from test_columns import dated

import searchcore
from searchcore.execution.postings import (_PARTS, STORAGE_TYPES, build_field,
                                           indexed_fields, segment_postings, storage_type)
from searchcore.whoosh_boundary.segments import index_segments, leaf_readers


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
                    stored = storage_type(part, b) if part in STORAGE_TYPES else b.dtype
                    assert np.asarray(a).dtype == stored, (name, part)


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


def test_every_term_is_found_and_its_neighbours_are_not(news_index: searchcore.Index) -> None:
    """``find`` narrows by the first 8 bytes, then compares the few terms sharing them:
    every term of a real field is found at its own id, including the many that share
    their first 8 bytes (``internation...``), and a near miss of each is not."""
    reader, _ = leaf_readers(news_index.searcher())[0]
    fp = segment_postings(reader).field("body")
    lexicon = list(reader.lexicon("body"))
    assert sum(a[:8] == b[:8] for a, b in zip(lexicon, lexicon[1:])) > 10
    known = set(lexicon)
    for i, btext in enumerate(lexicon):
        assert fp.find(btext) == i
        for miss in (btext + b"\x00", btext[:-1], btext + b"~"):
            if miss not in known:
                assert fp.find(miss) == -1, miss


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


def _body_reference(path: Path, btexts: list[bytes]) -> dict[bytes, list]:
    """whoosh's matchers' ranked (docnum, score) for each body term (the reference)."""
    from whoosh import query as wq

    from searchcore.execution.search import rank

    with searchcore.open_index(path) as ix:
        searcher = ix.searcher()
        return {b: rank(searcher, wq.Term("body", b.decode()), None, "relevance", 20,
                        arrays=False)[0] for b in btexts}


def test_a_damaged_posting_list_is_caught_when_read_not_at_open(tmp_path: Path) -> None:
    """Opening checks only the shape of the files (reading every posting list faulted
    the whole memory map in: 1 GB at 1M articles). Each list is checked as it is
    read: damage in the file's tail leaves the words before it served from the file,
    and the damaged word itself is answered from whoosh's postings, never by an
    out-of-range read."""
    from whoosh import query as wq

    from searchcore.execution.search import rank

    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles()))
        gen = ix.path / ix.manifest["generation"]
        reader, _ = leaf_readers(ix.searcher())[0]
        fp = segment_postings(reader).field("body")
        ids = np.argsort([fp.df(i) for i in range(len(fp))])
        last, common = fp.term(len(fp) - 1), fp.term(int(ids[-1]))
        start = int(fp.docoff[len(fp) - 1])
        plist = fp.posoff[int(fp.docoff[int(ids[-2])]):int(fp.docoff[int(ids[-2]) + 1]) + 1]
        damaged_pos, pos_start = fp.term(int(ids[-2])), int(fp.docoff[int(ids[-2])])
    want = _body_reference(tmp_path / "ix", [last, common, damaged_pos])
    docs_file = next(gen.glob("*.spst_body_docs.npy"))
    docs = np.load(docs_file)
    docs[start:] = 10**6                                 # the last term's postings
    np.save(docs_file, docs)
    posoff_file = next(gen.glob("*.spst_body_posoff.npy"))
    posoff = np.load(posoff_file)
    posoff[pos_start + 1] = plist[-1] + 10**6            # one list's positions past the end
    np.save(posoff_file, posoff)
    with searchcore.open_index(tmp_path / "ix") as ix:
        searcher = ix.searcher()
        sp = segment_postings(leaf_readers(searcher)[0][0])
        got = rank(searcher, wq.Term("body", common.decode()), None, "relevance", 20)[0]
        _same_ranking(got, want[common])
        assert sp._converted == {}, "an undamaged list was served from the file"
        got = rank(searcher, wq.Term("body", last.decode()), None, "relevance", 20)[0]
        _same_ranking(got, want[last])
        assert "body" in sp._converted                   # repaired from whoosh's postings
    with searchcore.open_index(tmp_path / "ix") as ix:   # positions checked as they are read
        searcher = ix.searcher()
        sp = segment_postings(leaf_readers(searcher)[0][0])
        phrase = wq.Phrase("body", [common.decode(), damaged_pos.decode()], slop=5)
        got = rank(searcher, phrase, None, "relevance", 50)[0]
        assert "body" in sp._converted
        _same_ranking(got, rank(searcher, phrase, None, "relevance", 50, arrays=False)[0])
        assert got


def test_a_list_out_of_order_is_caught_in_an_or_of_words(tmp_path: Path) -> None:
    """An OR of words checks the order of all its lists in one comparison (not list
    by list). Two postings of one list swapped (their numbers stay in range, so only
    that comparison sees it) must still be caught: the word is answered from
    whoosh's postings, and the OR ranks as whoosh's matchers rank it."""
    from whoosh import query as wq

    from searchcore.execution.search import rank
    from searchcore.scoring.bm25f import CombinedTerm

    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles()))
        gen = ix.path / ix.manifest["generation"]
        reader, _ = leaf_readers(ix.searcher())[0]
        fp = segment_postings(reader).field("body")
        title = segment_postings(reader).field("title")
        # Common body words that are in titles too: each word is two lists.
        both = [i for i in np.argsort([-fp.df(i) for i in range(len(fp))])
                if title.find(fp.term(int(i))) >= 0][:3]
        damaged = int(both[0])
        docs, tf = fp.postings(damaged)
        # Two neighbours of different frequency (swapping equal ones changes nothing).
        j = next(j for j in range(1, len(docs) - 2) if tf[j] != tf[j + 1])
        start = int(fp.docoff[damaged]) + j
        words = [fp.term(int(i)).decode() for i in both]
    docs_file = next(gen.glob("*.spst_body_docs.npy"))
    stored = np.load(docs_file)
    stored[start], stored[start + 1] = stored[start + 1], stored[start]
    np.save(docs_file, stored)
    q = wq.Or([CombinedTerm([wq.Term("title", w, boost=2.0), wq.Term("body", w)]) for w in words])
    with searchcore.open_index(tmp_path / "ix") as ix:
        searcher = ix.searcher()
        want = rank(searcher, q, None, "relevance", None, arrays=False)[0]
        got = rank(searcher, q, None, "relevance", None)[0]
        _same_ranking(got, want)
        assert len(got) > 10
        assert "body" in segment_postings(leaf_readers(searcher)[0][0])._converted


def _same_ranking(got: list, want: list) -> None:
    assert [d for d, _ in got] == [d for d, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-9)


def test_posting_lists_are_read_not_mapped(news_index_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A search's posting lists and display records are read into fresh arrays, so the
    pages it touched do not stay resident while the index is open (mapped, 200
    queries at 1M kept 800 MB of them); the term dictionary stays mapped. In an
    index whose document files are at most postings.MAP_BELOW bytes together (a
    small one, as this) they are mapped all the same, and so is a display record
    file of at most that size."""
    from searchcore.execution import postings
    from searchcore.execution.sidefiles import ReadFile

    def kinds() -> set[type]:
        with searchcore.open_index(news_index_path) as ix:
            for q in ('"prime minister"', "tax OR budget", "government election"):
                assert ix.search(q, limit=10, snippets=0).hits
            fields = [postings.segment_postings(reader).field("body")
                      for reader, _ in leaf_readers(ix.searcher())]
            assert all(type(fp.termoff) is np.ndarray for fp in fields)
            return {type(getattr(fp, part)) for fp in fields
                    for part in ("docs", "tf", "posoff", "pos")}

    import gc

    maps = Path("/proc/self/maps")
    assert kinds() == {np.ndarray}                 # this index's files are small
    if maps.exists():                              # the display records too
        assert ".sdsp_blob.npy" in maps.read_text()
    monkeypatch.setattr(postings, "MAP_BELOW", 0)
    gc.collect()                                   # the closed index's maps go
    assert kinds() == {ReadFile}
    gc.collect()
    if maps.exists():
        assert ".sdsp_blob.npy" not in maps.read_text()


@pytest.mark.parametrize("part, change, says", [
    ("tf", lambda a: np.where(np.arange(len(a)) == len(a) // 2, a + 1, a).astype(a.dtype),
     "documents or frequencies"),
    ("pos", lambda a: np.where(np.arange(len(a)) == len(a) // 3, a + 1, a).astype(a.dtype),
     "positions"),
])
def test_index_check_compares_side_postings_with_whoosh(tmp_path: Path, part: str, change,
                                                        says: str) -> None:
    """Side postings that still fit together but hold another frequency or position
    than whoosh's (a search would trust them) are named by ``index check``: segment,
    field, term."""
    from searchcore.cli.check_cmd import check_index

    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:120])
        good = check_index(ix)
        assert good.ok
        target = next((ix.path / ix.manifest["generation"]).glob(f"*.spst_body_{part}.npy"))
    np.save(target, change(np.load(target)))
    with searchcore.open_index(tmp_path / "ix") as ix:
        report = check_index(ix)
    assert not report.ok
    found = [p for p in report.problems if "side postings of body" in p]
    assert found and says in found[0] and found[0].startswith("segment "), report.problems
    # whoosh's postings were still read once each, to their end
    assert (report.terms, report.postings) == (good.terms, good.postings)


def test_index_check_reads_each_whoosh_term_once(tmp_path: Path) -> None:
    """The check reads whoosh's postings once, for the side comparison and its own
    counts together; without side files it reads them alone. Either way every term
    of every field is counted once, as whoosh's term table lists them."""
    from searchcore.cli.check_cmd import check_index

    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:60])
        with ix.whoosh_index.reader() as reader:
            entries = [(f, info.doc_frequency()) for (f, _), info in reader._terms.items()
                       if f in reader.schema]
        with_side = check_index(ix)
        folder = ix.path / ix.manifest["generation"]
    assert with_side.ok
    assert (with_side.terms, with_side.postings) == (len(entries), sum(n for _, n in entries))
    for path in folder.glob("*.spst_*"):
        path.unlink()
    with searchcore.open_index(tmp_path / "ix") as ix:
        alone = check_index(ix)
    assert alone.ok and (alone.terms, alone.postings) == (with_side.terms, with_side.postings)


def test_storage_types_hold_their_values_exactly() -> None:
    """Each narrowed part is stored in the narrowest type that holds every value
    exactly, else its wide type: a frequency only when whole (a boosted field's
    are fractions), nothing negative."""
    def chosen(part: str, values: list) -> np.dtype:
        return storage_type(part, np.array(values))

    assert chosen("tf", [1.0, 255.0]) == np.uint8
    assert chosen("tf", [1.0, 256.0]) == np.uint16
    assert chosen("tf", [1.0, 65536.0]) == np.float32
    assert chosen("tf", [1.0, 2.5]) == np.float32
    assert chosen("tf", [np.inf]) == np.float32
    assert chosen("pos", [0, 65535]) == np.uint16
    assert chosen("pos", [0, 65536]) == np.int32
    assert chosen("pos", [-1, 3]) == np.int32
    assert chosen("posoff", [0, 2**32 - 1]) == np.uint32
    assert chosen("posoff", [0, 2**32]) == np.int64


def test_fractional_and_large_values_survive_storage(tmp_path: Path) -> None:
    """Values that do not fit a narrow type are written wide and read back equal
    (frequencies as float32, offsets as int64, positions as int32), whatever type
    each file chose."""
    from searchcore.execution.postings import FieldPostings, write_field
    from searchcore.execution.sidefiles import load

    fp = FieldPostings(terms=np.frombuffer(b"ab", np.uint8), termoff=np.array([0, 1, 2]),
                       docoff=np.array([0, 2, 3]), docs=np.array([0, 4, 2], np.int32),
                       tf=np.array([1.5, 300.0, 2.0], np.float32),
                       posoff=np.array([0, 1, 2, 4]), pos=np.array([7, 70000, 1, 3], np.int32))
    write_field(tmp_path, "seg", "body", fp)
    parts = {p: load(tmp_path / f"seg.spst_body_{p}.npy") for p in _PARTS}
    assert parts["tf"].dtype == np.float32 and parts["pos"].dtype == np.int32
    assert parts["posoff"].dtype == np.uint32
    back = FieldPostings(**parts, doc_count=5)
    docs, tf = back.postings(0)
    assert docs.tolist() == [0, 4] and tf.dtype == np.float32 and tf.tolist() == [1.5, 300.0]
    flat, counts = back.positions_among(1, np.array([0]))
    assert flat.dtype == np.int32 and flat.tolist() == [1, 3] and counts.tolist() == [2]
    flat, counts = back.positions_among(0, np.array([0, 1]))
    assert flat.tolist() == [7, 70000] and counts.tolist() == [1, 1]


def test_lists_announced_before_reading_read_the_same(news_index_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists read from files are announced to the kernel first (``will_need``, so cold
    reads overlap): an announcement changes nothing of what is read, and one at
    the edges of a file (an empty list, the last list) is accepted."""
    from searchcore.execution import postings
    from searchcore.execution.sidefiles import ReadFile

    monkeypatch.setattr(postings, "MAP_BELOW", 0)         # read from files, not mapped
    with searchcore.open_index(news_index_path) as ix:
        reader, _ = leaf_readers(ix.searcher())[0]
        fp = segment_postings(reader).field("body")
        assert type(fp.docs) is ReadFile and type(fp.tf) is ReadFile
        for i in (0, len(fp) // 2, len(fp) - 1):
            before = fp.postings(i)
            fp.will_need(i)
            after = fp.postings(i)
            assert all(np.array_equal(a, b) for a, b in zip(before, after))
        fp.docs.will_need(len(fp.docs), len(fp.docs))          # empty: nothing asked
        fp.docs.will_need(0, len(fp.docs))                      # the whole file
        want = [(h.id, h.score) for h in ix.search("tax OR budget OR election",
                                                  snippets=0).hits]
    monkeypatch.setattr(postings, "MAP_BELOW", 16 << 20)
    with searchcore.open_index(news_index_path) as ix:
        got = [(h.id, h.score) for h in ix.search("tax OR budget OR election", snippets=0).hits]
    assert got == want and want
