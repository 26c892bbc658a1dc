"""Block-max top-k for one word (searchcore.execution.blocks, topk.best_word) against
the exhaustive search and whoosh's matchers, on a real multi-segment index.

The index is written with small blocks (8 postings, for every list of 16 or more) so
that the 300 BBC articles have long lists to prune; the writers, the bounds and the
search are the ones a big index uses (4,096 and 128 there). With
``exact_total=False`` a one-word search may skip blocks that cannot make the page:
the hits must be the same documents in the same order with the same scores as
counting everything (bit for bit) and as whoosh's matchers (within 1e-9).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bbc_articles, seed_article
from test_columns import dated
from test_topk import _run, pruned_like_exhaustive

import searchcore
from searchcore.execution import blocks
from searchcore.execution.postings import segment_postings
from searchcore.execution.segment_arrays import field_lengths
from searchcore.scoring.ranking import RankingConfig
from searchcore.whoosh_boundary.segments import leaf_readers

pytestmark = pytest.mark.usefixtures("prune_small_indexes")


@pytest.fixture(scope="module")
def blocked_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bulk-written and whoosh-written (merged) segments, replacements, deletions,
    every list of 16+ postings in blocks of 8."""
    path = tmp_path_factory.mktemp("blocks") / "index"
    articles = dated(bbc_articles())
    saved = blocks.MIN_DF, blocks.BLOCK
    blocks.MIN_DF, blocks.BLOCK = 16, 8
    try:
        with searchcore.create_index(path) as ix:
            ix.add(articles[:150])                      # the bulk writer
            for start in range(150, 300, 50):
                ix.add(articles[start:start + 50])      # whoosh's writer, merges
            ix.add(articles[100:103])                   # replacements: deletions
            ix.add([seed_article()])
            ix.delete([articles[7]["id"], articles[160]["id"]])
    finally:
        blocks.MIN_DF, blocks.BLOCK = saved
    return path


