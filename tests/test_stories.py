"""Stories on real articles: copies and variants share a story, different articles do not,
and adds, deletes and rebuilds agree (see searchcore/news/stories.py)."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import orjson
import pytest

import searchcore
from searchcore.news import minhash
from searchcore.news.collapse import story_codes
from searchcore.news.stories import StoryStore

from conftest import bbc_articles

FURNITURE_TOP = "Share this article\nFacebook Twitter Email"
FURNITURE_BOTTOM = ("Copyright 2024 Daily Courier Media Group. All rights reserved. "
                    "Sign up for our newsletter.")


def first_60(body: str) -> str:
    return " ".join(minhash.normalise(body)[:60])


def real_copy_groups(articles: list[dict]) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        if len(minhash.normalise(a["body"])) >= 60:
            groups[first_60(a["body"])].append(a["id"])
    return [ids for ids in groups.values() if len(ids) > 1]


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


def variants(article: dict, other: dict) -> dict[str, dict]:
    """Copies of ``article`` as other outlets publish them (all the same story)."""
    pars = paragraphs(article["body"])
    assert len(pars) >= 4
    made = {
        "headline": {"title": "A different headline entirely", "body": article["body"]},
        "dropped": {"body": "\n\n".join(pars[:2] + pars[3:])},
        "added": {"body": "\n\n".join(pars + [paragraphs(other["body"])[1]])},
        "boilerplate": {"body": "\n\n".join([FURNITURE_TOP, *pars, FURNITURE_BOTTOM])},
        "truncated": {"body": "\n\n".join(pars[:max(2, int(len(pars) * 0.6))])},
    }
    return {kind: dict(article, id=f"{article['id']}-{kind}", **fields)
            for kind, fields in made.items()}


def test_real_copies_in_the_bbc_sample_share_a_story(news_index) -> None:
    groups = real_copy_groups(bbc_articles())
    assert groups, "the sample has articles sharing their first 60 words"
    stories = news_index.stories()
    for ids in groups:
        assert len({stories.story_id(i) for i in ids}) == 1, ids
        # The story id is its leader's: the member with the most shingles (the
        # fullest version); copies() lists every member.
        by_id = {a["id"]: a for a in bbc_articles()}
        longest = max(ids, key=lambda i: (minhash.shingle_hashes(by_id[i]["body"]).size, -ids.index(i)))
        assert stories.story_id(ids[0]) in ids
        assert (minhash.shingle_hashes(by_id[stories.story_id(ids[0])]["body"]).size
                == minhash.shingle_hashes(by_id[longest]["body"]).size)
        assert [a.id for a in news_index.copies(ids[0])] == sorted(ids)


def test_the_bbc_sample_has_no_other_stories(news_index) -> None:
    """Every multi-article story of the sample is one of its real copies."""
    by_story: dict[str, set[str]] = defaultdict(set)
    for article_id, story in news_index.stories().story_ids().items():
        by_story[story].add(article_id)
    merged = sorted(sorted(ids) for ids in by_story.values() if len(ids) > 1)
    assert merged == sorted(sorted(g) for g in real_copy_groups(bbc_articles()))


def long_articles() -> list[dict]:
    """Sample articles of five paragraphs or more that have no copy in the sample."""
    copied = {i for g in real_copy_groups(bbc_articles()) for i in g}
    return [a for a in bbc_articles() if len(paragraphs(a["body"])) >= 5 and a["id"] not in copied]


def test_variants_collapse_and_a_quoting_article_stays_apart(tmp_path: Path) -> None:
    articles = long_articles()
    article, other = articles[5], articles[70]
    made = variants(article, other)
    host = articles[71]                 # an unrelated article that quotes a paragraph
    host_pars = paragraphs(host["body"])
    quoting = dict(host, id="quoting", body="\n\n".join(
        host_pars[:2] + [paragraphs(article["body"])[1]] + host_pars[2:]))
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add([article, other, quoting, *made.values()])
        stories = ix.stories()
        story = stories.story_id(article["id"])
        assert {k: stories.story_id(v["id"]) for k, v in made.items()} == {
            k: story for k in made}
        assert stories.story_id("quoting") == "quoting"
        assert stories.story_id(other["id"]) == other["id"]


def test_same_event_articles_stay_apart(shared_data: Path) -> None:
    """Reuters articles of one day and topic, with two title words in common, written
    separately (no sentence in common), each keep their own story."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from stories import same_event
    finally:
        sys.path.pop(0)
    docs = [orjson.loads(line) for line in
            (shared_data / "reuters21578" / "docs.jsonl").read_bytes().splitlines()[:4000]]
    pairs = same_event(docs, random.Random(1), limit=50)
    assert len(pairs) >= 20
    store = StoryStore(Path("unused"))
    store.add([(f"{n}-{side}", body) for n, pair in enumerate(pairs)
               for side, body in zip("ab", pair)])
    joined = [n for n in range(len(pairs)) if store.story_id(f"{n}-a") == store.story_id(f"{n}-b")]
    assert joined == []


