"""Random strings into the query parser.

Strict mode: whatever the input, the only exception is ``QuerySyntaxError`` (never a
whoosh or internal traceback; the parser's own "internal error" wrapper counts as a
failure too). Lenient mode: nothing escapes, and the query runs on a real index.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchcore
from searchcore.errors import QuerySyntaxError
from searchcore.query.parser import _parse, parse_query

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)

# Pieces a query is made of, so random strings hit the grammar rather than only
# producing plain words.
_PIECES = st.sampled_from([
    " ", " ", " ", "(", ")", '"', "[", "]", "{", "}", ":", "~", "~2", "~9", "^", "^2", "*",
    "-", "+", "\\", "AND", "OR", "NOT", "&&", "||", " TO ", ">", ">=", "<", "<=", "/",
    "title:", "body:", "source:", "category:", "id:", "authors:", "url:", "language:",
    "published:", "date:", "foo:", "Title:", "published:[", "now", "now-7d", "now/d",
    "now-3m", "2024", "2024-04", "2024-04-14", "2024-13-45", "T10:00Z", "+02:00", "*",
    "missiles", "ballistic", "bank", "of", "the", "america", "e-mail", "U.S.", "café",
    "israel", "seed", "wire", "world", "x", "é", "\u201c", "\u201d", "\t", "\n", "0", "99",
])
QUERYISH = st.lists(_PIECES, max_size=14).map("".join)
ANY_TEXT = st.text(max_size=60)
MIXED = st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=12).map("".join)
STRINGS = st.one_of(QUERYISH, ANY_TEXT, MIXED)
OPTIONS = st.fixed_dictionaries({"match": st.sampled_from(["all", "any"])})

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("fuzz") / "index"
    with searchcore.create_index(path) as ix:
        ix.add([
            {"id": "a", "title": "Iran missiles", "body": "Ballistic missiles over Israel.",
             "published": "2024-04-14", "source": "Seed Wire", "category": ["world"]},
            {"id": "b", "title": "Bank of America", "body": "Profits by e-mail from the U.S.",
             "published": "2024-05-01", "source": "Reuters", "category": ["business"],
             "authors": ["Jane Smith"]},
            {"id": "c", "title": "Café", "body": "No date here."},
        ])
    with searchcore.open_index(path) as ix:
        yield ix


@FUZZ
@given(text=STRINGS, options=OPTIONS)
def test_strict_mode_raises_only_query_syntax_error(small_index, text, options):
    searcher = small_index.searcher()
    try:
        q = parse_query(text, searcher.schema, now=NOW, **options)
    except QuerySyntaxError as exc:
        assert not str(exc).startswith("internal error"), str(exc)
        assert exc.position is None or 0 <= exc.position <= len(text)
        return
    searcher.search(q, limit=5)


@FUZZ
@given(text=STRINGS, options=OPTIONS)
def test_lenient_mode_never_raises_and_runs(small_index, text, options):
    searcher = small_index.searcher()
    q = parse_query(text, searcher.schema, lenient=True, now=NOW, **options)
    # Without parse_query's last-resort fallback too: recovery must not need it.
    assert _parse(text, searcher.schema, options["match"], True, None, NOW) is not None
    hits = searcher.search(q, limit=5)
    assert len(hits) <= 3
