"""The array executor against whoosh's matchers, on real on-disk indexes.

For every query form the executor runs, the executor and whoosh's matchers (the
reference) must return the same documents, the same scores within 1e-9 and the same
order (documents whose scores differ by less than that may trade places: the array
path adds a union's scores in another order). Run over the shared BBC index (one
segment) and over a multi-segment index with deletions and dates.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from conftest import bbc_articles, seed_article
from test_columns import dated
from whoosh import collectors

import searchcore
from searchcore.engine import flatten
from searchcore.execution.executor import Executor, Unsupported
from searchcore.query.parser import parse_query
from searchcore.scoring.ranking import DEFAULT_RANKING, RankingConfig, weighting

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)

QUERIES = [
    "government", "govern", "government election", "government OR election",
    "government AND election", "government -election", "government NOT election",
    "+government election", "tax OR budget OR economy OR growth OR labour",
    '"prime minister"', '"prime minister"~3', '"chancellor gordon brown"', '"gordon brown"~5',
    '"the of"', "title:election", "title:(election OR vote)", 'title:"tony blair"',
    "body:economy", "source:bbc", "source:\"bbc news\"", "category:business",
    "category:politics tax", "govern*", "elect* tax", "econom* OR tax*",
    "minister~", "electoin~ tax", "goverment~2", "title:labour~", "tax -budgit~",
    "election^3 tax", "(tax OR budget)^2 labour", '"prime minister"^2 OR election',
    "*", "-sport", "* -sport", "tax OR -budget", "id:seed", "missiles", "missiles -iran",
    "(tax OR budget) AND (labour OR tory)", "tax (budget OR -labour)",
    "published:*", "title:*", "source:*", "category:*", "published:2024-04", "published:[2015-01-01 TO 2018-12-31] tax",
    "published:>=2020 election", "published:<2012-06", "published:{2014-01-01 TO 2016-01-01}",
    "language:en", "nosuchwordanywhere", "the", "elect OR nosuchword",
    # ANDs whose parts are scored only on the documents the cheaper parts matched:
    "said government minister", "(election OR vote) published:>=2014 -sport",
    "tax (budget OR \"prime minister\") published:[2012-01-01 TO 2020-12-31]",
]


def reference(searcher, q) -> list[tuple[int, float]]:
    """Every match with whoosh's score, best first, ties by document number."""
    collector = collectors.TopCollector(10**7, usequality=False, replace=0)
    searcher.search_with_collector(q, collector)
    return [(hit.docnum, hit.score) for hit in collector.results()]


def assert_same(got: list[tuple[int, float]], want: list[tuple[int, float]], text: str = "") -> None:
    assert len(got) == len(want), text
    want_scores = dict(want)
    assert set(d for d, _ in got) == set(want_scores)
    for docnum, score in got:
        assert score == pytest.approx(want_scores[docnum], rel=1e-9, abs=1e-9), text
    for (gd, gs), (wd, ws) in zip(got, want):
        if gd != wd:        # only documents with (nearly) equal scores may trade places
            assert gs == pytest.approx(ws, rel=1e-9, abs=1e-12)


def check_queries(ix: searchcore.Index, queries: list[str], match: str,
                  ranking: RankingConfig = DEFAULT_RANKING) -> set[str]:
    """Compare every query; returns those the executor left to whoosh."""
    from whoosh.searching import Searcher

    base = ix.searcher()
    searcher = Searcher(base.reader(), weighting=weighting(ranking, NOW), closereader=False)
    unsupported = set()
    for text in queries:
        q = flatten(parse_query(text, searcher.schema, match=match,
                                field_weights=ranking.field_weights, now=NOW))
        want = reference(searcher, q)
        try:
            hits = Executor(searcher, searcher.weighting).run(q)
        except Unsupported:
            unsupported.add(text)
            continue
        order = np.lexsort((hits.docs, -hits.scores))          # whoosh's order, to compare
        docs, scores = hits.docs[order], hits.scores[order]
        assert_same(list(zip(docs.tolist(), scores.tolist())), want, text)
    return unsupported


#: What the executor leaves to whoosh (see searchcore.execution.executor).
FALLBACK: set[str] = set()


