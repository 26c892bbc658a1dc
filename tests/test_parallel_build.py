"""The fast, parallel build gives exactly the index whoosh's own writer gives.

For the same articles in the same order, ``build_index`` (FastWriter, 1 or 2 forked
workers) and a build through the stock whoosh writer must agree on
every term's postings and statistics, every stored field and field length, and on
the ids, order and scores of ~30 queries.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest

import searchcore
from searchcore.article import normalize_article, to_document
from searchcore.index import build as build_mod
from searchcore.index.build import build_index
from searchcore.index.ingest import iter_articles

from conftest import BBC_FILE, SEED_FILE

QUERIES = [
    "economy", "government", "film", "music", "oil", "bank", "shares", "profit",
    "economy growth", "minister election", "oil OR gas", "film OR music OR game",
    "bank -interest", '"prime minister"', '"interest rates"', '"stock exchange"',
    "title:profit", "title:film", "source:reuters", "category:business",
    "category:sport OR category:tech", "mobile phone", "world cup", "chelsea",
    "market prices rise", "company sales", "record", "new year", "bbc", "us",
    "drone* OR missil*",
]


def _jsonl_articles(path: Path, limit: int | None = None) -> list:
    out = []
    with open(path, "rb") as fh:
        for line in itertools.islice(fh, limit):
            if line.strip():
                record = orjson.loads(line)
                if record.get("title") or record.get("body"):
                    out.append(normalize_article(record))
    return out


def _write_jsonl(path: Path, articles: list) -> Path:
    with open(path, "wb") as fh:
        for article in articles:
            fh.write(orjson.dumps(article.to_dict()) + b"\n")
    return path


def _stock_build(path: Path, articles: list) -> Path:
    """The reference: whoosh's own writer, one document at a time."""
    with searchcore.create_index(path) as ix:
        writer = ix.whoosh_index.writer()
        for article in articles:
            writer.update_document(**to_document(normalize_article(article)))
        writer.commit()
    return path


def _postings(reader, fieldname, text) -> list:
    m = reader.postings(fieldname, text)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight(), m.value()))
        m.next()
    return out


def assert_same_index(a: Path, b: Path, queries: list[str] = QUERIES) -> None:
    with searchcore.open_index(a) as ia, searchcore.open_index(b) as ib:
        ra, rb = ia.searcher().reader(), ib.searcher().reader()
        assert ra.doc_count() == rb.doc_count() and ra.doc_count_all() == rb.doc_count_all()
        terms = list(ra.all_terms())
        assert terms == list(rb.all_terms())
        assert len(terms) > 1000
        for fieldname, text in terms:
            ta, tb = ra.term_info(fieldname, text), rb.term_info(fieldname, text)
            assert (ta.weight(), ta.doc_frequency(), ta.min_length(), ta.max_length(),
                    ta.max_weight(), ta.min_id(), ta.max_id()) == \
                   (tb.weight(), tb.doc_frequency(), tb.min_length(), tb.max_length(),
                    tb.max_weight(), tb.min_id(), tb.max_id()), (fieldname, text)
            assert _postings(ra, fieldname, text) == _postings(rb, fieldname, text)
        for fieldname in ("title", "body", "source", "category"):
            assert ra.field_length(fieldname) == rb.field_length(fieldname)
        for docnum in range(ra.doc_count_all()):
            assert ra.stored_fields(docnum) == rb.stored_fields(docnum)
            for fieldname in ("title", "body", "source", "category"):
                assert ra.doc_field_length(docnum, fieldname) == \
                    rb.doc_field_length(docnum, fieldname)
        nonempty = 0
        for query in queries:
            ha = ia.search(query, limit=50, match="any", snippets=0)
            hb = ib.search(query, limit=50, match="any", snippets=0)
            assert ha.total == hb.total, query
            assert [h.id for h in ha.hits] == [h.id for h in hb.hits], query
            for x, y in zip(ha.hits, hb.hits):
                assert x.score == pytest.approx(y.score, abs=1e-9), query
            nonempty += bool(ha.hits)
        assert nonempty >= len(queries) * 2 // 3


@pytest.fixture(scope="module")
def bbc_plus_seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The BBC fixture plus the seed article, as one JSONL file and as articles."""
    folder = tmp_path_factory.mktemp("corpus")
    articles = _jsonl_articles(BBC_FILE)
    seed = list(iter_articles([SEED_FILE.parent]))
    articles += seed
    return _write_jsonl(folder / "bbc.jsonl", articles), articles


@pytest.fixture(scope="module")
def stock_bbc(tmp_path_factory: pytest.TempPathFactory, bbc_plus_seed) -> Path:
    return _stock_build(tmp_path_factory.mktemp("stock") / "index", bbc_plus_seed[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_fast_build_equals_stock_writer(tmp_path: Path, bbc_plus_seed, stock_bbc: Path,
                                        workers: int) -> None:
    source, articles = bbc_plus_seed
    summary = build_index(source, tmp_path / "fast", workers=workers)
    assert summary.indexed == len(articles)
    with searchcore.open_index(tmp_path / "fast") as ix:
        assert len(ix.whoosh_index._segments()) == workers
    assert_same_index(stock_bbc, tmp_path / "fast")


def test_several_batches_equal_one(tmp_path: Path, bbc_plus_seed, stock_bbc: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches (many segments, several rounds of workers) change nothing."""
    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 70)
    build_index(bbc_plus_seed[0], tmp_path / "fast", workers=2)
    with searchcore.open_index(tmp_path / "fast") as ix:
        assert len(ix.whoosh_index._segments()) >= 5
    assert_same_index(stock_bbc, tmp_path / "fast")


@pytest.mark.slow
def test_reuters_fast_equals_stock(tmp_path: Path, shared_data: Path) -> None:
    """Reuters stories (real bodies, dates, categories): 2 workers equal the stock
    writer (one worker is compared on the BBC set above)."""
    articles = _jsonl_articles(shared_data / "reuters21578" / "docs.jsonl", 1500)
    source = _write_jsonl(tmp_path / "reuters.jsonl", articles)
    stock = _stock_build(tmp_path / "stock", articles)
    queries = QUERIES + ["cocoa", "wheat OR corn", '"oil prices"', "title:crude",
                         "opec output", "dollar -yen", "trade deficit"]
    build_index(source, tmp_path / "fast", workers=2)
    assert_same_index(stock, tmp_path / "fast", queries)


def test_library_bulk_add_equals_stock_writer(tmp_path: Path, bbc_plus_seed, stock_bbc: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``Index.add`` of a big batch (bulk writer, replacing by id) equals the stock writer."""
    from searchcore import engine

    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 1)
    articles = bbc_plus_seed[1]
    with searchcore.create_index(tmp_path / "lib") as ix:
        # First a stale copy of half the articles, then the whole batch replacing them.
        ix.add([dict(normalize_article(a).to_dict(), body="stale text") for a in articles[::2]])
        ix.add(articles)
        assert len(ix) == len({normalize_article(a).id for a in articles})
        assert ix.search("stale").total == 0
    with searchcore.create_index(tmp_path / "once") as ix:
        ix.add(articles)
    assert_same_index(stock_bbc, tmp_path / "once")
