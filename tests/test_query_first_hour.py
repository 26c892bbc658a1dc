"""What a new user types in the first hour: pasted URLs, written dates, reversed ranges.

Each case is a class of input, checked through a real index: what used to fail with a
misleading error (``unknown field 'http'``), be refused although the importer reads it
(``April 1, 1987``), or silently give 0 hits (a range that ends before it starts).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import searchcore
from searchcore.dates import DateError, parse_date_text, parse_datetime
from searchcore.errors import QuerySyntaxError
from searchcore.query.daterange import DateValueError, parse_period

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

ARTICLES = [
    {"id": "reuters", "title": "Where to read the wire",
     "body": "The full story is at http://www.reuters.com/article/oil-prices today.",
     "url": "https://example.com/wire", "published": "1987-04-01T12:00:00Z"},
    {"id": "april", "title": "Oil prices in April", "body": "Oil rose.",
     "published": "1987-04-20"},
    {"id": "march", "title": "Oil prices in March", "body": "Oil fell.",
     "published": "1987-03-31T23:00:00Z"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("first-hour") / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    with searchcore.open_index(path) as ix:
        yield ix


def ids(ix, text, **kw):
    return sorted(h.id for h in ix.search(text, now=NOW, **kw).hits)


# -- URLs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["http://www.reuters.com", "http://www.reuters.com/article/oil-prices",
                                  "oil http://www.reuters.com"])
def test_a_pasted_url_finds_the_text_that_quotes_it(index, text):
    assert ids(index, text) == ["reuters"]


def test_a_pasted_url_finds_the_article_with_that_url(index):
    assert ids(index, "https://example.com/wire") == ["reuters"]


def test_a_url_is_marked_in_the_snippet(index):
    hit = index.search("http://www.reuters.com").hits[0]
    marked = [s.text[a:b] for s in hit.snippets for a, b in s.spans]
    assert marked == ["http://www.reuters.com"]


def test_an_unknown_field_says_how_to_search_for_the_text(index):
    with pytest.raises(QuerySyntaxError, match=r"unknown field 'NYSE'.*quote it"):
        index.search("NYSE:IBM")
    assert index.search('"NYSE:IBM"').total == 0          # quoting is accepted


# -- one date grammar ---------------------------------------------------------------------
@pytest.mark.parametrize("text, period", [
    ("April 1, 1987", ("1987-04-01", "1987-04-02")),
    ("1 April 1987", ("1987-04-01", "1987-04-02")),
    ("April 1987", ("1987-04-01", "1987-05-01")),
    ("Wed, 1 Apr 1987", ("1987-04-01", "1987-04-02")),
    ("1 Apr 1987 9:30", ("1987-04-01T09:30", "1987-04-01T09:31")),
])
def test_written_dates_the_importer_reads_are_query_periods(text, period):
    start, end = parse_period(text, NOW)
    assert (start, end) == tuple(datetime.fromisoformat(p) for p in period)
    assert parse_datetime(text).replace(tzinfo=None) == start    # the importer agrees


@pytest.mark.parametrize("text", ["April 1", "oil", "3 pigs"])
def test_a_date_without_a_year_or_no_date_at_all_is_refused_in_queries(text):
    with pytest.raises(DateValueError):
        parse_period(text, NOW)


def test_the_importer_still_fills_a_missing_year():
    assert parse_date_text("April 1")[0].year == 2000
    with pytest.raises(DateError, match="no year"):
        parse_date_text("April 1", require_year=True)


def test_since_and_until_take_written_dates(index):
    assert ids(index, "oil", since="April 1, 1987") == ["april", "reuters"]
    assert ids(index, "oil", until="March 31, 1987") == ["march"]
    assert ids(index, 'published:"April 1, 1987"') == ["reuters"]


# -- empty ranges are errors, not 0 hits --------------------------------------------------
def test_a_reversed_range_is_an_error_that_offers_the_right_order(index):
    with pytest.raises(QuerySyntaxError, match=r"starts after it ends \(did you mean "
                                               r"\[1987-04-01 TO 1987-05-01\]\?\)"):
        index.search("published:[1987-05-01 TO 1987-04-01]")
    assert ids(index, "published:[1987-04-01 TO 1987-05-01]") == ["april", "reuters"]
    assert index.search("published:[1987-05-01 TO 1987-04-01]", lenient=True).total == 0


def test_since_after_until_is_an_error(index):
    with pytest.raises(QuerySyntaxError, match="since '1987-05-01' is after until '1987-04-01'"):
        index.search("oil", since="1987-05-01", until="1987-04-01")
