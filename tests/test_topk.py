"""Top-k pruning (MaxScore, searchcore.execution.topk) against the exhaustive search
and whoosh's matchers, on a real multi-segment index with deletions and dates.

With ``exact_total=False`` an OR query sorted by relevance may skip documents that
cannot make the page: the hits must be the same documents in the same order with the
same scores as counting everything (bit for bit) and as whoosh's matchers (within
1e-9), and ``total`` a lower bound flagged ``total_is_exact=False`` when something was
skipped. Queries are generated from the index's own vocabulary: one rare, one mid
and one common word, the shape where pruning pays.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_executor import segmented_index  # noqa: F401  (a fixture)

import searchcore
from searchcore.cli.main import cli as cli_main
from searchcore.execution.postings import segment_postings
from searchcore.scoring.ranking import RankingConfig
from searchcore.whoosh_boundary.segments import leaf_readers

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


pytestmark = pytest.mark.usefixtures("prune_small_indexes")


@pytest.fixture(scope="module")
def index_path(segmented_index: Path) -> Path:
    """test_executor's index: several segments, dates, replacements, deletions."""
    return segmented_index


def _or_queries(ix: searchcore.Index, count: int) -> list[str]:
    """OR queries of a rare, a mid and a common body word (as written in articles:
    stems of plain words analyse to themselves often enough; lenient parsing)."""
    reader, _ = leaf_readers(ix.searcher())[0]
    fp = segment_postings(reader).field("body")
    df = np.array([fp.df(i) for i in range(len(fp))])
    words = [fp.term(i).decode() for i in range(len(fp))]
    bands = [[w for w, d in zip(words, df) if lo <= d < hi and w.isalpha() and len(w) > 3]
             for lo, hi in ((1, 4), (4, 30), (30, 150))]
    rng = random.Random(9)
    return [" OR ".join(rng.choice(band) for band in bands) for _ in range(count)]


def _run(ix: searchcore.Index, text: str, arrays: bool = True, **kwargs):
    ix.array_execution = arrays
    try:
        return ix.search(text, snippets=0, now=NOW, lenient=True, suggest=False, **kwargs)
    finally:
        ix.array_execution = True


CASES = [{}, {"limit": 3}, {"page": 2, "limit": 5}, {"source": "Wire 1"},
         {"since": "2014-01-01"}, {"ranking": RankingConfig(recency_half_life_days=365)},
         {"ranking": RankingConfig(k1=0.9, b=0.4, idf="whoosh")}]


def pruned_like_exhaustive(ix: searchcore.Index, text: str, **kwargs: object) -> bool:
    """Assert that the pruned search of ``text`` shows what counting everything shows
    (bit for bit) and what whoosh's matchers show (within 1e-9), its total a lower
    bound when flagged so; return whether anything was skipped."""
    fast = _run(ix, text, exact_total=False, **kwargs)
    full = _run(ix, text, exact_total=True, **kwargs)
    ref = _run(ix, text, arrays=False, **kwargs)
    assert [(h.id, h.score) for h in fast.hits] == [(h.id, h.score) for h in full.hits], text
    assert [h.id for h in fast.hits] == [h.id for h in ref.hits], text
    assert [h.score for h in fast.hits] == pytest.approx([h.score for h in ref.hits],
                                                         rel=1e-9), text
    assert full.total_is_exact and full.total == ref.total
    if fast.total_is_exact:
        assert fast.total == full.total
        return False
    assert len(fast.hits) <= fast.total < full.total
    assert fast.to_dict()["total_is_exact"] is False
    return True


@pytest.mark.parametrize("kwargs", CASES)
def test_pruned_hits_equal_exhaustive_and_whoosh(index_path: Path, kwargs: dict) -> None:
    pruned_some = False
    with searchcore.open_index(index_path) as ix:
        for text in _or_queries(ix, 25):
            pruned_some |= pruned_like_exhaustive(ix, text, **kwargs)
    # A narrow filter leaves too few candidates to prune among (25 queries here), and
    # the recency factor (down to 0.5) lowers the threshold below the ceilings.
    recency = "ranking" in kwargs and kwargs["ranking"].recency_half_life_days
    if "source" not in kwargs and not recency:
        assert pruned_some, "nothing was pruned: the test tests nothing"


