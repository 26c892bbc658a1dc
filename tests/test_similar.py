"""More like this on real articles: the BBC sample plus made copies of some of them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

import searchcore
from searchcore.cli.main import cli

from conftest import bbc_articles
from test_stories import corpus, long_articles


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("similar") / "index"
    with searchcore.create_index(path) as ix:
        ix.add(corpus())
    return path


def test_never_the_seed_nor_its_copies(index_path: Path) -> None:
    seed = long_articles()[5]["id"]
    with searchcore.open_index(index_path) as ix:
        story = set(ix.stories().members(seed))
        assert len(story) == 6
        res = ix.similar(seed, limit=50)
        assert res.total > 50
        assert not story & {h.id for h in res.hits}
        # From a copy too.
        assert not story & {h.id for h in ix.similar(f"{seed}-truncated", limit=50).hits}


def test_similar_articles_are_about_the_same_thing(index_path: Path) -> None:
    """Most of the five most similar articles share the seed's BBC category (68% here;
    one in five would be chance)."""
    seeds = [a for a in bbc_articles()][::30]
    agree = 0
    with searchcore.open_index(index_path) as ix:
        for seed in seeds:
            hits = ix.similar(seed["id"], limit=5, snippets=0).hits
            wanted = seed["category"] if isinstance(seed["category"], list) else [seed["category"]]
            agree += sum(list(h.category) == wanted for h in hits)
    assert agree >= 0.6 * 5 * len(seeds)


def test_text_paging_and_filters(index_path: Path) -> None:
    text = ("Oil prices rose sharply as OPEC agreed to cut crude output, and analysts "
            "warned that higher energy costs would slow economic growth.")
    with searchcore.open_index(index_path) as ix:
        res = ix.similar(text=text, limit=12, snippets=0)
        assert "opec" in res.query and res.hits
        assert res.hits[0].category == ("business",)
        pages = [ix.similar(text=text, limit=4, page=p, snippets=0) for p in (1, 2, 3)]
        assert [h.id for p in pages for h in p.hits] == [h.id for h in res.hits]
        sport = ix.similar(text=text, category="sport", snippets=0)
        assert sport.hits and all(h.category == ("sport",) for h in sport.hits)
        with pytest.raises(searchcore.SearchcoreError):
            ix.similar("no-such-article")
        with pytest.raises(searchcore.SearchcoreError):
            ix.similar()


def run(index: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["--index", str(index), *args], input=stdin)


def test_cli_similar(index_path: Path) -> None:
    seed = long_articles()[5]
    result = run(index_path, "similar", seed["id"], "--json", "-n", "3")
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.output)
    assert len(data["hits"]) == 3 and data["query"].startswith("more like this:")
    assert seed["id"] not in {h["id"] for h in data["hits"]}
    text = run(index_path, "similar", seed["id"], "-n", "2")
    assert text.exit_code == 0 and text.output.startswith("1. ")
    piped = run(index_path, "similar", "--text", "-", "--json", stdin=seed["body"])
    assert piped.exit_code == 0
    # The seed's own text: its story comes first.
    assert orjson.loads(piped.output)["hits"][0]["id"].startswith(seed["id"])
    assert run(index_path, "similar").exit_code == 2
    assert run(index_path, "similar", seed["id"], "--text", "x").exit_code == 2
    missing = run(index_path, "similar", "nope")
    assert missing.exit_code == 1 and "nope" in missing.output


def test_pruned_ranking_is_the_exhaustive_one_without_the_story(
        index_path: Path, prune_small_indexes: None) -> None:
    """MaxScore gives the first page the whole OR would, the seed's story left out;
    the total is exact or a lower bound (flagged). (MaxScore even on this small
    index's short lists, which topk.WHOLE_BELOW would score whole.)"""
    from searchcore.execution.search import rank

    from searchcore.multilingual import document_text
    from searchcore.news import similar
    from searchcore.scoring.ranking import DEFAULT_RANKING

    pruned = 0
    with searchcore.open_index(index_path) as ix:
        searcher = ix.searcher()
        for seed in [a["id"] for a in bbc_articles()[::25]] + [long_articles()[5]["id"]]:
            article = ix.get(seed)
            text = document_text(f"{article.title}\n\n{article.body}", article.language)
            q = similar.like_query(similar.distinctive_terms(searcher, text, in_index=True),
                                   DEFAULT_RANKING.field_weights)
            story = set(ix.stories().members(seed)) | {seed}
            everything, _, _ = rank(searcher, q, None, "relevance", None)
            ids = [searcher.stored_fields(d)["id"] for d, _ in everything]
            want = [i for i in ids if i not in story]
            for page in (1, 2):
                res = ix.similar(seed, limit=8, page=page, snippets=0)
                assert [h.id for h in res.hits] == want[(page - 1) * 8:page * 8], seed
                if res.total_is_exact:
                    assert res.total == len(want)
                else:
                    pruned += 1
                    assert page * 8 <= res.total <= len(want)
    assert pruned, "nothing was pruned: the test would not test pruning"
