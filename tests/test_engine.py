"""The library facade on real on-disk indexes: lifecycle, writes, reads, ranking options."""

from datetime import datetime, timezone

import orjson
import pytest

import searchcore
from searchcore import layout
from searchcore.errors import (IndexExistsError, IndexFormatError, IndexNotFoundError,
                               InvalidArticleError, SearchcoreError)
from searchcore.scoring.ranking import RankingConfig, recency_factor


def make(tmp_path, articles, name="ix"):
    ix = searchcore.create_index(tmp_path / name)
    ix.add(articles)
    return ix


ARTICLES = [
    {"id": "a", "title": "Oil prices rise", "body": "Crude oil rose on supply fears.",
     "published": "2024-01-10", "source": "Reuters", "category": "business"},
    {"id": "b", "title": "Oil output cut", "body": "OPEC agreed to cut oil output again.",
     "published": "2024-03-02T10:00:00+02:00", "source": "BBC News", "category": ["business", "world"]},
    {"id": "c", "title": "Football results", "body": "The oil-rich club won the league.",
     "published": "2023-05-20", "source": "BBC Sport", "category": "sport"},
    {"id": "d", "title": "Undated oil story", "body": "Oil, oil and more oil.", "source": "Reuters"},
]


# -- lifecycle -------------------------------------------------------------------------
def test_create_writes_a_manifest_and_open_reads_it(tmp_path):
    make(tmp_path, ARTICLES).close()
    manifest = orjson.loads((tmp_path / "ix" / "searchcore.json").read_bytes())
    assert manifest["format"] == "searchcore-index"
    assert manifest["format_version"] == layout.FORMAT_VERSION
    assert manifest["language"] == "english" and manifest["documents"] == 4
    assert manifest["analyzer"]["stem"] == "snowball"
    with searchcore.open_index(tmp_path / "ix") as ix:
        assert len(ix) == 4 and ix.language == "english"


def test_create_refuses_an_existing_index(tmp_path):
    make(tmp_path, ARTICLES).close()
    with pytest.raises(IndexExistsError, match="already exists"):
        searchcore.create_index(tmp_path / "ix")


def test_open_missing_index_says_how_to_create_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="searchcore index build"):
        searchcore.open_index(tmp_path / "nothing")


def test_open_foreign_directory_is_refused(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexFormatError, match="not a searchcore index"):
        searchcore.open_index(tmp_path / "photos")


def test_open_too_new_index_says_upgrade(tmp_path):
    make(tmp_path, ARTICLES).close()
    mpath = tmp_path / "ix" / "searchcore.json"
    manifest = orjson.loads(mpath.read_bytes())
    mpath.write_bytes(orjson.dumps(manifest | {"format_version": layout.FORMAT_VERSION + 1}))
    with pytest.raises(IndexFormatError, match="upgrade searchcore"):
        searchcore.open_index(tmp_path / "ix")


def test_open_damaged_manifest_says_rebuild(tmp_path):
    make(tmp_path, ARTICLES).close()
    (tmp_path / "ix" / "searchcore.json").write_text("{not json")
    with pytest.raises(IndexFormatError, match="rebuild"):
        searchcore.open_index(tmp_path / "ix")


def test_all_errors_share_one_root():
    for name in searchcore.__all__:
        obj = getattr(searchcore, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, SearchcoreError), name


def test_public_api_is_pinned():
    assert sorted(searchcore.__all__) == sorted([
        "Article", "Hit", "Index", "IndexCorruptError", "IndexExistsError", "IndexFormatError", "IndexLockedError",
        "IndexNotFoundError", "InvalidArticleError", "QuerySyntaxError", "RankingConfig",
        "Results", "SearchcoreError", "Snippet", "SourceError", "build_index", "create_index",
        "open_index", "__version__"])


