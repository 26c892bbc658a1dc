"""Significant terms on the BBC fixture: counts checked against the stored articles.

No ranked list is pinned (that would only echo the implementation); what is checked
is what the output promises: counts in the matches and in the index equal a count
over the stored articles, the shown form is a real written form of the term, the
query's own words and stop words are absent, scores are ordered, a sample says so.
"""

from __future__ import annotations

import math

import orjson
import pytest
from click.testing import CliRunner

from searchcore.cli.main import cli
from searchcore.news.terms import TermsError, log_likelihood
from whoosh.lang.stopwords import stoplists


def body_terms(ix, article_id: str) -> set[str]:
    analyzer = ix.searcher().schema["body"].analyzer
    return set(analyzer.terms(ix.get(article_id).body))


@pytest.mark.parametrize("query,filters", [("football", {}), ("*", {"category": "business"}),
                                           ("election OR minister", {}), ("film", {})])
def test_counts_and_forms_match_the_stored_articles(news_index, query, filters) -> None:
    res = news_index.significant_terms(query, limit=15, **filters)
    assert res.terms and not res.sampled
    total = news_index.search(query, limit=1, **filters).total
    assert res.total == res.read == total
    ids = [h.id for h in news_index.search(query, limit=total, snippets=0, **filters).hits]
    match_terms = [body_terms(news_index, i) for i in ids]
    all_ids = [h.id for h in news_index.search("*", limit=len(news_index), snippets=0).hits]
    index_terms = [body_terms(news_index, i) for i in all_ids]
    analyzer = news_index.searcher().schema["body"].analyzer
    own = set(analyzer.terms(query.replace("OR", "")))
    stops = set(stoplists["en"])
    for t in res.terms:
        words = t.term.split(" ")
        assert analyzer.terms(t.text) == words, t            # the form is the term, unstemmed
        assert not set(words) <= own and t.text.lower() not in stops
        if t.kind == "word":
            assert t.matches == sum(t.term in terms for terms in match_terms)
            assert t.index == sum(t.term in terms for terms in index_terms)
        else:
            assert t.index >= t.matches and not t.index_estimated
    assert [t.score for t in res.terms] == sorted((t.score for t in res.terms), reverse=True)


def test_a_big_match_set_is_sampled_and_says_so(news_index) -> None:
    res = news_index.significant_terms("said", sample=40, limit=5)
    assert res.sampled and res.read == 40 and res.total > 40
    out = CliRunner().invoke(cli, ["--index", str(news_index.path), "terms", "said",
                                   "--sample", "40", "-n", "5"], catch_exceptions=False)
    assert out.exit_code == 0
    assert f"a sample of 40 of the {res.total:,} matching articles" in out.output


def test_cli_terms_json(news_index) -> None:
    out = CliRunner().invoke(cli, ["--index", str(news_index.path), "terms", "football",
                                   "--json", "--words-only"], catch_exceptions=False)
    doc = orjson.loads(out.output)
    assert set(doc) == {"query", "total", "read", "sampled", "documents", "measure", "terms"}
    assert doc["terms"] and all(t["kind"] == "word" for t in doc["terms"])
    assert doc == news_index.significant_terms("football", phrases=False).to_dict()


def test_nothing_matching_gives_no_terms(news_index) -> None:
    res = news_index.significant_terms("zzzunknownword")
    assert res.total == 0 and res.terms == ()
    with pytest.raises(TermsError):
        news_index.significant_terms("said", limit=0)


def test_log_likelihood_is_dunnings_g2() -> None:
    # 2x2 table from Dunning (1993)'s worked style: compare with the closed form.
    a, b, c, d = 10, 90, 20, 9880
    n = a + b + c + d
    expected = 2 * sum(o * math.log(o / e) for o, e in [
        (a, (a + b) * (a + c) / n), (b, (a + b) * (b + d) / n),
        (c, (c + d) * (a + c) / n), (d, (c + d) * (b + d) / n)])
    assert log_likelihood(a, b, c, d) == pytest.approx(expected)
    assert log_likelihood(5, 95, 50, 950) == pytest.approx(0.0, abs=1e-9)   # same rates
