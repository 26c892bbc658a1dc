"""``search(collapse=True)`` against a brute-force grouping of the uncollapsed ranking.

The reference: every hit of the same search without collapse (one long page, exact
total), grouped by ``ix.stories().story_id`` in rank order -- a story's first hit is
the one shown, its other hits are its copies, in rank order. Collapse must give
exactly that for every page, sort, filter, cursor walk and with pruning
(``exact_total=False``, where only the totals may be lower bounds), on real on-disk
indexes: the BBC sample with made copies (several segments, deletions), and
Reuters-21578's first articles (its own duplicates) where ../shared is present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import searchcore

from test_stories import corpus, long_articles

NOW = "2030-01-01T00:00:00+00:00"


pytestmark = pytest.mark.usefixtures("prune_small_indexes")


@pytest.fixture(scope="module")
def bbc_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The BBC sample with five articles' variants, in three adds (three segments),
    two articles deleted (one of them a story's best copy)."""
    path = tmp_path_factory.mktemp("collapse") / "index"
    articles = corpus()
    with searchcore.create_index(path) as ix:
        third = len(articles) // 3
        ix.add(articles[:third])
        ix.add(articles[third:2 * third])
        ix.add(articles[2 * third:])
        ix.delete(articles[7]["id"])
        ix.delete(long_articles()[23]["id"])
    return path


def reference(ix: searchcore.Index, query: str, **kwargs: Any) -> tuple[list[tuple[str, list[str]]], int]:
    """``([(shown id, [copy ids])] in story order, articles)`` by grouping every hit."""
    plain = ix.search(query, limit=10_000, snippets=0, suggest=False, exact_total=True,
                      **kwargs)
    assert len(plain.hits) == plain.total
    story_of = ix.stories().story_id
    groups: dict[str, list[str]] = {}
    for hit in plain.hits:
        groups.setdefault(story_of(hit.id) or hit.id, []).append(hit.id)
    return [(ids[0], ids[1:]) for ids in groups.values()], plain.total


def shown(res: searchcore.Results) -> list[tuple[str, list[str]]]:
    return [(h.id, [c.id for c in h.copies]) for h in res.hits]


QUERIES = ["said", "government", "film awards", "economy growth", "market OR shares",
           "chelsea OR arsenal OR manchester", "mobile phone OR broadband"]
#: OR queries of a rare and a common word, where MaxScore skips matches here.
PRUNABLE = ["oil OR said", "film OR year", "oscar OR film OR said", "blair OR election OR said",
            "gadget OR said OR people", "yukos OR oil OR said"]
FILTERS: list[dict[str, Any]] = [{}, {"sort": "newest"}, {"sort": "oldest"},
                                 {"category": "business"}, {"since": "2005-01-01"}]


def test_every_page_is_the_grouped_ranking(bbc_index: Path) -> None:
    copies = 0
    with searchcore.open_index(bbc_index) as ix:
        for query in QUERIES:
            for filters in FILTERS:
                want, articles = reference(ix, query, **filters)
                copies += sum(len(c) for _, c in want)
                for limit, page in ((10, 1), (7, 2), (5, 4), (500, 1)):
                    res = ix.search(query, limit=limit, page=page, collapse=True, snippets=0,
                                    suggest=False, **filters)
                    start = (page - 1) * limit
                    assert shown(res) == want[start:start + limit], (query, filters, page)
                    assert res.total == len(want) and res.total_is_exact
                    assert res.total_articles == articles
    assert copies >= 20, "too few stories with copies were searched"


def pruned_pages(ix: searchcore.Index, queries: list[str]) -> int:
    """Assert that each query's pruned collapsed pages (``exact_total=False``) show the
    grouped exhaustive ranking: the same stories, copies and scores (bit for bit), the
    totals lower bounds when flagged so; return how many pages were pruned."""
    pruned = 0
    for query in queries:
        want, articles = reference(ix, query)
        score_of = {h.id: h.score for h in ix.search(query, limit=10_000, snippets=0,
                                                     suggest=False).hits}
        for limit, page in ((10, 1), (3, 1), (5, 3)):
            res = ix.search(query, limit=limit, page=page, collapse=True, snippets=0,
                            suggest=False, exact_total=False)
            start = (page - 1) * limit
            assert shown(res) == want[start:start + limit], (query, page)
            assert [h.score for h in res.hits] == [score_of[h.id] for h in res.hits], query
            if res.total_is_exact:
                assert (res.total, res.total_articles) == (len(want), articles)
            else:
                pruned += 1
                assert start + len(res.hits) <= res.total <= len(want)
                assert res.total_articles <= articles
                assert res.next_cursor is not None
    return pruned