@pytest.mark.slow
def test_reuters_copies_collapse(shared_data: Path) -> None:
    docs = [orjson.loads(line) for line in
            (shared_data / "reuters21578" / "docs.jsonl").read_bytes().splitlines()]
    groups = real_copy_groups(docs)
    assert sum(len(g) for g in groups) >= 400
    # The copies and a quarter of the other stories as company (what is asserted is
    # that copies join; that strangers do not is test_same_event_articles_stay_apart).
    copies = {i for g in groups for i in g}
    store = StoryStore(Path("unused"))
    store.add([(d["id"], d["body"]) for n, d in enumerate(docs) if d["id"] in copies or n % 4 == 0])
    together = sum(len({store.story_id(i) for i in g}) == 1 for g in groups)
    assert together / len(groups) >= 0.97


def story_map(path: Path) -> dict[str, str]:
    with searchcore.open_index(path) as ix:
        return ix.stories().story_ids()


def corpus() -> list[dict]:
    """The BBC sample plus copies and variants, so that there are stories to agree on."""
    long = long_articles()
    extra = []
    for n in (5, 23, 41, 59, 77):
        extra.extend(variants(long[n], long[n + 1]).values())
    return bbc_articles() + extra


def test_adds_in_any_order_and_a_rebuild_agree(tmp_path: Path) -> None:
    articles = corpus()
    source = tmp_path / "all.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(a) for a in articles))
    searchcore.build_index([source], tmp_path / "built", workers=1)
    built = story_map(tmp_path / "built")
    assert len(set(built.values())) < len(built) - 20
    shuffled = articles[:]
    random.Random(7).shuffle(shuffled)
    with searchcore.create_index(tmp_path / "added") as ix:
        for start in range(0, len(shuffled), 37):          # small batches: whoosh's writer
            ix.add(shuffled[start:start + 37])
    assert story_map(tmp_path / "added") == built


