"""The query language, form by form, on real indexes.

Two corpora: the shared news index (the seed plus 300 BBC articles, no BBC dates) and a
tiny index built here whose documents each pin one behaviour (stop words in phrases,
proximity, date boundaries, names, categories). Every malformed form asserts
``QuerySyntaxError`` with its position and what the message says.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from whoosh import query as wq

import searchcore
from searchcore.query.daterange import DateValueError, parse_period
from searchcore.errors import QuerySyntaxError
from searchcore.query.parser import parse_query
from searchcore.schema import build_schema

#: The fixed "now" of every relative-date test.
NOW = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
WEIGHTS = {"title": 2.0, "body": 1.0}

TINY = [
    {"id": "boa", "title": "Bank of America results", "source": "Reuters",
     "body": "Bank of America reported higher profits. Readers can reach us by e-mail.",
     "published": "2024-04-14T10:00:00Z", "category": ["business", "Middle East"],
     "authors": ["Jane Smith"], "url": "https://example.com/boa", "language": "en"},
    {"id": "bfa", "title": "Charity news", "body": "A bank for America's farmers opened.",
     "source": "Associated Press", "category": ["business"]},
    {"id": "ab", "title": "Savings", "body": "America's biggest bank is in New York.",
     "source": "Reuters"},
    {"id": "prox", "title": "Overnight attack",
     "body": "Iran launched many drones and missiles at Israel.", "category": ["world"]},
    {"id": "cafe", "title": "Café culture", "body": "The café opened in Zürich.",
     "authors": ["José Müller"]},
    {"id": "d2023", "title": "Dated story", "body": "dated", "published": "2023-12-31T23:59:59Z"},
    {"id": "d0101", "title": "Dated story", "body": "dated", "published": "2024-01-01T00:00:00Z"},
    {"id": "d0430", "title": "Dated story", "body": "dated", "published": "2024-04-30T23:00:00Z"},
    {"id": "d0501", "title": "Dated story", "body": "dated", "published": "2024-05-01T00:00:00Z"},
    {"id": "d-5d", "title": "Dated story", "body": "dated", "published": NOW - timedelta(days=5)},
    {"id": "d-3h", "title": "Dated story", "body": "dated", "published": NOW - timedelta(hours=3)},
]
DATED = {"boa", "d2023", "d0101", "d0430", "d0501", "d-5d", "d-3h"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("tiny") / "index"
    with searchcore.create_index(path) as ix:
        ix.add(TINY)
    with searchcore.open_index(path) as ix:
        yield ix


def ranked(ix, text: str, **kwargs) -> list[str]:
    """Ids matching ``text``, best first, straight from a whoosh searcher."""
    searcher = ix.searcher()
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("field_weights", WEIGHTS)
    q = parse_query(text, searcher.schema, **kwargs)
    return [hit["id"] for hit in searcher.search(q, limit=None)]


def ids(ix, text: str, **kwargs) -> set[str]:
    return set(ranked(ix, text, **kwargs))


def syntax_error(text: str, **kwargs) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text, build_schema(), now=NOW, **kwargs)
    return info.value


# -- terms and the default operator -----------------------------------------------------
def test_missile_finds_seed_by_stem(news_index):
    assert ranked(news_index, "missile") == ["seed"]


def test_terms_are_anded_by_default(news_index):
    assert ids(news_index, "missiles israel") == {"seed"}
    assert ids(news_index, "missiles football") == set()


def test_match_any_ors_the_terms(news_index):
    found = ids(news_index, "missiles football", match="any")
    assert "seed" in found and len(found) > 1


def test_default_fields_are_title_and_body(tiny):
    assert ids(tiny, "savings") == {"ab"}          # title only
    assert ids(tiny, "farmers") == {"bfa"}         # body only


def test_title_weight_ranks_title_match_first(tiny):
    # "bank" is in the title of boa only; three bodies have it.
    assert ranked(tiny, "bank")[0] == "boa"


def test_field_weights_become_boosts():
    q = parse_query("iran", build_schema(), field_weights={"title": 3.0, "body": 0.5})
    assert {(t.fieldname, t.boost) for t in q.subqueries} == {("title", 3.0), ("body", 0.5)}


def test_extra_field_in_weights_is_searched_by_default(tiny):
    assert ids(tiny, "reuters") == set()
    assert ids(tiny, "reuters", field_weights={"title": 2.0, "body": 1.0, "source": 0.5}) == {"boa", "ab"}


def test_stop_word_is_dropped_from_and(news_index):
    assert ids(news_index, "the missiles") == {"seed"}


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "the", "the of and", '"the"', "()"[:0]])
def test_empty_or_stop_word_query_matches_nothing(text):
    for lenient in (False, True):
        assert parse_query(text, build_schema(), lenient=lenient) is wq.NullQuery


# -- boolean operators ------------------------------------------------------------------
def test_or(news_index):
    found = ids(news_index, "missiles OR football")
    assert "seed" in found and len(found) > 1
    assert found == ids(news_index, "missiles || football")


def test_and_operator(news_index):
    assert ids(news_index, "missiles AND israel") == {"seed"}
    assert ids(news_index, "missiles && israel") == {"seed"}
    assert ids(news_index, "missiles AND football") == set()


@pytest.mark.parametrize("text", ["missiles -israel", "missiles NOT israel",
                                  "missiles AND NOT israel", 'missiles -"benjamin netanyahu"',
                                  "missiles -(football OR israel)", "missiles -title:israel"])
def test_exclusion(news_index, text):
    assert ids(news_index, "missiles") == {"seed"}
    assert ids(news_index, text) == set()


def test_only_exclusions_match_everything_else(news_index):
    found = ids(news_index, "-missiles")
    assert "seed" not in found and len(found) == 300


def test_plus_is_required_in_any_mode(news_index):
    loose = ids(news_index, "football missiles", match="any")
    strict = ids(news_index, "football +missiles", match="any")
    assert strict == {"seed"} and len(loose) > 1


def test_any_mode_exclusion_does_not_match_everything(news_index):
    found = ids(news_index, "missiles football -israel", match="any")
    assert found and "seed" not in found and len(found) < 300


def test_lower_case_operators_are_words(news_index):
    # "or" is a stop word: "missiles or football" is missiles AND football.
    assert ids(news_index, "missiles or football") == set()


def test_precedence_or_binds_tighter_than_juxtaposition(news_index):
    assert ids(news_index, "israel missiles OR football") == {"seed"}
    assert ids(news_index, "israel missiles OR football") == ids(news_index, "israel (missiles OR football)")


def test_precedence_and_binds_tighter_than_or(news_index):
    # (israel AND missiles) OR football: football articles come back too.
    found = ids(news_index, "israel AND missiles OR football")
    assert "seed" in found and len(found) > 1
    assert found == ids(news_index, "(israel AND missiles) OR football")


def test_grouping(news_index):
    assert ids(news_index, "(missiles OR football) AND israel") == {"seed"}
    assert ids(news_index, "((missiles))") == {"seed"}
    nested = ids(news_index, "(football OR (missiles AND israel)) -chelsea")
    assert "seed" in nested and len(nested) > 1


def test_boost_changes_ranking(tiny):
    # "savings" is in one title, "farmers" in another article's body: a boost on
    # either word, phrase or group puts its article first.
    assert set(ranked(tiny, "savings OR farmers")) == {"ab", "bfa"}
    assert ranked(tiny, "savings^20 OR farmers")[0] == "ab"
    assert ranked(tiny, "savings OR farmers^20")[0] == "bfa"
    assert ranked(tiny, '(savings OR "farmers opened"^20)')[0] == "bfa"
    assert ranked(tiny, "savings OR (farmers)^20")[0] == "bfa"
    assert ranked(tiny, "(savings)^20 OR farmers")[0] == "ab"


# -- phrases ----------------------------------------------------------------------------
def test_phrase_order_matters(news_index):
    assert ranked(news_index, '"ballistic missiles"') == ["seed"]
    assert ids(news_index, '"missiles ballistic"') == set()


def test_phrase_with_stop_word_matches_the_text(tiny):
    # The analyzer drops "of"; positions count kept words only (searchcore.analysis).
    found = ids(tiny, '"Bank of America"')
    assert "boa" in found
    assert "ab" not in found                        # "America's biggest bank"
    assert "bfa" in found                           # "bank for America": documented


def test_proximity_counts_words_between_in_order(tiny):
    # "Iran launched many drones and missiles": 3 kept words between iran and missiles.
    assert ids(tiny, '"iran missiles"') == set()
    assert ids(tiny, '"iran missiles"~2') == set()
    assert ids(tiny, '"iran missiles"~3') == {"prox"}
    assert ids(tiny, '"iran missiles"~10') == {"prox"}
    assert ids(tiny, '"missiles iran"~10') == set()


def test_word_the_analyzer_splits_becomes_a_phrase(tiny):
    assert ids(tiny, "e-mail") == {"boa"}
    assert ids(tiny, '"by e-mail"') == {"boa"}
    assert ids(tiny, "mail-e") == set()


def test_curly_quotes_are_quotes(news_index):
    assert ids(news_index, "\u201cballistic missiles\u201d") == {"seed"}


# -- fields -----------------------------------------------------------------------------
def test_title_field_ranks_seed_first(news_index):
    found = ranked(news_index, "title:israel")
    assert found[0] == "seed"
    assert ranked(news_index, "title:missiles") == []       # only in the seed's body


def test_field_phrase_and_group(news_index):
    # The title says "Israel: No Participation"; the body never has the two together.
    assert ids(news_index, 'title:"israel participation"') == {"seed"}
    assert ids(news_index, 'body:"israel participation"') == set()
    assert ids(news_index, "title:(iran OR football)") == ids(news_index, "title:iran OR title:football")
    assert "seed" in ids(news_index, "title:(iran OR football)")


def test_field_applies_to_one_value_only(news_index):
    # title:israel missiles = title:israel AND (missiles in title or body).
    assert ids(news_index, "title:israel missiles") == {"seed"}


@pytest.mark.parametrize("text", ['source:"seed wire"', "source:seed", "source:Wire",
                                  "source:(wire OR nothing)"])
def test_source_by_exact_words(news_index, text):
    assert ids(news_index, text) == {"seed"}


def test_source_is_not_stemmed(tiny):
    assert ids(tiny, "source:reuters") == {"boa", "ab"}
    assert ids(tiny, "source:reuter") == set()
    assert ids(tiny, 'source:"associated press"') == {"bfa"}
    assert ids(tiny, 'source:"press associated"') == set()


def test_category_keyword(news_index, tiny):
    assert ids(news_index, "category:world") == {"seed"}
    assert ids(news_index, "category:World") == {"seed"}
    assert len(ids(news_index, "category:sport")) == 60
    assert ids(tiny, 'category:"middle east"') == {"boa"}
    assert ids(tiny, "category:middle") == set()


def test_id_is_exact(news_index):
    assert ids(news_index, "id:seed") == {"seed"}
    assert ids(news_index, "id:business-001") == {"business-001"}
    assert ids(news_index, "id:Seed") == set()


def test_authors_url_language(tiny):
    assert ids(tiny, "authors:smith") == {"boa"}
    assert ids(tiny, 'authors:"jane smith"') == {"boa"}
    assert ids(tiny, "authors:muller") == {"cafe"}          # accents folded
    assert ids(tiny, "url:https://example.com/boa") == {"boa"}
    assert ids(tiny, "language:en") == {"boa"}


def test_field_names_are_case_insensitive(news_index):
    assert ids(news_index, "Title:israel") == ids(news_index, "title:israel")


def test_escaped_colon_is_not_a_field(tiny):
    # Escaped, the colon is punctuation: a word the analyzer splits, so a phrase.
    assert ids(tiny, r"bank\:america") == ids(tiny, '"bank america"') == {"boa", "bfa"}
    assert ids(tiny, r"america\:bank") == set()
    assert ids(tiny, r"bank\:of\:america") == {"boa", "bfa"}
    assert ids(tiny, r'"bank\" america"') == {"boa", "bfa"}


# -- prefix and fuzzy -------------------------------------------------------------------
@pytest.mark.parametrize("text", ["missil*", "ballis*", "MISSIL*", "missile*", "title:isra*"])
def test_prefix(news_index, text):
    assert ids(news_index, text) == {"seed"}


def test_prefix_is_not_stemmed_and_folds_accents(tiny):
    assert ids(tiny, "caf*") == {"cafe"}
    assert ids(tiny, "CAFÉ*") == {"cafe"}
    assert ids(tiny, "zur*") == {"cafe"}
    assert ids(tiny, "source:reut*") == {"boa", "ab"}
    assert ids(tiny, "category:busi*") == {"boa", "bfa"}


@pytest.mark.parametrize("text", ["missle~", "missle~1", "misiles~2", "title:isreal~"])
def test_fuzzy(news_index, text):
    assert "seed" in ids(news_index, text)


def test_fuzzy_distance_is_respected(news_index):
    assert ids(news_index, "missle~0") == set()
    # "misles" stems to "misl": two insertions from the index term "missil".
    assert "seed" not in ids(news_index, "misles~1")
    assert "seed" in ids(news_index, "misles~2")


def test_match_all_star(news_index):
    assert len(ids(news_index, "*")) == 301
    assert ids(news_index, "* -israel") == ids(news_index, "-israel")


# -- dates ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("published:[2024-01-01 TO 2024-04-30]", {"boa", "d0101", "d0430"}),
    ("published:[2024-01-01 TO 2024-04-30}", {"boa", "d0101"}),
    ("published:{2023-12-31 TO 2024-04-30]", {"boa", "d0101", "d0430"}),
    ("published:[2024-01 TO 2024-04]", {"boa", "d0101", "d0430"}),
    ("published:[2024-05-01 TO *]", {"d0501", "d-5d", "d-3h"}),
    ("published:[* TO 2023]", {"d2023"}),
    ("published:[* TO *]", DATED),
    ("published:*", DATED),
    ("published:2024-04", {"boa", "d0430"}),
    ("published:2024-04-14", {"boa"}),
    ("published:2023", {"d2023"}),
    ('published:"2024-04-14 10:00"', {"boa"}),
    ("published:2024-04-14T12:00+02:00", {"boa"}),
    ("published:>=2024-05-01", {"d0501", "d-5d", "d-3h"}),
    ("published:>2024-04", {"d0501", "d-5d", "d-3h"}),
    ("published:<2024-01-01", {"d2023"}),
    ("published:<=2024-01-01", {"d2023", "d0101"}),
    ("published:<2024-05", {"boa", "d2023", "d0101", "d0430"}),
    ("published:>= 2024-05-01", {"d0501", "d-5d", "d-3h"}),
    ("date:2024-04", {"boa", "d0430"}),
    ("published:(2023 OR 2024-04)", {"boa", "d0430", "d2023"}),
    ("dated published:[2024-04-01 TO 2024-04-30]", {"d0430"}),
])
def test_date_ranges(tiny, text, expected):
    assert ids(tiny, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("published:[now-7d TO now]", {"d-5d", "d-3h"}),
    ("published:>now-7d", {"d-5d", "d-3h"}),
    ("published:>now-4h", {"d-3h"}),
    ("published:>=now-1w", {"d-5d", "d-3h"}),
    ("published:>now-1M", {"boa", "d0430", "d0501", "d-5d", "d-3h"}),     # > 2024-04-10 12:00
    ("published:>now-1mo", {"boa", "d0430", "d0501", "d-5d", "d-3h"}),
    ("published:>now-1mo+5d", {"d0430", "d0501", "d-5d", "d-3h"}),
    ("published:[now-1y TO now-1mo]", {"d2023", "d0101"}),
    ("published:now/d", {"d-3h"}),
    ("published:now/M", {"d0501", "d-5d", "d-3h"}),
    ("published:[now-1M/M TO now-1M/M]", {"boa", "d0430"}),
    ("published:<now-120min", {"boa", "d2023", "d0101", "d0430", "d0501", "d-5d", "d-3h"}),
    ("published:<now-4h", {"boa", "d2023", "d0101", "d0430", "d0501", "d-5d"}),
])
def test_relative_dates_use_now(tiny, text, expected):
    assert ids(tiny, text) == expected


def test_relative_dates_move_with_now(tiny):
    then = datetime(2024, 4, 16, tzinfo=timezone.utc)
    assert ids(tiny, "published:[now-7d TO now]", now=then) == {"boa"}
    # A naive now is taken as UTC.
    assert ids(tiny, "published:[now-7d TO now]", now=then.replace(tzinfo=None)) == {"boa"}
    assert ids(tiny, "published:[now-7d TO now]", now=then - timedelta(days=3)) == set()


def test_date_range_excluding_april_drops_seed(news_index):
    assert ids(news_index, "missiles published:[2024-04-01 TO 2024-04-30]") == {"seed"}
    assert ids(news_index, "missiles published:[2024-05-01 TO *]") == set()
    assert ids(news_index, "missiles published:<2024-04") == set()
    assert ids(news_index, "missiles -published:2024-04") == set()


def test_parse_period_units():
    now = datetime(2024, 3, 31, 15, 30, tzinfo=timezone.utc)
    assert parse_period("now-1M", now)[0] == datetime(2024, 2, 29, 15, 30)     # clamped day
    assert parse_period("now/w", now) == (datetime(2024, 3, 25), datetime(2024, 4, 1))
    assert parse_period("now-1y-2mo+3d", now)[0] == datetime(2023, 2, 3, 15, 30)
    assert parse_period("9999", now)[1] == datetime.max
    with pytest.raises(DateValueError, match="ambiguous"):
        parse_period("now-3m", now)


# -- strict mode errors -----------------------------------------------------------------
@pytest.mark.parametrize("text, position, words", [
    ('"ballistic missiles', 0, ["unclosed quote"]),
    ('missiles "ballistic', 9, ["unclosed quote"]),
    ("(missiles OR iran", 0, ["unclosed '('"]),
    ("missiles)", 8, ["unmatched ')'"]),
    ("((a) b", 0, ["unclosed '('"]),
    ("missiles AND", 9, ["'AND'", "nothing after"]),
    ("missiles OR", 9, ["'OR'", "nothing after"]),
    ("AND missiles", 0, ["'AND'", "nothing before"]),
    ("missiles OR OR iran", 9, ["'OR'", "nothing after"]),
    ("missiles NOT", 9, ["'NOT'", "nothing after"]),
    ("(missiles NOT)", 10, ["'NOT'", "nothing after"]),
    ("missiles -", 9, ["'-'", "nothing after"]),
    ("missiles - iran", 9, ["'-'", "right before a word"]),
    ("()", 0, ["empty parentheses"]),
    ("title:", 0, ["'title:'", "no value"]),
    ("title: AND x", 0, ["'title:'", "no value"]),
    ("missiles title:", 9, ["'title:'", "no value"]),
    ("foo:bar", 0, ["unknown field 'foo'", "title", "body", "source", "category", "id",
                    "published"]),
    ("iran Tilte:israel", 5, ["unknown field 'Tilte'"]),
    ("published:2024-13-01", 10, ["invalid date '2024-13-01'", "month", "YYYY-MM-DD", "now-7d"]),
    ("published:yesterday", 10, ["invalid date 'yesterday'", "accepted"]),
    ("published:[2024-01-01 TO tomorrow]", 25, ["invalid date 'tomorrow'"]),
    ("published:[2024-01-01 TO 2024-04-30", 10, ["unclosed range bracket"]),
    ("published:[2024-01-01 2024-04-30]", 10, ["expected a range"]),
    ("published:>now-3m", 11, ["'m' is ambiguous", "mo"]),
    ("published:>now-3q", 11, ["unknown time unit 'q'"]),
    ("published:now-7d", 10, ["instant", "published:>now-7d"]),
    ("published:>=", 10, ["'>='", "needs a date"]),
    ("title:[a TO b]", 6, ["ranges work only on published"]),
    ("[2024 TO 2025]", 0, ["ranges work only on published"]),
    ("missle~5", 7, ["fuzzy edit distance", "'5'"]),
    ("missle~0.5", 7, ["fuzzy edit distance"]),
    ("israel^", 6, ["number after '^'"]),
    ('"ballistic missiles"~x', 20, ["after a phrase", "'~x'"]),
    ("(israel)^x", 8, ["^number after ')'"]),
    ("~", 0, ["no word before"]),
])
def test_malformed_query_raises_with_position(text, position, words):
    err = syntax_error(text)
    assert err.position == position, str(err)
    assert err.query == text
    message = str(err)
    assert f"position {position}" in message and repr(text) in message
    for word in words:
        assert word in message


def test_too_deep_nesting_is_a_syntax_error():
    err = syntax_error("(" * 200 + "x" + ")" * 200)
    assert "nests too deeply" in str(err)
    assert parse_query("-" * 500 + "x", build_schema(), lenient=True) is not None


def test_errors_are_searchcore_errors_through_index_search(news_index):
    with pytest.raises(searchcore.SearchcoreError, match="unknown field 'foo'"):
        news_index.search("foo:bar")


def test_invalid_match_mode_is_a_value_error():
    with pytest.raises(ValueError, match="match"):
        parse_query("x", build_schema(), match="some")


# -- lenient mode -----------------------------------------------------------------------
@pytest.mark.parametrize("text, same_as", [
    ('"ballistic missiles', "ballistic missiles"),
    ("(missiles OR israel", "missiles OR israel"),
    ("missiles)", "missiles"),
    ("missiles AND", "missiles"),
    ("OR missiles", "missiles"),
    ("missiles - israel", "missiles israel"),
    ("foo:missiles", "foo missiles"),
    ("title:", "title"),
    ("published:yesterday missiles", "yesterday missiles"),
    ("published:[2024-01 TO never] missiles", "never missiles"),
    ("missiles title:[iran TO israel]", "missiles iran israel"),
    ("missle~9", "missle~"),
    ("israel^ missiles", "israel missiles"),
    ("()missiles", "missiles"),
])
def test_lenient_reads_what_it_cannot_parse_as_words(news_index, text, same_as):
    assert ids(news_index, text, lenient=True) == ids(news_index, same_as, lenient=True)
    with pytest.raises(QuerySyntaxError):
        parse_query(text, news_index.searcher().schema, now=NOW)


def test_lenient_keeps_what_it_can_parse(news_index):
    assert ids(news_index, 'title:israel "ballistic missiles" foo:bar', lenient=True) == set()
    assert ids(news_index, 'title:israel "ballistic missiles" (', lenient=True) == {"seed"}
    assert ids(news_index, '-israel missiles "', lenient=True) == set()


def test_lenient_through_index_search(news_index):
    res = news_index.search('"ballistic missiles', lenient=True, snippets=0)
    assert [h.id for h in res.hits] == ["seed"]


# -- speed ------------------------------------------------------------------------------
def test_parse_is_cheap():
    schema = build_schema()
    text = ('(iran OR israel) "ballistic missiles"~2 -football title:attack source:"seed wire" '
            "missil* missle~ published:[now-7d TO now]")
    parse_query(text, schema, now=NOW)                    # warm the analyzer caches
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        parse_query(text, schema, now=NOW)
    per_parse_ms = (time.perf_counter() - started) / runs * 1000
    assert per_parse_ms < 2.0, per_parse_ms              # typically ~0.1 ms; slack for CI