# -- writes ----------------------------------------------------------------------------
def test_add_replaces_by_id_and_get_returns_the_article(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        ix.add([{"id": "a", "title": "Oil prices fall", "body": "Crude fell."}])
        assert len(ix) == 4
        art = ix.get("a")
        assert art.title == "Oil prices fall" and art.published is None
        assert ix.get("b").published == datetime(2024, 3, 2, 8, 0, tzinfo=timezone.utc)
        assert ix.get("b").category == ["business", "world"]
        assert ix.get("missing") is None


def test_a_bad_record_writes_nothing(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        with pytest.raises(InvalidArticleError, match=r"article #2: no title and no body"):
            ix.add([{"id": "e", "title": "New"}, {"id": "f", "title": "  ", "body": ""}])
        assert ix.get("e") is None and len(ix) == 4


def test_absurd_date_is_refused_with_the_field_named(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        with pytest.raises(InvalidArticleError, match=r"'published'.*before 1800"):
            ix.add([{"id": "e", "title": "Old", "published": "0001-01-01"}])


def test_id_is_derived_from_content_when_missing(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        ix.add([{"title": "Same", "body": "text"}, {"title": "Same", "body": "text"}])
        assert len(ix) == 5


def test_delete_by_id_and_by_query_updates_the_manifest(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        assert ix.delete(["a", "zzz"]) == 1
        assert ix.delete_by_query("football") == 1
        assert {h.id for h in ix.search("oil").hits} == {"b", "d"}
        assert ix.manifest["documents"] == 2


def test_stats(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        stats = ix.stats()
    assert stats["documents"] == 4 and stats["language"] == "english"
    assert stats["sources"] == {"Reuters": 2, "BBC News": 1, "BBC Sport": 1}
    assert stats["date_range"] == ["2023-05-20T00:00:00+00:00", "2024-03-02T08:00:00+00:00"]
    assert stats["terms"]["body"] > 5 and stats["size_bytes"] > 0


# -- reads -----------------------------------------------------------------------------
def test_sort_by_date(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        assert [h.id for h in ix.search("oil", sort="newest").hits][:3] == ["b", "a", "c"]
        assert [h.id for h in ix.search("oil", sort="oldest").hits][:3] == ["c", "a", "b"]
        assert all(h.score is None for h in ix.search("oil", sort="newest").hits)


def test_filters_narrow_without_changing_scores(tmp_path):
    with make(tmp_path, ARTICLES) as ix:
        full = {h.id: h.score for h in ix.search("oil").hits}
        narrowed = ix.search("oil", source="reuters")
        assert {h.id for h in narrowed.hits} == {"a", "d"}
        assert all(h.score == full[h.id] for h in narrowed.hits)
        assert {h.id for h in ix.search("oil", source="BBC News").hits} == {"b"}
        assert {h.id for h in ix.search("oil", category="world").hits} == {"b"}
        assert {h.id for h in ix.search("oil", since="2024-01-01").hits} == {"a", "b"}
        assert {h.id for h in ix.search("oil", until="2023-12-31").hits} == {"c"}
        assert ix.search("oil", since="2030-01-01").total == 0


def test_pagination_and_total(news_index):
    first = news_index.search("said", limit=5)
    second = news_index.search("said", limit=5, page=2)
    assert first.total == second.total > 10
    assert first.pages == -(-first.total // 5)
    assert [h.rank for h in second.hits] == [6, 7, 8, 9, 10]
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_seed_acceptance_examples(news_index):
    assert news_index.search("missile").hits[0].id == "seed"
    assert news_index.search("title:israel").hits[0].id == "seed"
    assert "seed" not in {h.id for h in news_index.search("missile", until="2024-03-31").hits}
    snippet = news_index.search("missile").hits[0].snippets[0]
    assert any(snippet.text[s:e].lower().startswith("missile") for s, e in snippet.spans)


def test_recency_boost_prefers_newer_articles(tmp_path):
    same = "Oil prices moved."
    with make(tmp_path, [{"id": "old", "title": "x", "body": same, "published": "2020-01-01"},
                         {"id": "new", "title": "y", "body": same, "published": "2024-06-01"}]) as ix:
        plain = ix.search("oil")
        assert plain.hits[0].score == plain.hits[1].score
        boosted = ix.search("oil", ranking=RankingConfig(recency_half_life_days=30),
                            now=datetime(2024, 6, 2, tzinfo=timezone.utc))
        assert [h.id for h in boosted.hits] == ["new", "old"]
        assert boosted.hits[0].score < plain.hits[0].score  # factor in [1-w, 1]


def test_recency_factor_halves_the_boost_each_half_life():
    assert recency_factor(0, 10, 0.5) == 1.0
    assert recency_factor(10, 10, 0.5) == pytest.approx(0.75)
    assert recency_factor(1e9, 10, 0.5) == pytest.approx(0.5)


def test_bad_search_options_are_clear_errors(news_index):
    with pytest.raises(SearchcoreError, match="sort must be one of"):
        news_index.search("oil", sort="random")
    with pytest.raises(SearchcoreError, match="limit and page"):
        news_index.search("oil", page=0)
    with pytest.raises(searchcore.QuerySyntaxError, match="since"):
        news_index.search("oil", since="not a date")


def test_results_to_dict_is_orjson_ready(news_index):
    data = orjson.loads(orjson.dumps(news_index.search("missile").to_dict()))
    assert data["total"] == 1 and data["query"] == "missile"
    hit = data["hits"][0]
    assert set(hit) >= {"id", "score", "title", "published", "source", "url", "snippets"}
    assert hit["published"] == "2024-04-14T00:00:00+00:00"
    assert set(hit["snippets"][0]) == {"field", "text", "spans"}


def test_since_until_take_query_date_values(tmp_path):
    now = datetime(2024, 3, 5, tzinfo=timezone.utc)
    with make(tmp_path, ARTICLES) as ix:
        assert {h.id for h in ix.search("oil", since="now-7d", now=now).hits} == {"b"}
        assert {h.id for h in ix.search("oil", since="2024-03", until="2024-03").hits} == {"b"}
        assert {h.id for h in ix.search("oil", until="2024-01-10").hits} == {"a", "c"}
        with pytest.raises(searchcore.QuerySyntaxError, match="until 'now-3m'.*'mo'"):
            ix.search("oil", until="now-3m")


def test_total_can_be_a_flagged_lower_bound(news_index):
    # A prefix goes through whoosh's matchers, whose top-N pruning stops counting.
    exact = news_index.search("said minist*", match="any")
    fast = news_index.search("said minist*", match="any", exact_total=False)
    assert exact.total_is_exact and not fast.total_is_exact
    assert len(fast.hits) <= fast.total <= exact.total
    assert [h.id for h in fast.hits] == [h.id for h in exact.hits]
    # Plain words run on the arrays: MaxScore may skip what cannot make the page
    # (searchcore.execution.topk, tests/test_topk.py), with the same hits.
    words = news_index.search("said minister", match="any", exact_total=False)
    counted = news_index.search("said OR minister")
    assert counted.total_is_exact
    assert words.total == counted.total if words.total_is_exact else words.total < counted.total
    assert [(h.id, h.score) for h in words.hits] == [(h.id, h.score) for h in counted.hits]


def test_a_page_past_the_end_is_empty(news_index):
    res = news_index.search("missile", page=5)
    assert res.total == 1 and res.hits == ()


def test_lucene_idf_is_the_default_and_never_negative(tmp_path):
    from searchcore.scoring.ranking import LuceneIdfBM25F, lucene_idf, weighting

    assert isinstance(weighting(RankingConfig()), LuceneIdfBM25F)
    assert lucene_idf(1000, 1000) > 0 and lucene_idf(1000, 1) > lucene_idf(1000, 10)
    articles = [{"id": str(i), "title": f"story {i}", "body": "news report"} for i in range(20)]
    articles.append({"id": "x", "title": "rare", "body": "news report zeppelin"})
    with make(tmp_path, articles) as ix:
        # "news" is in every article: it barely counts next to the rare word.
        hit = ix.search("news zeppelin").hits[0]
        only_rare = ix.search("zeppelin").hits[0]
        assert hit.id == "x" and hit.score < only_rare.score * 1.1
        with pytest.raises(ValueError, match="idf must be"):
            weighting(RankingConfig(idf="tfidf"))


def test_many_bulk_adds_do_not_pile_up_segments(tmp_path, monkeypatch):
    from searchcore import engine

    # Small limits so that a few small adds run the same merges as many big ones.
    monkeypatch.setattr(engine, "MAX_SEGMENTS", 4)
    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 20)
    with searchcore.create_index(tmp_path / "ix") as ix:
        for batch in range(7):                     # > MAX_SEGMENTS bulk segments
            ix.add([{"id": f"{batch}-{i}", "title": f"story {i}", "body": f"batch{batch} text"}
                    for i in range(engine.FAST_WRITE_MIN)])
            assert len(ix.whoosh_index._segments()) <= engine.MAX_SEGMENTS
        assert len(ix) == 7 * engine.FAST_WRITE_MIN
        assert ix.search("batch6").total == ix.search("batch0").total == engine.FAST_WRITE_MIN
        assert ix.manifest["documents"] == len(ix)


def test_flatten_splices_nested_unions_and_keeps_repeated_words():
    from whoosh import query as wq

    from searchcore.engine import flatten

    t = lambda w: wq.Term("body", w)  # noqa: E731
    q = wq.Or([wq.Or([t("a"), t("b")]), wq.Or([t("a"), t("c")]), wq.And([t("d"), t("e")])])
    flat = flatten(q)
    assert type(flat) is wq.Or
    assert flat.subqueries[:4] == [t("a"), t("b"), t("a"), t("c")]
    assert flat.subqueries[4] == wq.And([t("d"), t("e")])
    boosted = flatten(wq.Or([wq.Or([t("a")], boost=2.0), t("b")]))
    assert boosted.subqueries[0] == wq.Or([t("a")], boost=2.0)   # a boost is kept


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("query", ["said OR year", "government minister", "people -sport", "missile"])
def test_total_is_every_match_in_every_mode(news_index, sort, query):
    """whoosh's top-N collector prunes and then undercounts; our totals are exact."""
    from searchcore.engine import flatten
    from searchcore.query.parser import parse_query

    searcher = news_index.searcher()
    q = flatten(parse_query(query, searcher.schema, match="all"))
    expected = sum(1 for _ in searcher.docs_for_query(q))
    assert news_index.search(query, sort=sort, limit=3, snippets=0).total == expected
    politics = set(searcher.docs_for_query(parse_query("category:politics", searcher.schema)))
    narrowed = sum(1 for d in searcher.docs_for_query(q) if d in politics)
    assert news_index.search(query, sort=sort, limit=3, snippets=0,
                             category="politics").total == narrowed


def test_hits_are_the_frozen_dataclass_whatever_made_them(news_index):
    """A search makes its hits with ``new_hit`` (slots set directly, not the dataclass
    __init__): each must be the Hit its fields make, and as immutable."""
    import dataclasses

    from searchcore.results.types import Hit, new_hit

    values = dict(rank=3, id="x", score=1.5, title="t",
                  published=datetime(2024, 1, 2, tzinfo=timezone.utc), source="s", url="u",
                  authors=("a",), category=("c",), snippets=(), copies=None)
    made = new_hit(**values)
    assert made == Hit(**values) and dataclasses.asdict(made) == values
    hits = news_index.search("missiles OR bank", match="any", limit=5, snippets=0).hits
    assert hits
    for hit in hits:
        fields = {f.name: getattr(hit, f.name) for f in dataclasses.fields(Hit)}
        assert hit == Hit(**fields) and hash(hit) == hash(Hit(**fields))
        with pytest.raises(dataclasses.FrozenInstanceError):
            hit.title = "changed"          # type: ignore[misc]