MIXED = ['"prime minister" OR tax OR budget', 'tax OR "gordon brown" OR election^2',
         "title:election OR tax OR economy", "govern* OR tax OR election",
         "(tax OR budget) OR (labour OR growth)", "tax OR budget -election",
         "tax^0.5 OR budget^3 OR said", "source:bbc OR tax", "AT&T OR \"1.5 billion\" OR tax",
         "tax OR -budget", "election OR nosuchwordanywhere OR tax"]


@pytest.mark.parametrize("text", MIXED)
def test_pruning_ors_of_other_forms(index_path: Path, text: str) -> None:
    """Phrases, boosts, fields, prefixes and negations among an OR's clauses: those
    without a word ceiling are scored over all their matches, the rest may be pruned."""
    with searchcore.open_index(index_path) as ix:
        for kwargs in ({}, {"limit": 3}):
            fast = _run(ix, text, exact_total=False, **kwargs)
            full = _run(ix, text, exact_total=True, **kwargs)
            ref = _run(ix, text, arrays=False, **kwargs)
            assert [(h.id, h.score) for h in fast.hits] == [(h.id, h.score) for h in full.hits]
            assert [h.id for h in fast.hits] == [h.id for h in ref.hits]
            assert fast.total == full.total if fast.total_is_exact else fast.total <= full.total


def test_what_needs_every_match_is_never_pruned(index_path: Path) -> None:
    """Facets and date sorts count every match (story collapse may prune: test_collapse)."""
    with searchcore.open_index(index_path) as ix:
        text = next(t for t in _or_queries(ix, 25)
                    if not _run(ix, t, exact_total=False).total_is_exact)
        full = _run(ix, text).total
        for kwargs in ({"facets": ["source"]}, {"sort": "newest"},
                       {"facets": ["source"], "collapse": True}):
            res = _run(ix, text, exact_total=False, **kwargs)
            counted = res.total_articles if kwargs.get("collapse") else res.total
            assert res.total_is_exact and counted == full, kwargs


def test_cli_counts_exactly_only_when_asked(index_path: Path) -> None:
    with searchcore.open_index(index_path) as ix:
        text = next(t for t in _or_queries(ix, 25)
                    if not _run(ix, t, exact_total=False).total_is_exact)
        full = _run(ix, text).total
    runner = CliRunner()
    fast = runner.invoke(cli_main, ["--index", str(index_path), "search", "--lenient", "--json",
                                    text], catch_exceptions=False)
    exact = runner.invoke(cli_main, ["--index", str(index_path), "search", "--lenient", "--json",
                                     "--exact-total", text], catch_exceptions=False)
    assert fast.exit_code == exact.exit_code == 0
    import orjson

    a, b = orjson.loads(fast.stdout), orjson.loads(exact.stdout)
    assert a["total_is_exact"] is False and a["total"] < full
    assert b["total_is_exact"] is True and b["total"] == full
    assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]]


def test_short_ors_are_scored_whole(index_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below topk.WHOLE_BELOW postings an OR is scored whole even when pruning is
    allowed: the same hits, and the total exact."""
    from searchcore.execution import topk

    monkeypatch.setattr(topk, "WHOLE_BELOW", 10**9)
    with searchcore.open_index(index_path) as ix:
        for text in _or_queries(ix, 5):
            fast = _run(ix, text, exact_total=False)
            full = _run(ix, text, exact_total=True)
            assert fast.total_is_exact and fast.total == full.total
            assert [(h.id, h.score) for h in fast.hits] == [(h.id, h.score) for h in full.hits]
