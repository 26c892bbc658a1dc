"""The validated search request: a bad argument fails at once, with a clear error."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import searchcore
from searchcore.errors import InvalidRequestError, SearchcoreError
from searchcore.query.request import SearchRequest
from searchcore.scoring.ranking import RankingConfig


def test_defaults_and_offset() -> None:
    request = SearchRequest.create("oil", limit=20, page=3, source="Reuters")
    assert (request.sort, request.match, request.offset, request.source) == \
        ("relevance", "all", 40, ("Reuters",))
    assert request.now.tzinfo is not None


@pytest.mark.parametrize("kwargs,words", [
    ({"sort": "popular"}, "sort must be one of relevance, newest, oldest"),
    ({"match": "some"}, "match must be one of all, any"),
    ({"limit": 0}, "limit and page must be at least 1"),
    ({"page": -1}, "limit and page must be at least 1"),
    ({"limit": "10"}, "limit must be an integer"),
    ({"limit": True}, "limit must be an integer"),
    ({"snippets": -1}, "snippets must be 0 or more"),
    ({"source": 42}, "source must be a string or a list of strings"),
    ({"since": 2024}, "since must be a date string or a datetime"),
    ({"ranking": RankingConfig(idf="bm25")}, "idf must be one of lucene, whoosh"),
    ({"ranking": RankingConfig(field_scoring="max")}, "field_scoring must be one of"),
    ({"ranking": RankingConfig(k1=float("nan"))}, "ranking k1 must be a finite number"),
    ({"ranking": RankingConfig(recency_half_life_days=-3)}, "recency_half_life_days"),
    ({"ranking": RankingConfig(recency_half_life_days=7, idf="whoosh")}, "Lucene's idf"),
])
def test_bad_arguments_raise_at_once(news_index: searchcore.Index, kwargs: dict,
                                     words: str) -> None:
    with pytest.raises(InvalidRequestError, match=words.replace("*", r"\*")):
        SearchRequest.create("oil", **kwargs)
    with pytest.raises(SearchcoreError, match=words.replace("*", r"\*")):
        news_index.search("oil", **kwargs)


def test_the_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        SearchRequest.create("oil", sort="x")


def test_a_good_request_searches(news_index: searchcore.Index) -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    res = news_index.search("missiles", sort="newest", limit=3, now=now)
    assert res.hits and res.hits[0].id == "seed"
