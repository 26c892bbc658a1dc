"""Did you mean, and fuzzy words that rank the closest, commonest forms first.

On real articles: the BBC sample (tests/data) and, when ../shared/data is present,
the Reuters-21578 articles that mention missiles, MISLED, cocoa or Coca-Cola.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from whoosh import query as wq

import searchcore
from searchcore.news.suggest import correction
from searchcore.query.fuzzy import expansion_boosts, similarity
from searchcore.execution.fuzzy import terms_within


@pytest.mark.parametrize("typed, meant", [
    ("goverment plans", "government plans"),
    ("mobiel phones", "mobile phones"),          # a transposition is one edit
    ('"prime minster"', '"prime minister"'),     # one edit from the word, three from its stem
])
def test_misspelt_words_are_corrected(news_index, typed: str, meant: str) -> None:
    res = news_index.search(typed)
    assert res.suggestion == meant
    assert news_index.search(meant).total > res.total
    assert res.to_dict()["suggestion"] == meant


@pytest.mark.parametrize("query", ["Blair", "government plans", "mobile phones",
                                   "title:goverment", "zzxxqq"])
def test_common_or_unfixable_words_are_left_alone(news_index, query: str) -> None:
    res = news_index.search(query)
    assert res.suggestion is None
    assert "suggestion" not in res.to_dict()


def test_a_word_in_many_articles_is_never_corrected(news_index) -> None:
    searcher = news_index.searcher()
    common = ["said", "year", "people", "film", "game", "firm", "sales"]
    for word in common:
        assert news_index.search(word, snippets=0).total >= 20, word
        assert correction(searcher, word) is None, word
    # A rare word one edit from a far commoner one is corrected ("sad" -> "said").
    assert correction(searcher, "sad") == "said"


def test_suggest_can_be_switched_off(news_index) -> None:
    assert news_index.search("goverment", suggest=False).suggestion is None


def test_long_generated_queries_get_no_suggestion(news_index) -> None:
    """Did-you-mean serves typed queries: past MAX_WORDS words it is not attempted (a
    600-word OR spent seconds correcting each word), up to it it still is."""
    from searchcore.news.suggest import MAX_WORDS

    filler = ["film", "music", "game", "sales", "people", "year"] * MAX_WORDS
    typed = " OR ".join(["goverment"] + filler[:MAX_WORDS - 1])
    assert news_index.search(typed, snippets=0).suggestion.startswith("government OR ")
    longer = " OR ".join(["goverment"] + filler[:MAX_WORDS])
    assert news_index.search(longer, snippets=0).suggestion is None


def test_cli_prints_did_you_mean_with_the_command(news_index_path: Path) -> None:
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    result = CliRunner().invoke(cli, ["--index", str(news_index_path), "search", "goverment"])
    assert result.exit_code == 0
    assert "Did you mean: government" in result.output
    assert "searchcore search government" in result.output
    data = orjson.loads(CliRunner().invoke(
        cli, ["--index", str(news_index_path), "search", "goverment", "--json"]).output)
    assert data["suggestion"] == "government"


def test_stock_whoosh_segment_readers_still_miss_transpositions(news_index) -> None:
    """Why fuzzy terms come from the side dictionary (execution/fuzzy.py) and never from
    whoosh's term walk: documented Damerau, found Levenshtein."""
    searcher = news_index.searcher()
    reader = searcher.reader()
    assert ("body", "mobil") in reader
    assert "mobil" not in set(reader.terms_within("body", "mboil", 1))
    assert "mobil" in set(terms_within(searcher, "body", "mboil", 1))


def test_expansions_are_weighted_by_similarity_and_frequency() -> None:
    assert similarity("missl", "missil") == pytest.approx(0.8)
    boosts = expansion_boosts("missl", {"missil": 150, "misl": 3}, doc_count=20_000)
    assert boosts["missil"] > 2 * boosts["misl"]
    # Lucene's blend: a rarer expansion is not scored up by its own idf.
    same = expansion_boosts("abcde", {"abcdf": 10, "abcdg": 1000}, doc_count=20_000)
    assert same["abcdg"] > same["abcdf"]


@pytest.fixture(scope="module")
def reuters_fuzzy_index(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pattern = re.compile(r"missile|misled|missing|cocoa|coca", re.I)
    docs = [orjson.loads(line) for line in
            (shared_data / "reuters21578" / "docs.jsonl").read_bytes().splitlines()]
    docs = [d for d in docs if d.get("body")]
    chosen = [d for d in docs if pattern.search(d["title"] + " " + d["body"])] + docs[:500]
    path = tmp_path_factory.mktemp("reuters-fuzzy") / "index"
    with searchcore.create_index(path) as ix:
        ix.add({d["id"]: d for d in chosen}.values())
    return path


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_missle_fuzzy_ranks_missiles_above_misled(reuters_fuzzy_index: Path) -> None:
    with searchcore.open_index(reuters_fuzzy_index) as ix:
        res = ix.search("missle~", limit=10, snippets=0)
        assert res.total > 10
        top = [ix.get(h.id) for h in res.hits]
        assert all(words(a.title + " " + a.body) & {"missile", "missiles"} for a in top)
        misled = ix.search("misled", snippets=0)
        assert misled.total >= 1                          # it is there, just not first
        assert not {h.id for h in misled.hits} & {h.id for h in res.hits[:5]}


def test_cocao_fuzzy_finds_cocoa_first(reuters_fuzzy_index: Path) -> None:
    with searchcore.open_index(reuters_fuzzy_index) as ix:
        res = ix.search("cocao~", limit=10, snippets=0)
        top = [ix.get(h.id) for h in res.hits]
        assert len(top) == 10
        assert all("cocoa" in words(a.title + " " + a.body) for a in top)
        # Stock whoosh: the transposition is missed and only Coca-Cola is found.
        stock = ix.searcher().search(wq.FuzzyTerm("body", "cocao", maxdist=1, prefixlength=1),
                                     limit=None)
        assert stock and not any("cocoa" in words(h["body"]) for h in stock)
        assert res.suggestion is None                     # an explicit fuzzy word
        assert ix.search("cocao").suggestion == "cocoa"


def test_side_dictionary_fuzzy_terms_are_the_osa_neighbourhood(news_index_path) -> None:
    """The suggestion's candidates (side term dictionary, numpy) are exactly the terms
    within the OSA Damerau distance that whoosh's own distance function measures."""
    from whoosh.support.levenshtein import damerau_levenshtein

    with searchcore.open_index(news_index_path) as ix:
        searcher = ix.searcher()
        lexicon = [t.decode() for t in searcher.reader().lexicon("body")]
        for word in ("mboil", "governmnet", "elecion", "tax", "brwon"):
            for dist in (1, 2):
                want = sorted(t for t in lexicon if t[:1] == word[:1]
                              and damerau_levenshtein(word, t) <= dist)
                assert terms_within(searcher, "body", word, dist, prefix=1) == want
