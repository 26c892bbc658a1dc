"""Export, scan and the search cursor on real indexes.

The whole BBC fixture exported equals the stored articles as normalised from the
source file; a walk with ``next_cursor`` returns exactly the hits of one big page
in the same order, for every sort; the CLI streams JSON Lines and CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import searchcore
from searchcore.article import normalize_article
from searchcore.cli.main import cli
from searchcore.news.export import ARTICLE_FIELDS, CursorError, ExportError
from tests.conftest import bbc_articles, seed_article

SAMPLE = Path(searchcore.__file__).parent / "sample" / "reuters-sample.jsonl"
SORTS = ["relevance", "newest", "oldest"]
QUERIES = ["said", "oil OR market", '"oil prices"', "*", "-oil", "title:(film OR music)",
           "zzzunknownword"]


def expected_articles() -> dict[str, dict]:
    """The fixture's articles as ``show --json`` prints them, from the source records."""
    articles = [normalize_article(r) for r in bbc_articles() + [seed_article()]]
    return {a.id: orjson.loads(orjson.dumps(a.to_dict())) for a in articles}


def test_export_of_the_whole_index_equals_the_stored_articles(news_index_path) -> None:
    result = CliRunner().invoke(cli, ["--index", str(news_index_path), "export", "*", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    exported = [orjson.loads(line) for line in result.stdout.splitlines()]
    expected = expected_articles()
    assert len(exported) == len(expected)
    assert {a["id"]: a for a in exported} == expected
    assert all(list(a) == list(ARTICLE_FIELDS) for a in exported)


def test_scan_yields_every_match_in_search_order(news_index) -> None:
    for sort in SORTS:
        for query in QUERIES:
            total = news_index.search(query, limit=1).total
            page = news_index.search(query, limit=max(total, 1), sort=sort, snippets=0)
            scanned = list(news_index.scan(query, sort=sort, fields=["id", "title"]))
            assert [a["id"] for a in scanned] == [h.id for h in page.hits], (sort, query)
            assert all(set(a) == {"id", "title"} for a in scanned)


def test_scan_applies_the_filters(news_index) -> None:
    sport = list(news_index.scan("said", category="sport", fields="id,category"))
    assert sport and all("sport" in a["category"] for a in sport)
    assert len(sport) == news_index.search("said", category="sport").total


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("query", ["said", "*", "oil OR market", "-oil"])
def test_a_cursor_walk_equals_one_big_page(news_index, sort, query) -> None:
    total = news_index.search(query, limit=1).total
    everything = [h.id for h in news_index.search(query, limit=total, sort=sort, snippets=0).hits]
    walked, ranks, cursor = [], [], None
    while True:
        res = news_index.search(query, limit=23, sort=sort, after=cursor, snippets=0)
        assert res.total == total
        walked += [h.id for h in res.hits]
        ranks += [h.rank for h in res.hits]
        cursor = res.next_cursor
        if cursor is None:
            break
        assert res.to_dict()["next_cursor"] == cursor
    assert walked == everything
    assert ranks == list(range(1, total + 1))


def test_cursor_walk_on_the_dated_sample_with_ties(tmp_path) -> None:
    records = [orjson.loads(x) for x in SAMPLE.read_bytes().splitlines()]
    for r in records[::3]:
        r["published"] = "1987-03-01T00:00:00Z"         # many ties on the sort value
    for r in records[1::7]:
        r.pop("published", None)                       # and undated ones
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(records)
        for sort in SORTS:
            for query in ["*", "oil", "said OR tonnes"]:
                total = ix.search(query).total
                full = [h.id for h in ix.search(query, limit=total, sort=sort, snippets=0).hits]
                walked, cursor = [], None
                while True:
                    res = ix.search(query, limit=17, sort=sort, after=cursor, snippets=0)
                    walked += [h.id for h in res.hits]
                    if (cursor := res.next_cursor) is None:
                        break
                assert walked == full, (sort, query)


def test_a_cursor_survives_additions_between_pages(tmp_path) -> None:
    path = tmp_path / "ix"
    records = [orjson.loads(x) for x in SAMPLE.read_bytes().splitlines()]
    with searchcore.create_index(path) as ix:
        ix.add(records[:200])
        first = ix.search("*", limit=50, sort="oldest")
        ix.add([dict(r, published="1980-01-01") for r in records[200:]])  # sort before the cursor
        rest, cursor = [], first.next_cursor
        while cursor:
            res = ix.search("*", limit=50, sort="oldest", after=cursor)
            rest += [h.id for h in res.hits]
            cursor = res.next_cursor
    seen = [h.id for h in first.hits] + rest
    assert len(seen) == len(set(seen)) == 200
    assert set(seen) == {str(r["id"]) for r in records[:200]}


def test_bad_cursors_are_clear_errors(news_index) -> None:
    cursor = news_index.search("said", limit=5).next_cursor
    assert cursor
    with pytest.raises(CursorError, match="sort='relevance'"):
        news_index.search("said", sort="newest", after=cursor)
    with pytest.raises(CursorError, match="not a searchcore cursor"):
        news_index.search("said", after="garbage!")
    with pytest.raises(searchcore.SearchcoreError, match="page"):
        news_index.search("said", after=cursor, page=2)
    assert news_index.search("said", limit=10000).next_cursor is None


def test_unknown_fields_and_sorts_are_clear_errors(news_index) -> None:
    with pytest.raises(ExportError, match="'colour'"):
        list(news_index.scan("said", fields="id,colour"))
    with pytest.raises(ExportError, match="sort"):
        list(news_index.scan("said", sort="random"))


def test_cli_export_csv_with_fields_and_sort(tmp_path) -> None:
    path = tmp_path / "ix"
    records = [orjson.loads(x) for x in SAMPLE.read_bytes().splitlines()]
    with searchcore.create_index(path) as ix:
        ix.add(records)
        oldest = [a["id"] for a in ix.scan("oil", sort="oldest", fields="id")]
    result = CliRunner().invoke(cli, ["--index", str(path), "export", "oil", "--format", "csv",
                                      "--sort", "oldest", "--fields", "id,published,category"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["id", "published", "category"]
    assert [r[0] for r in rows[1:]] == oldest
    by_id = {str(r["id"]): r for r in records}
    for row in rows[1:]:
        assert row[2] == "; ".join(by_id[row[0]].get("category") or [])
        assert row[1].startswith(by_id[row[0]]["published"][:10])
    assert f"exported {len(oldest)} of {len(oldest)} matching articles" in result.stderr
    bad = CliRunner().invoke(cli, ["--index", str(path), "export", "oil", "--fields", "x"])
    assert bad.exit_code == 1 and "unknown field 'x'" in bad.output


def test_stored_fields_read_in_chunks_equal_whooshs_in_any_order(tmp_path) -> None:
    """Straight from the stored-field files, over several segments and a deletion, in
    document order (one read per run) and shuffled in small chunks (one read each)."""
    import random

    from searchcore.whoosh_boundary.stored_fields import stored_fields_many

    path = tmp_path / "ix"
    records = [orjson.loads(x) for x in SAMPLE.read_bytes().splitlines()]
    with searchcore.create_index(path) as ix:
        ix.add(records[:40])
        ix.add(records[40:])
        ix.delete([str(records[3]["id"])])
    with searchcore.open_index(path) as ix:
        searcher = ix.searcher()
        assert len(searcher.reader().leaf_readers()) >= 2
        docs = list(range(searcher.reader().doc_count_all()))
        expected = [dict(searcher.stored_fields(d)) for d in docs]
        assert list(stored_fields_many(searcher, docs)) == expected
        shuffled = random.Random(7).sample(docs, len(docs))
        assert list(stored_fields_many(searcher, shuffled, chunk=5)) == [expected[d] for d in shuffled]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_in_worker_processes_writes_the_same_bytes(news_index, fmt) -> None:
    import threading

    def encoded(workers: int) -> bytes:
        scan = news_index.scan("said OR film", sort="newest", fields="id,title,published,authors")
        return b"".join(data for _, data in scan.encoded(fmt, workers=workers))

    here = encoded(1)
    assert here and encoded(2) == here                 # forked workers
    release = threading.Event()
    other = threading.Thread(target=release.wait)       # a threaded process: spawned workers
    other.start()
    try:
        assert encoded(2) == here
    finally:
        release.set()
        other.join()
    articles = list(news_index.scan("said OR film", sort="newest",
                                    fields="id,title,published,authors"))
    if fmt == "jsonl":
        assert here.splitlines() == [orjson.dumps(a) for a in articles]
    else:
        rows = list(csv.reader(io.StringIO(here.decode())))
        assert [r[0] for r in rows] == [a["id"] for a in articles]


def test_a_merged_scan_encodes_like_one_index(news_index) -> None:
    """``Scan`` over any iterator of articles (a sharded index's merge) encodes the same
    bytes as the single index's chunked reader."""
    from searchcore.news.export import Scan

    fields = "id,title,category,published"
    for fmt in ("jsonl", "csv"):
        direct = b"".join(d for _, d in news_index.scan("said", fields=fields).encoded(fmt))
        articles = list(news_index.scan("said", fields=fields))
        merged = Scan(iter(articles), len(articles))
        assert b"".join(d for _, d in merged.encoded(fmt)) == direct
