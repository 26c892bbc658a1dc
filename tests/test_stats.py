"""The index's own statistics from the side postings are whoosh's, and the executor
given another collection's numbers scores a part of it as the whole would."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import bbc_articles

import searchcore
from searchcore.engine import flatten
from searchcore.execution.executor import Executor
from searchcore.execution.stats import local_stats
from searchcore.scoring.stats import CollectionStats
from searchcore.query.parser import parse_query


def test_local_stats_are_whooshs(news_index: searchcore.Index) -> None:
    searcher = news_index.searcher()
    stats = local_stats(searcher)
    assert stats.doc_count_all() == searcher.doc_count_all()
    for name in ("title", "body"):
        assert stats.avg_field_length(name) == pytest.approx(searcher.avg_field_length(name))
        for i, (btext, _) in enumerate(searcher.reader().iter_field(name)):
            if i % 7 == 0:
                assert stats.doc_frequency(name, btext) == searcher.doc_frequency(name, btext)
    assert stats.doc_frequency("body", b"nosuchwordanywhere") == 0


@pytest.mark.parametrize("query", ["government", "tax OR budget", '"prime minister"',
                                   "election -labour"])
def test_a_part_scored_with_the_wholes_stats_scores_as_the_whole(tmp_path: Path,
                                                                 query: str) -> None:
    articles = bbc_articles()[:240]
    with searchcore.create_index(tmp_path / "whole") as whole, \
            searchcore.create_index(tmp_path / "part") as part:
        whole.add(articles)
        part.add(articles[:120])
        big, small = whole.searcher(), part.searcher()
        q = flatten(parse_query(query, small.schema))
        wanted = {big.stored_fields(int(d))["id"]: s for d, s in
                  zip(*_hits(Executor(big, big.weighting).run(q)))}
        mine = local_stats(big)
        given = CollectionStats(documents=mine.doc_count_all(),
                                field_lengths=dict(mine.field_lengths), lookup=mine.doc_frequency)
        got = {small.stored_fields(int(d))["id"]: s for d, s in
               zip(*_hits(Executor(small, small.weighting, stats=given).run(q)))}
        local = {small.stored_fields(int(d))["id"]: s for d, s in
                 zip(*_hits(Executor(small, small.weighting).run(q)))}
    assert got and set(got) <= set(wanted)
    for article_id, score in got.items():
        assert score == pytest.approx(wanted[article_id], rel=1e-12)
    assert any(local[a] != pytest.approx(wanted[a], rel=1e-6) for a in got)


def _hits(hits):  # type: ignore[no-untyped-def]
    return hits.docs.tolist(), hits.scores.tolist()


def test_looked_up_frequencies_are_kept_within_a_bound() -> None:
    """A long-lived index asked about ever new words keeps at most MEMO_LIMIT of their
    document frequencies; the ones gathered up front (a shard's) are never dropped."""
    from searchcore.scoring.stats import MEMO_LIMIT

    asked: list[bytes] = []

    def lookup(fieldname: str, btext: bytes) -> int:
        asked.append(btext)
        return len(btext)

    stats = CollectionStats(documents=10, field_lengths={"body": 100.0},
                            frequencies={("body", b"given"): 7}, lookup=lookup)
    for i in range(MEMO_LIMIT + 10):
        assert stats.doc_frequency("body", f"w{i}".encode()) == len(f"w{i}")
    assert len(stats.memo) <= MEMO_LIMIT
    assert stats.doc_frequency("body", b"given") == 7 and b"given" not in asked
    before = len(asked)
    assert stats.doc_frequency("body", f"w{MEMO_LIMIT + 9}") == len(f"w{MEMO_LIMIT + 9}")
    assert len(asked) == before                      # the latest ones are still kept