@pytest.fixture(scope="module")
def segmented_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Several segments (bulk and whoosh-written), dates, replacements and deletions."""
    path = tmp_path_factory.mktemp("exec") / "index"
    articles = dated(bbc_articles())
    with searchcore.create_index(path) as ix:
        ix.add(articles[:140])
        for start in range(140, 300, 40):
            ix.add(articles[start:start + 40])
        ix.add(articles[100:103])                  # small replacements: deletions
        ix.add([seed_article()])
        ix.delete([articles[7]["id"], articles[150]["id"]])
    return path


@pytest.mark.parametrize("match", ["all", "any"])
def test_executor_equals_whoosh_on_one_segment(news_index: searchcore.Index, match: str) -> None:
    assert check_queries(news_index, QUERIES, match) == FALLBACK


@pytest.mark.parametrize("match", ["all", "any"])
def test_executor_equals_whoosh_over_segments_and_deletions(segmented_index: Path,
                                                           match: str) -> None:
    with searchcore.open_index(segmented_index) as ix:
        assert len(ix.searcher().leaf_searchers()) > 1
        assert ix.searcher().reader().has_deletions()
        assert check_queries(ix, QUERIES, match) == FALLBACK


@pytest.mark.parametrize("dense", [1, 10**9])
def test_an_or_of_words_placed_densely_or_by_sorting_equals_whoosh(
        segmented_index: Path, dense: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OR of words finds its union by a mark per document when its postings are
    many, else by sorting them (``DENSE_UNION``): forced each way, whoosh's hits."""
    from searchcore.execution import executor

    monkeypatch.setattr(executor, "DENSE_UNION", dense)
    ors = ["government OR election", "tax OR budget OR economy OR growth OR labour",
           "missiles minister chancellor", "the said tax"]
    with searchcore.open_index(segmented_index) as ix:
        assert check_queries(ix, ors, "any") == FALLBACK


def test_executor_equals_whoosh_with_other_rankings(segmented_index: Path) -> None:
    with searchcore.open_index(segmented_index) as ix:
        for ranking in (RankingConfig(k1=1.2, b=0.5, title_b=0.3, idf="whoosh"),
                        RankingConfig(field_weights={"title": 1.0, "body": 2.0})):
            assert check_queries(ix, QUERIES, "all", ranking) == FALLBACK


def _page(ix: searchcore.Index, arrays: bool, query: str, **kwargs):
    ix.array_execution = arrays
    try:
        res = ix.search(query, snippets=0, now=NOW, **kwargs)
    finally:
        ix.array_execution = True
    return res.total, [(h.id, h.score) for h in res.hits]


SEARCHES = [
    ("tax", {}), ("tax", {"page": 2, "limit": 5}), ("government election", {"match": "any"}),
    ("tax", {"sort": "newest", "limit": 50}), ("tax OR election", {"sort": "oldest", "limit": 50}),
    ("*", {"sort": "newest", "limit": 300}), ("-sport", {"sort": "oldest", "limit": 300}),
    ("tax", {"source": "Wire 1"}), ("election", {"category": ["politics", "Extra Tag"]}),
    ("tax", {"since": "2015-01-01", "until": "2019-06"}), ("*", {"since": "2020", "limit": 100}),
    ('"prime minister"', {"ranking": RankingConfig(recency_half_life_days=365)}),
    ("tax OR budget OR labour", {"ranking": RankingConfig(recency_half_life_days=30,
                                                          recency_weight=0.9), "limit": 40}),
]


@pytest.mark.parametrize("query,kwargs", SEARCHES)
def test_search_on_arrays_equals_whoosh(segmented_index: Path, query: str, kwargs: dict) -> None:
    with searchcore.open_index(segmented_index) as ix:
        total, hits = _page(ix, True, query, **kwargs)
        want_total, want_hits = _page(ix, False, query, **kwargs)
    assert total == want_total
    assert [h for h, _ in hits] == [h for h, _ in want_hits] or kwargs.get("sort") is None
    got = dict(hits)
    for article_id, score in want_hits:
        if score is None:
            assert got.get(article_id, "absent") is None
        else:
            assert got[article_id] == pytest.approx(score, rel=1e-9)
