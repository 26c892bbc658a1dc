"""Numbers and names as people write them: indexed whole, found, phrased and marked.

News text is full of decimals, percentages, money, grouped thousands, ordinals and
names made of short pieces (``AT&T``: "at" and "t" are both stop words). Each class is
checked on the analyzer, then through a real index: the query as typed finds the
article, a phrase with it matches, and the snippet marks it.
"""

from __future__ import annotations

import orjson
import pytest

import searchcore
from searchcore import layout
from searchcore.analysis import NewsAnalyzer
from searchcore.errors import IndexFormatError

AN = NewsAnalyzer("english")


@pytest.mark.parametrize("text, expected", [
    ("rates rose 1.5 points", ["rate", "rose", "1.5", "point"]),     # a decimal, not "15"
    ("inflation of 3.5%", ["inflat", "3.5"]),
    ("$1.5 billion", ["1.5", "billion"]),
    ("£20 and €7.25", ["20", "7.25"]),
    ("1,000 shares", ["1000", "share"]),                              # = "1000"
    ("12,500,000.50 dlrs", ["12500000.50", "dlrs"]),
    ("denominations of 10,00 and 1,5", ["denomin", "10,00", "1,5"]),  # not groups: as written
    ("in 1987, on the 21st", ["1987", "21st"]),
    ("AT&T's results", ["at&t", "result"]),
    ("S&P 500 and M&A", ["s&p", "500", "m&a"]),
    ("the U.S. at 5 p.m.", ["us", "5", "pm"]),
    ("3M, A380 and BRK.B", ["3m", "a380", "brk.b"]),
    ("see www.reuters.com.", ["see", "www.reuters.com"]),
    ("it fell 1.5.", ["fell", "1.5"]),                                # a final dot is not kept
    ("Hambrecht & Quist", ["hambrecht", "quist"]),
])
def test_numbers_and_names_are_one_term_each(text, expected):
    assert AN.terms(text) == expected
    assert [t.text for t in AN(text)] == expected


def test_offsets_cover_the_whole_number_or_name():
    text = "AT&T's bid of $1,000,000 (3.5%)"
    spans = [text[t.startchar:t.endchar] for t in AN(text, chars=True)]
    assert spans == ["AT&T's", "bid", "1,000,000", "3.5"]


ARTICLES = [
    {"id": "nigeria", "title": "NIGERIA TO ISSUE 1.5 BILLION DLR BOND",
     "body": "Nigeria will issue 1.5 billion dlrs of bonds, rates up 3.5% from 1,000 basis."},
    {"id": "enel", "title": "ENEL ISSUES 15 BILLION YEN EUROBOND",
     "body": "Enel is issuing a 15 billion yen eurobond, priced at 35 pct of 1000 yen par."},
    {"id": "att", "title": "Phone company results",
     "body": "AT&T's quarterly profit rose. Analysts at T. Rowe said so."},
    {"id": "sp", "title": "Stocks end higher", "body": "The S&P 500 index rose 3.5 pct on the 21st."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("numbers") / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(ARTICLES)
    with searchcore.open_index(path) as ix:
        yield ix


def marks(hit):
    return [s.text[a:b] for s in hit.snippets for a, b in s.spans]


@pytest.mark.parametrize("query, ids, marked", [
    ('"1.5 billion"', ["nigeria"], "1.5 billion"),
    ("1.5", ["nigeria"], "1.5"),
    ('"15 billion"', ["enel"], "15 billion"),
    ("3.5%", ["nigeria", "sp"], "3.5"),
    ("$1.5", ["nigeria"], "1.5"),
    ("1,000", ["enel", "nigeria"], None),           # "1,000" and "1000" are one number
    ("AT&T", ["att"], "AT&T's"),
    ('"AT&T"', ["att"], "AT&T's"),
    ("AT&T's", ["att"], "AT&T's"),
    ('"S&P 500"', ["sp"], "S&P 500"),
    ("21st", ["sp"], "21st"),
])
def test_queries_as_people_type_them_find_match_and_mark(index, query, ids, marked):
    res = index.search(query)
    assert sorted(h.id for h in res.hits) == ids
    if marked is not None:
        assert all(marked in marks(h) for h in res.hits), [marks(h) for h in res.hits]


def test_decimal_query_does_not_find_the_digits_run_together(index):
    assert [h.id for h in index.search("15").hits] == ["enel"]
    assert [h.id for h in index.search("35").hits] == ["enel"]


def test_index_of_the_previous_format_says_how_to_rebuild(tmp_path):
    """Indexes of format 1 split "1.5" into "15": their terms differ, so they must be rebuilt."""
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(ARTICLES[:1])
    mpath = tmp_path / "ix" / layout.MANIFEST_NAME
    mpath.write_bytes(orjson.dumps(orjson.loads(mpath.read_bytes()) | {"format_version": 1}))
    with pytest.raises(IndexFormatError, match=r"format version 1, older .*searchcore index build"):
        searchcore.open_index(tmp_path / "ix")