def test_a_build_in_many_batches_makes_the_stories_of_one_add(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build links stories band by band from its spilled chunks (stories_build.py);
    with batches of 40 and ids written again by later batches (replaced: the last
    record wins), it gives the stories one in-memory add of the surviving articles gives."""
    from searchcore.index import build as build_mod

    articles = corpus()
    rewritten = [dict(a, body=articles[k + 100]["body"]) for k, a in enumerate(articles[:30])]
    source = tmp_path / "all.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(a) for a in articles + rewritten))
    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 40)
    summary = searchcore.build_index([source], tmp_path / "built", workers=1)
    assert summary.duplicates == 30
    survivors = {a["id"]: a for a in articles + rewritten}
    store = StoryStore(Path("unused"))
    store.add([(i, a["body"]) for i, a in survivors.items()])
    built = story_map(tmp_path / "built")
    assert built == store.story_ids()
    assert len(set(built.values())) < len(built) - 20
    with searchcore.open_index(tmp_path / "built") as ix:        # the column agrees
        searcher = ix.searcher()
        codes = story_codes(searcher, ix.stories())
        for docnum in range(0, searcher.doc_count_all(), 7):
            if not ix.columns().deleted[docnum]:
                article_id = searcher.stored_fields(docnum)["id"]
                assert ix.stories().ids[codes[docnum]] == built[article_id]


def test_deleting_an_article_recomputes_its_story(tmp_path: Path) -> None:
    articles = corpus()
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles)
        stories = ix.stories()
        first = long_articles()[5]["id"]
        group = stories.members(first)
        assert group[0] == first and len(group) == 6
        ix.delete([group[0]])
        after = ix.stories()
        assert len({after.story_id(i) for i in group[1:]}) == 1
        assert after.story_id(group[1]) in group[1:]
        assert after.story_id(group[0]) is None
        kept = ix.stories().story_ids()
    rest = [a for a in articles if a["id"] != group[0]]
    with searchcore.create_index(tmp_path / "fresh") as ix:
        ix.add(rest)
        assert ix.stories().story_ids() == kept


def test_replacing_an_article_by_id_moves_it_out_of_its_story(tmp_path: Path) -> None:
    articles = corpus()
    with searchcore.create_index(tmp_path / "ix") as ix:
        ix.add(articles)
        first = long_articles()[5]["id"]
        copy_id = f"{first}-boilerplate"
        assert ix.stories().story_id(copy_id) == ix.stories().story_id(first)
        ix.add([{"id": copy_id, "title": "Rewritten", "body": articles[200]["body"]}])
        assert ix.stories().story_id(copy_id) == ix.stories().story_id(articles[200]["id"])
        assert ix.stories().story_id(copy_id) != ix.stories().story_id(first)


def test_stories_survive_reopening_and_hold_no_pickles(news_index_path: Path) -> None:
    with searchcore.open_index(news_index_path) as ix:
        folder = ix.path / ix.manifest["generation"]
        before = ix.stories().story_ids()
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("stories-"))
    assert names and all(n.endswith((".json", ".npy")) for n in names)
    assert StoryStore.load(folder).story_ids() == before


# -- collapse and the command line ---------------------------------------------------

@pytest.fixture(scope="module")
def variants_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stories") / "index"
    with searchcore.create_index(path) as ix:
        ix.add(corpus())
    return path


def test_collapse_shows_one_hit_per_story(variants_index: Path) -> None:
    first = long_articles()[5]
    query = " ".join(minhash.normalise(first["title"])[:2])
    with searchcore.open_index(variants_index) as ix:
        plain = ix.search(query, limit=50)
        for sort in ("relevance", "newest"):
            res = ix.search(query, limit=50, collapse=True, sort=sort)
            stories = ix.stories()
            assert res.total_articles == plain.total
            assert res.total == len({stories.story_id(h.id) for h in plain.hits})
            assert res.total < plain.total
            shown = [stories.story_id(h.id) for h in res.hits]
            assert len(shown) == len(set(shown))
            story = stories.story_id(first["id"])
            hit = next(h for h in res.hits if stories.story_id(h.id) == story)
            group = {hit.id} | {c.id for c in hit.copies}
            assert group == {h.id for h in plain.hits if stories.story_id(h.id) == story}
        # The best-scoring copy is the one shown.
        res = ix.search(query, limit=50, collapse=True)
        best = {}
        for h in plain.hits:
            best.setdefault(ix.stories().story_id(h.id), h.id)
        assert {h.id for h in res.hits} == set(best.values())


def test_collapse_pages_count_stories(variants_index: Path) -> None:
    with searchcore.open_index(variants_index) as ix:
        everything = ix.search("said", limit=500, collapse=True, snippets=0)
        pages = [ix.search("said", limit=7, page=p, collapse=True, snippets=0)
                 for p in range(1, 4)]
    assert [h.id for p in pages for h in p.hits] == [h.id for h in everything.hits[:21]]
    assert pages[0].total == everything.total and pages[0].pages == -(-everything.total // 7)


def run_cli(path: Path, *args: str) -> str:
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    result = CliRunner().invoke(cli, ["--index", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_search_collapse_text_and_json(variants_index: Path) -> None:
    first = long_articles()[5]
    query = " ".join(minhash.normalise(first["title"])[:2])
    text = run_cli(variants_index, "search", query, "--collapse")
    assert "other copies:" in text and "stor" in text.splitlines()[-1]
    data = orjson.loads(run_cli(variants_index, "search", query, "--collapse", "--json"))
    assert data["total_articles"] > data["total"]
    copies = [c for h in data["hits"] for c in h["copies"]]
    assert copies and set(copies[0]) == {"id", "source", "published", "title"}
    plain = orjson.loads(run_cli(variants_index, "search", query, "--json"))
    assert "total_articles" not in plain and "copies" not in plain["hits"][0]


def test_cli_show_copies(variants_index: Path) -> None:
    first = long_articles()[5]["id"]
    data = orjson.loads(run_cli(variants_index, "show", f"{first}-truncated", "--copies",
                                "--json"))
    leader = f"{first}-added"            # the fullest version leads: it has one more paragraph
    assert data["story"] == leader
    assert [c["id"] for c in data["copies"]] == sorted(
        [first] + [f"{first}-{k}" for k in ("added", "boilerplate", "dropped", "headline",
                                            "truncated")])
    text = run_cli(variants_index, "show", first, "--copies")
    assert text.splitlines()[0] == f"story {leader}: 6 copies"


# -- the write transaction: stories saved before whoosh commits ------------------------

class _Died(RuntimeError):
    """Stands for a writer killed at one point of an add."""


def _split_story() -> tuple[list[dict], list[dict]]:
    """(every other article, one article and its five variants)."""
    first = long_articles()[5]["id"]
    copies = [a for a in corpus() if a["id"] == first or a["id"].startswith(f"{first}-")]
    rest = [a for a in corpus() if a not in copies]
    assert len(copies) == 6
    return rest, copies


def _collapsed_group(ix: searchcore.Index, article: dict) -> set[str]:
    """The ids shown together with ``article`` when a search for its first words collapses."""
    query = " ".join(minhash.normalise(article["body"])[:4])
    for hit in ix.search(query, limit=100, collapse=True, snippets=0).hits:
        group = {hit.id} | {c.id for c in hit.copies}
        if article["id"] in group:
            return group
    raise AssertionError(f"{article['id']} not found by {query!r}")


def test_a_writer_killed_before_whoosh_commits_leaves_the_stories_as_they_were(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searchcore.engine as engine

    rest, copies = _split_story()
    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(rest + copies[:1])
        before = ix.stories().story_ids()

    def killed(*args: object, **kwargs: object) -> None:
        raise _Died("killed after the stories were saved, before whoosh's commit")

    monkeypatch.setattr(StoryStore, "discard", lambda self: None)    # nothing cleans up
    monkeypatch.setattr(engine, "_write_batch", killed)
    with searchcore.open_index(path) as ix, pytest.raises(_Died):
        ix.add(copies[1:])
    monkeypatch.undo()
    with searchcore.open_index(path) as ix:
        folder = ix.path / ix.manifest["generation"]
        assert StoryStore.load(folder).toc > ix.whoosh_index.latest_generation()  # left behind
        assert ix.stories().story_ids() == before          # ... and not used
        assert _collapsed_group(ix, copies[0]) == {copies[0]["id"]}
        ix.add(copies[1:])                                 # the next writer replaces it
        after = ix.stories().story_ids()
        assert _collapsed_group(ix, copies[0]) == {c["id"] for c in copies}
    with searchcore.create_index(tmp_path / "fresh") as ix:
        ix.add(rest + copies)
        assert ix.stories().story_ids() == after


def test_a_writer_killed_after_whoosh_commits_leaves_whole_stories(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new segment has no ``storyrow`` column yet: its rows come from its ids."""
    from searchcore.news import stories as stories_mod

    rest, copies = _split_story()
    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(rest)

    def killed(*args: object, **kwargs: object) -> None:
        raise _Died("killed after whoosh's commit, before the story rows were written")

    monkeypatch.setattr(stories_mod, "finish_write", killed)   # engine imports it when used
    with searchcore.open_index(path) as ix, pytest.raises(_Died):
        ix.add(copies)
    monkeypatch.undo()
    with searchcore.open_index(path) as ix:
        assert len(ix) == len(rest) + len(copies)
        stored = ix.columns().extra(stories_mod.ROW_COLUMN)
        assert (stored[-len(copies):] == -1).all()           # the column is missing
        assert _collapsed_group(ix, copies[0]) == {c["id"] for c in copies}
        ix.add([dict(rest[0], title="Rewritten")])
        stored = ix.columns().extra(stories_mod.ROW_COLUMN)
        assert (stored[ix.columns().live] >= 0).all()         # the next writer wrote it
        assert _collapsed_group(ix, copies[0]) == {c["id"] for c in copies}


def test_stories_written_by_an_older_searchcore_ask_for_a_rebuild(tmp_path: Path) -> None:
    from searchcore.errors import IndexFormatError

    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(bbc_articles()[:30])
        folder = ix.path / ix.manifest["generation"]
    for state in folder.glob("stories-??????.json"):
        data = orjson.loads(state.read_bytes())
        state.write_bytes(orjson.dumps(dict(data, store_version=1)))
    with searchcore.open_index(path) as ix:
        assert ix.search("said", limit=5).total > 0           # plain search is unaffected
        for use in (ix.stories, lambda: ix.search("said", collapse=True),
                    lambda: ix.add(bbc_articles()[30:31])):
            with pytest.raises(IndexFormatError, match="searchcore index build"):
                use()


@pytest.mark.parametrize("damage", ["fortran", "pickled", "truncated"])
def test_a_damaged_signature_file_is_refused_by_name(tmp_path: Path, damage: str) -> None:
    """A signature file is read without np.load (mapped, to drop its pages): a file that
    is not what np.save writes for a plain array is refused, naming it, and the index
    keeps what it had."""
    import numpy as np

    from searchcore.errors import IndexFormatError

    path = tmp_path / "ix"
    articles = bbc_articles()[:30]
    with searchcore.create_index(path) as ix:
        ix.add(articles)
        folder = ix.path / ix.manifest["generation"]
    (sig,) = folder.glob("stories-c*-sig.npy")
    good = np.load(sig)
    if damage == "fortran":
        np.save(sig, np.asfortranarray(good))
    elif damage == "pickled":
        np.save(sig, good.astype(object), allow_pickle=True)
    else:
        sig.write_bytes(sig.read_bytes()[:200])
    copy = dict(articles[3], id="copy-of-3")          # its signature must be compared
    with searchcore.open_index(path) as ix:
        with pytest.raises(IndexFormatError, match=sig.name):
            ix.add([copy])
    with searchcore.open_index(path) as ix:
        assert ix.search(f'id:"{articles[3]["id"]}"').total == 1
        assert ix.search('id:"copy-of-3"').total == 0


def test_index_check_reads_the_story_files(tmp_path: Path) -> None:
    """``index check`` finds damaged story files before the next add trips on them:
    a signature file of another shape, an id list that lost its ids, and a story
    array whose articles follow a leader that does not lead."""
    import numpy as np

    from searchcore.cli.check_cmd import check_index

    path = tmp_path / "ix"
    with searchcore.create_index(path) as ix:
        ix.add(bbc_articles()[:40])
        folder = ix.path / ix.manifest["generation"]
        assert check_index(ix).ok
    (sig,) = folder.glob("stories-c*-sig.npy")
    good_sig = sig.read_bytes()
    np.save(sig, np.load(sig)[:, :32].copy())
    (ids,) = folder.glob("stories-c*.json")
    ids.write_bytes(orjson.dumps(orjson.loads(ids.read_bytes())[:-1]))
    (state,) = folder.glob("stories-??????-story.npy")
    story = np.load(state)
    follower = np.flatnonzero(story == np.arange(len(story)))[:2]
    story[follower[0]] = follower[1]                 # follows an article...
    story[follower[1]] = follower[0]                 # ...that follows it
    np.save(state, story)
    with searchcore.open_index(path) as ix:
        report = check_index(ix)
    assert not report.ok
    said = "\n".join(report.problems)
    assert f"{sig.name} holds uint32 (40, 32), not uint32 (40, 64)" in said
    assert f"{ids.name} does not list its 40 ids" in said
    assert "follow a leader that does not lead" in said
    sig.write_bytes(good_sig[:100])                   # a truncated file: named
    with searchcore.open_index(path) as ix:
        assert any(str(sig) in p for p in check_index(ix).problems)