def test_pruned_collapse_shows_the_same_stories(bbc_index: Path) -> None:
    """``exact_total=False``: the same page and copies; the totals are lower bounds."""
    with searchcore.open_index(bbc_index) as ix:
        assert pruned_pages(ix, QUERIES + PRUNABLE), "nothing pruned: the test tests nothing"


@pytest.fixture(scope="module")
def blocked_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The collapse corpus in two adds with small blocks (8 postings, every list of 16
    or more), so that one-word pruned searches skip blocks (as at 1M articles) and the
    copies of the shown stories are scored from a few blocks of the word's lists."""
    from searchcore.execution import blocks

    path = tmp_path_factory.mktemp("collapse-blocks") / "index"
    articles = corpus()
    saved = blocks.MIN_DF, blocks.BLOCK
    blocks.MIN_DF, blocks.BLOCK = 16, 8
    try:
        with searchcore.create_index(path) as ix:
            ix.add(articles[:200])
            ix.add(articles[200:])
    finally:
        blocks.MIN_DF, blocks.BLOCK = saved
    return path


def test_pruned_one_word_collapse_scores_copies_from_blocks(blocked_index: Path) -> None:
    """One word with block-max pruning: the page, its copies (found among the
    members and scored from the blocks that hold them) and the shown scores are the
    exhaustive ones."""
    with searchcore.open_index(blocked_index) as ix:
        assert pruned_pages(ix, ["said", "government", "film", "market", "people", "music",
                                 "year", "oil OR said"]), "nothing pruned: tests nothing"


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_cursor_pages_concatenate_to_one_long_page(bbc_index: Path, sort: str) -> None:
    with searchcore.open_index(bbc_index) as ix:
        for query in ("said", "market OR shares", "film awards", "oscar OR film OR said"):
            want, _ = reference(ix, query, sort=sort)
            walked: list[tuple[str, list[str]]] = []
            cursor = None
            while True:
                res = ix.search(query, limit=4, sort=sort, collapse=True, snippets=0,
                                suggest=False, after=cursor)
                assert res.total == len(want) and res.total_is_exact
                walked.extend(shown(res))
                cursor = res.next_cursor
                if cursor is None:
                    break
                assert len(res.hits) == 4
            assert walked == want, (query, sort)
            ids = [i for first, copies in walked for i in [first, *copies]]
            assert len(ids) == len(set(ids))          # no story (nor article) twice


def test_cli_walks_collapsed_pages_with_after(bbc_index: Path) -> None:
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    def run(*args: str) -> dict[str, Any]:
        result = CliRunner().invoke(cli, ["--index", str(bbc_index), "search", "market",
                                          "--collapse", "--json", "-n", "3", *args])
        assert result.exit_code == 0, result.output
        return orjson.loads(result.output)

    first = run()
    second = run("--after", first["next_cursor"])
    with searchcore.open_index(bbc_index) as ix:
        want, _ = reference(ix, "market")
    assert [h["id"] for h in first["hits"] + second["hits"]] == [w for w, _ in want[:6]]


@pytest.mark.slow
def test_reuters_duplicates_collapse_as_grouped(shared_data: Path, tmp_path: Path) -> None:
    """Reuters-21578's first 4,000 articles: its own copies (no made ones)."""
    lines = (shared_data / "reuters21578" / "docs.jsonl").read_bytes().splitlines()[:4000]
    source = tmp_path / "reuters.jsonl"
    source.write_bytes(b"\n".join(lines))
    searchcore.build_index([source], tmp_path / "ix", workers=1)
    with searchcore.open_index(tmp_path / "ix") as ix:
        copied = 0
        for query in ("qtly div", "oil prices", "dollar OR yen", "bank rate"):
            for filters in ({}, {"sort": "newest"}):
                want, articles = reference(ix, query, **filters)
                copied += sum(len(c) for _, c in want)
                res = ix.search(query, limit=20, page=2, collapse=True, snippets=0,
                                suggest=False, **filters)
                assert shown(res) == want[20:40]
                assert (res.total, res.total_articles) == (len(want), articles)
            fast = ix.search(query, limit=10, collapse=True, snippets=0, suggest=False,
                             exact_total=False)
            assert shown(fast) == reference(ix, query)[0][:10]
        assert copied >= 20