def _words(ix: searchcore.Index) -> list[str]:
    """Body words with long lists (blocked) and a few short ones (not)."""
    reader, _ = leaf_readers(ix.searcher())[0]
    fp = segment_postings(reader).field("body")
    df = np.array([fp.df(i) for i in range(len(fp))])
    words = [fp.term(i).decode() for i in range(len(fp))]
    long = [w for w, d in zip(words, df) if d >= 16 and w.isalpha() and len(w) > 2]
    short = [w for w, d in zip(words, df) if 2 <= d < 16 and w.isalpha() and len(w) > 3]
    return long[::max(1, len(long) // 40)] + short[:5]


def test_the_writers_write_bounds_that_bound(blocked_index: Path) -> None:
    """Every segment (bulk-written and whoosh-written) has blocks for its long lists,
    and each block's row is its postings' largest frequency, shortest length, last
    document and largest ``tf / (c + length)`` per grid point: ceilings that hold."""
    with searchcore.open_index(blocked_index) as ix:
        segments = blocked = 0
        for reader, _ in leaf_readers(ix.searcher()):
            fp = segment_postings(reader).field("body")
            fb = blocks.segment_blocks(reader).field("body", len(fp))
            assert fb is not None and fb.block == 8
            lengths = field_lengths(reader, "body")
            for i in range(len(fp)):
                docs, tf = fp.postings(i)
                rows = fb.of_term(i, len(docs))
                if len(docs) < 16:
                    assert rows is None
                    continue
                blocked += 1
                assert len(rows) == -(-len(docs) // 8)
                for j, row in enumerate(rows):
                    d, t = docs[j * 8:(j + 1) * 8], tf[j * 8:(j + 1) * 8].astype(np.float64)
                    assert tuple(row[:3]) == (t.max(), lengths[d].min(), d[-1])
                    assert list(row[3:]) == [(t / (c + lengths[d])).max() for c in blocks.GRID]
                    # Whatever b and average length a search uses, no posting exceeds
                    # the block's ceiling.
                    for b, avg in ((0.75, 150.0), (0.9, 8.0), (0.3, 40.0), (0.0, 1.0), (1.0, 99.0)):
                        norm = t / (1.0 - b + b * lengths[d] / avg)
                        assert norm.max() <= blocks.ceilings(row[None, :], b, avg)[0] * (1 + 1e-12)
            segments += 1
        assert segments > 1 and blocked


CASES = [{}, {"limit": 3}, {"page": 2, "limit": 5}, {"source": "Wire 1"},
         {"since": "2014-01-01"}, {"ranking": RankingConfig(recency_half_life_days=365)},
         {"ranking": RankingConfig(k1=0.9, b=0.4, title_b=0.2, idf="whoosh")}]


@pytest.mark.parametrize("kwargs", CASES)
def test_block_max_hits_equal_exhaustive_and_whoosh(blocked_index: Path, kwargs: dict) -> None:
    pruned = 0
    with searchcore.open_index(blocked_index) as ix:
        for text in _words(ix):
            pruned += pruned_like_exhaustive(ix, text, **kwargs)
    # A narrow filter leaves few documents to rank, and the recency factor (down to
    # 0.5) lowers the threshold below the bounds.
    recency = "ranking" in kwargs and kwargs["ranking"].recency_half_life_days
    if "source" not in kwargs and not recency:
        assert pruned, "no block was skipped: the test tests nothing"


def test_a_word_whose_blocks_cannot_prune_is_scored_whole(
        blocked_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When, after a round of blocks, those that can still hold one of the k best are
    more than ``topk.BLOCKS_WORTH`` of a word's blocks, block-max gives up and the
    word is scored whole (block by block would cost more): the same hits either way,
    the total then exact. The smaller the share, the fewer words stay pruned."""
    from searchcore.execution import topk

    def pruned_words(share: float) -> set[str]:
        monkeypatch.setattr(topk, "BLOCKS_WORTH", share)
        return {w for w in words if pruned_like_exhaustive(ix, w)}

    share = topk.BLOCKS_WORTH
    with searchcore.open_index(blocked_index) as ix:
        words = _words(ix)
        never, default, always = pruned_words(1.0), pruned_words(share), pruned_words(0.0)
    assert always <= default <= never
    assert always != never, "no word gave up: the test tests nothing"


def test_an_index_without_blocks_answers_the_same(blocked_index: Path, tmp_path: Path) -> None:
    """Block files are optional (an index written before them has none) and input
    (damaged ones are not trusted): either way the hits are the exhaustive ones."""
    import shutil

    with searchcore.open_index(blocked_index) as ix:
        words = _words(ix)[:12]
        want = {w: [(h.id, h.score) for h in _run(ix, w, exact_total=True).hits] for w in words}
    gone, bad = tmp_path / "gone", tmp_path / "bad"
    shutil.copytree(blocked_index, gone)
    shutil.copytree(blocked_index, bad)
    for path in gone.rglob("*.spbk_*"):
        path.unlink()
    for path in bad.rglob("*.spbk_body_bounds.npy"):
        values = np.load(path)
        rows = values.reshape(-1, blocks.ROW)
        rows[:, 0], rows[:, 3:] = 0.0, 0.0       # every ceiling zero: would skip all,
        rows[:, 2] = 10.0 ** 9                   # but the last documents are out of range
        np.save(path, values)
    for copy in (gone, bad):
        with searchcore.open_index(copy) as ix:
            for w in words:
                assert [(h.id, h.score) for h in _run(ix, w, exact_total=False).hits] == want[w], w


def test_index_check_recomputes_the_bounds(blocked_index: Path, tmp_path: Path) -> None:
    """A block bound below its postings' (a top-k search would skip a document it must
    return) is named by ``index check``; intact bounds pass."""
    import shutil

    from searchcore.cli.check_cmd import check_index

    copy = tmp_path / "index"
    shutil.copytree(blocked_index, copy)
    with searchcore.open_index(copy) as ix:
        assert check_index(ix).ok
        target = max((ix.path / ix.manifest["generation"]).glob("*.spbk_body_bounds.npy"),
                     key=lambda p: p.stat().st_size)     # a segment with long lists
    bounds = np.load(target)
    bounds[0] = bounds[0] / 2                  # the first block's largest frequency
    np.save(target, bounds)
    with searchcore.open_index(copy) as ix:
        report = check_index(ix)
    assert not report.ok
    assert any("block bounds of body" in p and "differ" in p for p in report.problems), \
        report.problems


def test_scores_among_a_few_documents_read_only_their_blocks(blocked_index: Path) -> None:
    """``scored_among`` (what scores the copies of a collapsed pruned page): each
    document scored as the whole lists score it, bit for bit, whether the executor
    read the lists already (it ran the query) or reads only the blocks that can hold
    the documents (:meth:`Executor.postings_among`), which is then fewer postings."""
    import random

    from searchcore.engine import flatten
    from searchcore.execution.executor import Executor
    from searchcore.execution.search import matches_by, scored_among
    from searchcore.query.parser import parse_query

    rng = random.Random(4)
    fewer = 0
    with searchcore.open_index(blocked_index) as ix:
        searcher = ix.searcher()
        words = _words(ix)
        texts = words[:15] + [" OR ".join(rng.sample(words, 2)) for _ in range(5)]
        for text in texts:
            q = flatten(parse_query(text, searcher.schema, lenient=True))
            whole = Executor(searcher, searcher.weighting).run(q)
            if not len(whole):
                continue
            score_of = dict(zip(whole.docs.tolist(), whole.scores.tolist()))
            for n in (1, 3, 12):
                picked = rng.sample(whole.docs.tolist(), min(n, len(whole)))
                others = rng.sample(range(searcher.doc_count_all()), n)      # matches or not
                docs = np.unique(np.array(picked + others, dtype=np.int64))
                want = [(d, score_of[d]) for d in docs.tolist() if d in score_of]
                fresh = Executor(searcher, searcher.weighting)
                ran = matches_by(searcher, q, None, "relevance", 3, False)[4]
                for executor in (fresh, ran):
                    got = scored_among(searcher, q, None, docs, executor)
                    assert got is not None
                    assert list(zip(got[0].tolist(), got[1].tolist())) == want, text
            if " " not in text:
                every = Executor(searcher, searcher.weighting).postings("body", text.encode())
                at = np.sort(np.array(rng.sample(range(len(every[0])), min(2, len(every[0])))))
                read = Executor(searcher, searcher.weighting).postings_among(
                    "body", text.encode(), every[0][at])
                fewer += len(read[0]) < len(every[0])
                inside = np.searchsorted(read[0], every[0][at])
                assert (read[0][inside] == every[0][at]).all()          # the postings of
                assert (read[1][inside] == every[1][at]).all()          # those documents
    assert fewer, "no list was read by blocks: the test tests nothing"
