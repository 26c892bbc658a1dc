"""searchcore.scoring.bulk: plain word queries scored a posting list at a time must give
exactly what whoosh's matchers give (documents, order, totals, scores), on real indexes."""

import pytest
from whoosh import collectors

import searchcore
from conftest import bbc_articles
from searchcore.scoring import bulk as bulk_scoring
from searchcore.engine import flatten
from searchcore.query.parser import parse_query
from searchcore.scoring.ranking import RankingConfig, weighting

QUERIES = ["said", "government minister", "said OR year", "people film music",
           "title:election labour", "blair^2 brown", "zzzunknown said", "game OR zzzunknown",
           "election AND title:labour"]


def through_whoosh(searcher, q, allowed, limit):
    """The same search through whoosh's matcher tree and collector (the reference)."""
    collector = collectors.TopCollector(limit, usequality=False, replace=0)
    if allowed is not None:
        collector = collectors.FilterCollector(collector, allow=allowed)
    searcher.search_with_collector(q, collector)
    results = collector.results()
    return [(hit.docnum, hit.score) for hit in results[:limit]], len(results)


def assert_same(searcher, text, match, allowed=None, limit=10):
    q = flatten(parse_query(text, searcher.schema, match=match,
                            field_weights=RankingConfig().field_weights))
    fast = bulk_scoring.top_documents(searcher, q, allowed, limit)
    assert fast is not None, f"{text!r} should be eligible"
    (best, total), (ref, ref_total) = fast, through_whoosh(searcher, q, allowed, limit)
    assert total == ref_total
    assert [d for d, _ in best] == [d for d, _ in ref]
    assert [s for _, s in best] == pytest.approx([s for _, s in ref], rel=1e-12)


@pytest.mark.parametrize("match", ["any", "all"])
@pytest.mark.parametrize("text", QUERIES)
def test_same_results_as_whoosh_matchers(news_index, text, match):
    assert_same(news_index.searcher(), text, match, limit=25)


def test_filters_deletions_and_segments(tmp_path):
    """Several segments, deleted documents and a filter set: still whoosh's answer."""
    articles = bbc_articles()
    with searchcore.create_index(tmp_path / "ix") as ix:
        for start in range(0, len(articles), 60):
            ix.add(articles[start:start + 60])
        ix.delete([a["id"] for a in articles[::7]])
        searcher = ix.searcher()
        assert len(ix.whoosh_index._segments()) > 1 and searcher.reader().has_deletions()
        allowed = set(range(0, searcher.doc_count_all(), 3))
        for text in ("said", "government minister", "film OR music OR game"):
            for match in ("any", "all"):
                assert_same(searcher, text, match)
                assert_same(searcher, text, match, allowed=allowed)
        # And the engine's own search takes the same answer.
        res = ix.search("government minister", match="any", limit=5)
        assert res.total == through_whoosh(searcher, flatten(parse_query(
            "government minister", searcher.schema, match="any",
            field_weights=RankingConfig().field_weights)), None, 5)[1]


def test_ties_break_by_document_number_and_pages_continue(tmp_path):
    same = [{"id": f"t{i}", "title": "Identical headline", "body": "identical body text"}
            for i in range(30)]
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(same)
        first = ix.search("identical", limit=10)
        second = ix.search("identical", limit=10, page=2)
        assert first.total == 30
        assert [h.id for h in first.hits + second.hits] == [f"t{i}" for i in range(20)]


def test_what_is_not_plain_words_goes_through_whoosh(news_index):
    searcher = news_index.searcher()
    schema = searcher.schema
    for text in ('"prime minister"', "minist*", "said -year", "elction~", "said OR (year AND film)",
                 "published:2005", "the"):
        q = flatten(parse_query(text, schema, match="any"))
        assert bulk_scoring.top_documents(searcher, q, None, 10) is None, text
    plain = flatten(parse_query("said", schema))
    recency = searcher.__class__(searcher.reader(), closereader=False,
                                 weighting=weighting(RankingConfig(recency_half_life_days=30)))
    assert bulk_scoring.top_documents(recency, plain, None, 10) is None
    per_field = searcher.__class__(searcher.reader(), closereader=False,
                                   weighting=weighting(RankingConfig(field_scoring="sum")))
    assert bulk_scoring.top_documents(per_field, plain, None, 10) is None


def test_documents_without_a_title_at_the_end_of_a_segment(tmp_path):
    """whoosh's length column stops at the last document that has the field."""
    articles = [{"id": f"t{i}", "title": f"Harbour story {i}", "body": "harbour news " * (i + 1)}
                for i in range(5)]
    articles += [{"id": f"u{i}", "title": "", "body": "harbour " * (i + 2)} for i in range(5)]
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles)
        searcher = ix.searcher()
        for text in ("harbour", "harbour news", "title:harbour"):
            assert_same(searcher, text, "any")
