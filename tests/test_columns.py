"""Per-document columns (searchcore.execution.columns) against whoosh's own records.

Every path that writes segments is exercised on a real on-disk index (the bulk
writer, whoosh's writer for small adds, merges, deletes, a parallel build), and the
columns are compared document by document with whoosh's stored fields, length
column and deletions.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import bbc_articles, seed_article
from whoosh import query as wq

import searchcore
from searchcore.execution import columns as colmod
from searchcore.execution.columns import NO_DATE, columns_for, match_docnums, write_extra_column
from searchcore.execution.segment_arrays import field_lengths
from searchcore.whoosh_boundary.segments import index_segments, leaf_readers


def dated(articles: list[dict]) -> list[dict]:
    """BBC articles given dates, languages and extra categories (the sample has none)."""
    out = []
    for i, a in enumerate(articles):
        a = dict(a, id=f"{a.get('id', 'a')}-{i}")
        if i % 3:
            a["published"] = f"20{10 + i % 14:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}T0{i % 10}:15:00Z"
        if i % 4 == 0:
            a["language"] = "en" if i % 8 else "en-GB"
        if i % 5 == 0:
            a["category"] = list(a.get("category") or []) + ["Extra Tag", "z-last"]
        if i % 7 == 0:
            a["source"] = f"Wire {i % 3}"
        out.append(a)
    return out


def assert_columns_match(ix: searchcore.Index) -> None:
    """Every live document's columns equal whoosh's stored fields and lengths."""
    searcher = ix.searcher()
    cols = ix.columns()
    reader = searcher.reader()
    assert cols.doc_count == reader.doc_count_all()
    for docnum in range(cols.doc_count):
        assert cols.deleted[docnum] == reader.is_deleted(docnum)
        if cols.deleted[docnum]:
            continue
        stored = reader.stored_fields(docnum)
        assert cols.source.value(docnum) == (stored.get("source") or None)
        assert cols.language.value(docnum) == (stored.get("language") or None)
        assert cols.category.values(docnum) == tuple(stored.get("category") or ())
        published = stored.get("published")
        if published is None:
            assert cols.published_us[docnum] == NO_DATE and not cols.dated[docnum]
        else:
            expected = published.replace(tzinfo=timezone.utc).timestamp()
            assert cols.published[docnum] == int(expected // 1)
            assert cols.published_us[docnum] == round(expected * 1_000_000)
    for name in ("title", "body", "source", "category"):
        expected = np.concatenate([field_lengths(r, name) for r, _ in leaf_readers(searcher)])
        assert np.array_equal(cols.field_length(name), expected)
    assert np.array_equal(cols.title_len, cols.field_length("title"))


def column_files(ix: searchcore.Index) -> set[str]:
    folder = ix.path / ix.manifest["generation"]
    return {p.name.split(".")[0] for p in folder.glob("*.scol_meta.json")}


def live_segment_ids(ix: searchcore.Index) -> set[str]:
    return {s.segment_id() for s in index_segments(ix.whoosh_index)}


def test_every_write_path_keeps_columns_in_step(tmp_path: Path) -> None:
    articles = dated(bbc_articles())
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles[:150])                      # bulk writer
        ix.add(articles[150:160])                   # whoosh's writer (small batch)
        ix.add([seed_article()])
        assert column_files(ix) == live_segment_ids(ix)
        assert_columns_match(ix)
        for start in range(160, 300, 12):           # many small adds: whoosh merges
            ix.add(articles[start:start + 12])
        ix.add(articles[:120])                      # bulk replace by id: deletions
        ix.delete([articles[200]["id"], "seed"])
        assert ix.delete_by_query("source:wire") > 0
        assert column_files(ix) == live_segment_ids(ix)   # merged-away segments' files gone
        assert_columns_match(ix)
        assert len(ix) == int(ix.columns().live.sum())


def test_many_bulk_adds_merge_and_keep_columns(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from searchcore import engine

    # Small limits so that a few small adds run the same merges as many big ones.
    monkeypatch.setattr(engine, "MAX_SEGMENTS", 4)
    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 30)
    articles = dated(bbc_articles())
    with searchcore.create_index(tmp_path / "ix") as ix:
        for round_ in range(7):                    # > MAX_SEGMENTS bulk segments
            batch = [dict(a, id=f"{a['id']}-r{round_}") for a in articles[:30]]
            ix.add(batch)
        assert len(index_segments(ix.whoosh_index)) <= 4
        assert column_files(ix) == live_segment_ids(ix)
        assert_columns_match(ix)


def test_parallel_build_writes_columns(tmp_path: Path) -> None:
    source = tmp_path / "news.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(a) for a in dated(bbc_articles())))
    searchcore.build_index([source], tmp_path / "ix", workers=2)
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert column_files(ix) == live_segment_ids(ix)
        assert_columns_match(ix)


def test_index_without_column_files_is_computed_then_upgraded(tmp_path: Path) -> None:
    """An index from before the columns: read in memory, written by the next writer."""
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:150])
        gen = ix.path / ix.manifest["generation"]
    for path in gen.glob("*.scol_*"):
        path.unlink()
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert_columns_match(ix)
        assert column_files(ix) == set()            # reading writes nothing
        ix.add([seed_article()])
        assert column_files(ix) == live_segment_ids(ix)
        assert_columns_match(ix)


def test_stale_column_files_are_not_trusted(tmp_path: Path) -> None:
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:150])
        meta = next((ix.path / ix.manifest["generation"]).glob("*.scol_meta.json"))
    record = orjson.loads(meta.read_bytes())
    meta.write_bytes(orjson.dumps(dict(record, docs=record["docs"] + 1)))
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert_columns_match(ix)


def test_columns_are_plain_npy_files_loaded_without_pickle(tmp_path: Path) -> None:
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:150])
        gen = ix.path / ix.manifest["generation"]
    for path in gen.glob("*.scol_*.npy"):
        array = np.load(path, allow_pickle=False)
        assert array.dtype != object


def test_match_docnums_is_every_live_match(news_index: searchcore.Index) -> None:
    searcher = news_index.searcher()
    q = wq.Or([wq.Term("body", "govern"), wq.Term("title", "elect")])
    docs = match_docnums(searcher, q)
    assert docs.dtype == np.int64 and np.all(np.diff(docs) > 0)
    assert set(docs.tolist()) == set(searcher.docs_for_query(q))
    assert len(docs) > 10                   # more than a top 10


def test_story_hook_round_trips(tmp_path: Path) -> None:
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:150])
        ix.add(dated(bbc_articles())[150:160])
        n = ix.columns().doc_count
        assert np.all(ix.columns().extra("storyrow") >= 0)   # every add: story rows (issue 11)
        ids = np.arange(n, dtype=np.int64) // 2
        write_extra_column(ix.whoosh_index, "story", ids)
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert np.array_equal(ix.columns().story, ids)
        with pytest.raises(ValueError):
            write_extra_column(ix.whoosh_index, "story", ids[:-1])


def test_columns_are_cached_per_searcher(news_index: searchcore.Index) -> None:
    assert news_index.columns() is news_index.columns()
    assert columns_for(news_index.searcher()) is news_index.columns()


def test_epoch_conversion_handles_aware_datetimes() -> None:
    naive = datetime(2024, 4, 14, 10, 0, 0, 5)
    aware = naive.replace(tzinfo=timezone.utc)
    assert colmod.epoch_us(naive) == colmod.epoch_us(aware) == int(aware.timestamp()) * 10**6 + 5
    assert colmod.epoch_us(None) == NO_DATE


def test_index_check_verifies_columns(tmp_path: Path) -> None:
    from searchcore.cli.check_cmd import check_index

    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(dated(bbc_articles())[:150])
        assert check_index(ix).ok
        path = next((ix.path / ix.manifest["generation"]).glob("*.scol_source.npy"))
    codes = np.load(path)
    np.save(path, np.where(codes == codes[0], -1, codes[0]).astype(np.int32))
    with searchcore.open_index(tmp_path / "ix") as ix:
        report = check_index(ix)
        assert not report.ok
        assert any("source column differs" in p for p in report.problems)
