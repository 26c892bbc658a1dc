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
from searchcore.query.budget import QueryBudget
from searchcore.query.alternatives import QueryLanguages
from searchcore.query.parser import (_default_fields, _field_infos, _grammar, _parse,
                                     _plain_text, parse_query)

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


# -- the whole search pipeline: BM25F matchers, budgets, snippets --------------------------
# Lone surrogates (a non-UTF-8 terminal's bytes), other odd code points, and mutations of
# ordinary queries: the stress run's crashes (UnicodeEncodeError in prefix/fuzzy words,
# ReadTooFar from an exclusion inside a group) came from exactly these.
_ODD = st.sampled_from(["\ud800", "\udfff", "\udcff", "\udc80", "\x00", "\xff", "\u200b",
                        "\ufeff", "\U0001f600", "\u0301", "0", "w", "v", "-oil", "(-w 0)"])
SEEDS = ["ballistic missiles", '"prime minister" -election', "film (-oil 0)", "(-w 0)V",
         "v AND (0 -oil)", "title:(oil OR film)^2 music*", "govermnent~2 -sport",
         "published:[2004-01-01 TO 2005-12-31] election", 'body:(election * ""*)',
         "+labour tories OR liberals", "source:bbc category:business profits"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A seed query with a few characters or pieces inserted, deleted or replaced."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(_PIECES, _ODD, st.text(max_size=2)))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 4)):]
        else:
            text = text[:at] + piece + text[at + 1:]
    return text


PIPELINE_STRINGS = st.one_of(mutated(), st.lists(st.one_of(_PIECES, _ODD), max_size=10).map("".join),
                             QUERYISH)
PIPELINE_OPTIONS = st.fixed_dictionaries({"match": st.sampled_from(["all", "any"]),
                                          "sort": st.sampled_from(["relevance", "newest"])})
# The deadline is about the machine, not the text: a loaded CI box must not fail here.
NO_DEADLINE = QueryBudget(seconds=600)
PIPELINE_FUZZ = settings(FUZZ, max_examples=200)


@PIPELINE_FUZZ
@given(text=PIPELINE_STRINGS, options=PIPELINE_OPTIONS)
def test_search_strict_raises_only_query_syntax_error(news_index, text, options):
    try:
        news_index.search(text, now=NOW, limit=5, budget=NO_DEADLINE, **options)
    except QuerySyntaxError as exc:       # QueryLimitError is one too
        assert not str(exc).startswith("internal error"), str(exc)


@PIPELINE_FUZZ
@given(text=PIPELINE_STRINGS, options=PIPELINE_OPTIONS)
def test_search_lenient_never_raises(news_index, text, options):
    news_index.search(text, now=NOW, limit=5, lenient=True, budget=NO_DEADLINE, **options)


# -- plain words skip the grammar --------------------------------------------------------
# A text with no syntax is read without the lexer and the grammar (parser._plain_text):
# the tree must be the grammar's own, node for node, or a plain query would rank
# differently from the same words with a stray parenthesis.

def _both_readings(schema, text, match, langs=None):
    fields = _field_infos(schema)
    default = _default_fields(fields, None)
    return (_plain_text(text, default, match, langs),
            _grammar(text, fields, default, match, True, NOW, langs))


def _same_tree(a, b):
    assert a == b and repr(a) == repr(b), (a, b)


#: Plain-looking words, and the characters that make syntax next to them.
_WORDISH = st.lists(st.one_of(
    st.sampled_from(["missiles", "bank", "of", "the", "AT&T", "e-mail", "U.S.", "café", "1987",
                     "anti-trust", "and", "or", "not", "And", "ANDROID", "ORB", "-", "+", "&&",
                     "||", "a&&b", "x", "'s", "§", "\u00a0", "\t", " ", " "]),
    _PIECES, st.text(max_size=3)), max_size=10).map(" ".join)


@FUZZ
@given(text=st.one_of(_WORDISH, STRINGS), match=st.sampled_from(["all", "any"]))
def test_plain_text_makes_the_grammars_tree(small_index, text, match):
    plain, grammar = _both_readings(small_index.whoosh_index.schema, text, match)
    if plain is not None:
        _same_tree(plain, grammar)


def test_plain_text_is_taken_only_without_syntax(small_index):
    schema = small_index.whoosh_index.schema
    for text in ["ballistic missiles", "AT&T e-mail U.S.", "café  1987\tbank", "the of",
                 "andy orwell notably", "a&&b x||y"]:
        plain, grammar = _both_readings(schema, text, "any")
        assert plain is not None, text
        _same_tree(plain, grammar)
    for text in ["missiles OR bank", "missiles AND bank", "NOT bank", "-bank missiles",
                 "+bank", "bank && missiles", "title:bank", "bank*", "bank~1", "bank^2",
                 '"bank"', "\u201cbank\u201d", "(bank)", "[a TO b]", "{a TO b}", "a\\:b",
                 "http://example.com/x"]:
        assert _both_readings(schema, text, "any")[0] is None, text


def test_plain_text_of_real_titles_in_several_languages(small_index):
    """The bundled sample's titles (real Reuters headlines), each as both modes would
    read it, also analysed in every language of a multilingual index."""
    import orjson
    from importlib.resources import files
    schema = small_index.whoosh_index.schema
    lines = files("searchcore.sample").joinpath("reuters-sample.jsonl").read_bytes().splitlines()
    titles = [orjson.loads(line)["title"] for line in lines if line.strip()]
    langs = QueryLanguages(("", "en", "de", "fr"), ("en", "de", "fr"))
    plain_seen = 0
    for title in titles:
        for match in ("all", "any"):
            for given_langs in (None, langs):
                plain, grammar = _both_readings(schema, title.lower(), match, given_langs)
                if plain is not None:
                    plain_seen += 1
                    _same_tree(plain, grammar)
    assert plain_seen > len(titles)            # most headlines are plain words
