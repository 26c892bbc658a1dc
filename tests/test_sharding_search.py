"""A sharded index answers as one index of the same articles (dfs_query_then_fetch).

The same articles are built once as one index and once as shards (LocalCluster, 2
worker processes); every query form of the README's table, with every search option
that changes the answer, must give the same ids in the same order, scores within
1e-9, the same totals and the same facets; timelines, scans and cursor walks too.
The fixtures are the BBC sample (undated) and the bundled Reuters sample (dated);
``test_big_corpus_ranks_alike`` repeats it on Reuters-21578 from ../shared/data
(skipped where it is absent) with generated queries.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="sharded builds need Dask (the [dask] extra)")

import searchcore
from searchcore import layout
from searchcore.errors import ClusterError, QueryLimitError
from searchcore.index.build import build_index
from searchcore.query.budget import QueryBudget
from searchcore.scoring.ranking import RankingConfig

from conftest import BBC_FILE

SAMPLE = Path(searchcore.__file__).parent / "sample" / "reuters-sample.jsonl"
NOW = datetime(1987, 4, 1, tzinfo=timezone.utc)

#: Every form of the README's query table, on words both fixtures have.
QUERIES = [
    "oil", "oil prices", "oil OR prices", "oil AND prices", "oil -prices", "oil NOT prices",
    "+oil prices", "(oil OR gold) prices", "oil prices OR market", '"oil prices"',
    '"prices oil"~3', "title:oil", 'title:"crude oil"', "title:(cocoa OR coffee)",
    "pric*", "markt~", "market~2", "oil^3 gold", "published:1987-03", "published:1987",
    "published:[1987-03-01 TO 1987-03-15] oil", "published:{1987-03-01 TO *}",
    "published:>=1987-03-10", "published:<1987-03", "published:[now-30d TO now]", "published:*",
    "*", "-oil", "-(oil OR said)", "said", "the", "source:reuters", "category:crude",
    "id:1", "zzzunknownword", "oil zzzunknownword", "film OR music OR game", "AT&T",
    '"1.5 billion"', "BBC", "government election", "elect*", "minist*",
]

OPTIONS = [
    {}, {"match": "any"}, {"sort": "newest"}, {"sort": "oldest"}, {"page": 2, "limit": 5},
    {"limit": 50}, {"source": "Reuters"}, {"category": ["crude", "business"]},
    {"since": "1987-03-05", "until": "1987-03-20"},
    {"ranking": RankingConfig(recency_half_life_days=10)},
    {"ranking": RankingConfig(idf="whoosh")}, {"ranking": RankingConfig(field_scoring="sum")},
    {"ranking": RankingConfig(k1=1.2, b=0.5, field_weights={"title": 1.0, "body": 1.0})},
    {"facets": ["source", "category", "month", "week"], "facet_limit": 3},
]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, cluster):
    """``(one index, sharded index)`` paths of the same articles."""
    base = tmp_path_factory.mktemp("sharding")
    build_index([BBC_FILE, SAMPLE], base / "sharded", shards=3,
                scheduler=cluster.scheduler_address)
    build_index([BBC_FILE, SAMPLE], base / "single", workers=1)
    return base / "single", base / "sharded"


def same_results(single: searchcore.Index, sharded: searchcore.Index, query: str,
                 snippets: int = 1, **options) -> None:
    """``sharded`` answers ``query`` as ``single`` does: ids, order, scores, totals,
    facets, snippets and the cursor."""
    # A generous time budget: this compares answers, on a busy machine.
    options.setdefault("budget", QueryBudget(seconds=120))
    want = single.search(query, now=NOW, snippets=snippets, **options)
    got = sharded.search(query, now=NOW, snippets=snippets, **options)
    label = f"{query!r} {options}"
    assert got.total == want.total, label
    assert [h.id for h in got.hits] == [h.id for h in want.hits], label
    for g, w in zip(got.hits, want.hits):
        if w.score is None:
            assert g.score is None, label
        else:
            assert g.score == pytest.approx(w.score, rel=1e-9, abs=1e-9), label
        assert g.rank == w.rank and g.title == w.title and g.snippets == w.snippets, label
    assert {n: (f.to_dict(), f.stats()) for n, f in got.facets.items()} == \
        {n: (f.to_dict(), f.stats()) for n, f in want.facets.items()}, label
    assert (got.next_cursor is None) == (want.next_cursor is None), label
    assert got.total_articles == want.total_articles, label


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o)) or "plain")
def test_every_query_form_ranks_as_one_index(pair, options: dict) -> None:
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        assert len(sharded.shards) == 3
        for query in QUERIES:
            same_results(single, sharded, query, **options)


def test_lenient_queries_and_errors_agree(pair) -> None:
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        for query in ['"unbalanced', "oil AND", "(oil", "title:", "nosuchfield:x"]:
            same_results(single, sharded, query, lenient=True)
            with pytest.raises(searchcore.QuerySyntaxError) as a:
                single.search(query)
            with pytest.raises(searchcore.QuerySyntaxError) as b:
                sharded.search(query)
            assert str(a.value) == str(b.value)


def test_cursor_walks_timelines_and_scans_agree(pair) -> None:
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        for sort in ("relevance", "newest", "oldest"):
            for query in ["oil OR said", "*", "pric*"]:
                walked, cursor = [], None
                while True:
                    res = sharded.search(query, sort=sort, limit=37, after=cursor, now=NOW,
                                         snippets=0)
                    walked.extend(h.id for h in res.hits)
                    if res.next_cursor is None:
                        break
                    cursor = res.next_cursor
                everything = single.search(query, sort=sort, limit=1000, now=NOW, snippets=0)
                assert walked == [h.id for h in everything.hits], (sort, query)
                assert [a["id"] for a in sharded.scan(query, sort=sort, fields="id", now=NOW)] \
                    == walked
        for by in ("day", "week", "month", "year"):
            assert sharded.timeline("oil", by=by).to_dict() == single.timeline("oil", by=by).to_dict()


def test_collapse_groups_stories_as_one_index(pair) -> None:
    """Copies in different shards are one story (tests/test_sharding_stories.py plants
    them); here the fixtures' own copies."""
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        for query in ["oil", "*", "film OR music", "prices"]:
            for options in ({"limit": 20}, {"limit": 7, "page": 3, "sort": "newest"},
                            {"limit": 5, "page": 2, "sort": "oldest"}):
                want = single.search(query, collapse=True, snippets=0, **options)
                got = sharded.search(query, collapse=True, snippets=0, **options)
                assert (got.total, got.total_articles) == (want.total, want.total_articles), \
                    (query, options)
                assert [(h.id, [c.id for c in h.copies]) for h in got.hits] == \
                    [(h.id, [c.id for c in h.copies]) for h in want.hits], (query, options)
        # A cursor walk over the stories: page after page, the same as one index.
        cursors = {"single": None, "sharded": None}
        for _ in range(3):
            want = single.search("*", collapse=True, limit=8, snippets=0,
                                 after=cursors["single"])
            got = sharded.search("*", collapse=True, limit=8, snippets=0,
                                 after=cursors["sharded"])
            assert [(h.id, [c.id for c in h.copies]) for h in got.hits] == \
                [(h.id, [c.id for c in h.copies]) for h in want.hits]
            assert got.total == want.total
            cursors = {"single": want.next_cursor, "sharded": got.next_cursor}


def test_a_shard_sends_only_the_matches_a_collapsed_page_can_show(pair) -> None:
    """Every match in a story with articles elsewhere, and of those alone in their
    story only the first of the page's worth: the rest are counted, not sent."""
    from searchcore.news.collapse import part_matches
    from searchcore.query.parser import parse_query
    from searchcore.sharding import stories

    _, sharded_path = pair
    with searchcore.open_index(sharded_path) as sharded:
        shard = sharded.live_shards()[0]
        base = shard.searcher()
        codes = stories.story_codes(shard, 0, base)
        q = parse_query("*", base.schema)
        every = part_matches(base, codes, q, None, "relevance", 0)
        page = part_matches(base, codes, q, None, "relevance", 0, want=10)
    assert page.matched == every.matched == len(every.docs)
    together = every.codes >= 0
    assert together.any() and (~together).sum() > 10
    assert len(page.docs) == together.sum() + 10
    assert page.alone_after == (~together).sum() - 10 and page.alone_before == 0
    assert set(every.docs[together].tolist()) <= set(page.docs.tolist())


# -- the big corpora -----------------------------------------------------------------------

def generated_queries(ix: searchcore.Index, count: int, seed: int) -> list[str]:
    """Queries of every syntax form from the titles of ``ix``'s articles."""
    rng = random.Random(seed)
    titles = []
    for shard in getattr(ix, "shards", [ix]):
        reader = shard.searcher().reader()
        titles.extend(reader.stored_fields(n)["title"] for n in reader.all_doc_ids())
    titles.sort()
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{4,}", t)})
    out = []
    for _ in range(count):
        a, b, c = rng.sample(words, 3)
        title = rng.choice(titles).split()
        pair_ = " ".join(title[:2]) if len(title) > 1 else a
        out.extend([a, f"{a} {b}", f"{a} OR {b} OR {c}", f"{a} -{b}", f'"{pair_}"',
                    f'"{pair_}"~3', f"title:{a}", f"{a[:4]}*", f"{a}~", f"{a}^3 {b}",
                    f"({a} OR {b}) {c}", f"+{a} {b}", f"published:>=1987-03 {a}"])
    return out


def _queries_tsv(shared_data: Path, name: str, limit: int) -> list[str]:
    lines = (shared_data / name / "queries.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines[:limit] if "\t" in line]


@pytest.mark.slow
def test_big_corpus_ranks_alike(shared_data: Path, shared_corpus_index, tmp_path: Path,
                                cluster) -> None:
    """Reuters-21578 (21k articles: real term statistics, dates, categories) in 4
    shards on the cluster ranks as one index does."""
    corpus = "reuters21578"
    docs = shared_data / corpus / "docs.jsonl"
    build_index(docs, tmp_path / "sharded", shards=4, scheduler=cluster.scheduler_address)
    single_path, _ = shared_corpus_index(corpus)
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(tmp_path / "sharded") as sharded:
        assert len(single) == len(sharded)
        # Every syntax form twice over, and real queries; snippets are compared on the
        # fixtures above (the same code path), so here only ranks, scores, totals and
        # facets are.
        queries = _queries_tsv(shared_data, "time", 12) + generated_queries(single, 2, 13)
        for query in queries:
            for options in ({}, {"match": "any"}, {"sort": "newest", "limit": 20},
                            {"facets": ["category", "month"], "limit": 20}):
                same_results(single, sharded, query, snippets=0, lenient=True, **options)


def test_serve_answers_from_a_sharded_index(pair) -> None:
    from starlette.testclient import TestClient

    from searchcore.web.app import create_app

    _, sharded_path = pair
    with TestClient(create_app(sharded_path)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.get("/api/stats").json()["documents"] == 600
        found = client.get("/api/search", params={"q": "oil"}).json()
        assert found["total"] > 0 and found["hits"]


def test_shards_of_several_segments_rank_as_one_index(pair, tmp_path: Path) -> None:
    """A shard after an add (or past one build batch) has several segments, and whoosh
    then makes one sub-searcher per segment: the sharded search must still work and
    rank as one index."""
    import shutil

    single_path, sharded_path = (shutil.copytree(p, tmp_path / p.name) for p in pair)
    added = [{"id": f"added-{i}", "title": f"Oil prices and film music {i}",
              "body": "Crude oil prices rose as the film and music markets fell. " * (i + 1),
              "published": f"1987-03-{i + 1:02d}"} for i in range(12)]
    for path in (single_path, sharded_path):
        with searchcore.open_index(path) as ix:
            ix.add(added)
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        segments = [s.stats()["segments"] for s in sharded.shards]
        assert max(segments) > 1, segments
        for query in ["oil", "oil prices", '"oil prices"', "pric*", "markt~", "-oil",
                      "published:1987-03 oil", "film OR music OR game"]:
            same_results(single, sharded, query)
            same_results(single, sharded, query, match="any", limit=30)


# -- on the cluster's workers ---------------------------------------------------------------

REMOTE_QUERIES = ["oil", "oil prices", "oil OR prices", "oil -prices", '"oil prices"',
                  '"prices oil"~3', "title:oil", "pric*", "markt~", "market~2", "oil^3 gold",
                  "published:1987-03 oil", "*", "-oil", "zzzunknownword", "film OR music OR game"]


def test_search_on_the_cluster_workers_answers_as_in_process_and_one_index(pair, cluster) -> None:
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as local, \
            searchcore.open_index(sharded_path, scheduler=cluster.scheduler_address) as remote:
        for query in REMOTE_QUERIES:
            for options in ({}, {"match": "any", "limit": 20, "facets": ["source", "month"]},
                            {"sort": "newest", "page": 2, "limit": 5}):
                same_results(single, remote, query, **options)    # single == local: above
        # Stories within each shard, the cursor walk: the same as in this process.
        for query in ("oil", "*"):
            want = local.search(query, collapse=True, limit=20, snippets=0)
            got = remote.search(query, collapse=True, limit=20, snippets=0)
            assert [(h.id, [c.id for c in h.copies]) for h in got.hits] == \
                [(h.id, [c.id for c in h.copies]) for h in want.hits]
            assert (got.total, got.total_articles) == (want.total, want.total_articles)
        # The search's budget holds on the workers: the same limit errors as one index.
        for query, limit in (("m*", QueryBudget(max_expansions=5)),
                             ("markt~ OR pric* OR elect*", QueryBudget(max_total_expansions=8))):
            with pytest.raises(QueryLimitError) as want:
                single.search(query, budget=limit)
            with pytest.raises(QueryLimitError) as got:
                remote.search(query, budget=limit)
            assert (got.value.limit, str(got.value)) == (want.value.limit, str(want.value))
        first = remote.search("oil OR said", limit=25, snippets=0)
        after = remote.search("oil OR said", limit=25, snippets=0, after=first.next_cursor)
        assert [h.id for h in after.hits] == \
            [h.id for h in single.search("oil OR said", limit=25, page=2, snippets=0).hits]


def test_a_worker_that_cannot_read_a_shard_is_a_clear_error(pair, cluster,
                                                            tmp_path: Path) -> None:
    """What a worker runs when it opens a shard (and probes the index at open_index)
    names the shard it cannot read and the shared storage it needs. Run here, where
    the copy's shard folder is gone, as on a worker that does not share the disk."""
    import shutil

    from searchcore.sharding.remote import open_shard, probe_shards

    copy = shutil.copytree(pair[1], tmp_path / "copy")
    manifest = layout.read_manifest(copy)
    generation = manifest["generation"]
    shutil.rmtree(copy / generation / "shard-001")
    assert "shard-001" in probe_shards(str(copy), generation, manifest["shards"]["names"])
    with pytest.raises(ClusterError, match="cannot read the shard .*shard-001.*same path"):
        open_shard(str(copy), manifest, "shard-001")
    assert "cannot read the index" in probe_shards(str(tmp_path / "elsewhere"), generation, [])
    with pytest.raises(searchcore.SearchcoreError, match="not a sharded index"):
        searchcore.open_index(pair[0], scheduler=cluster.scheduler_address)


def test_whoosh_existing_terms_still_skips_other_fields(pair) -> None:
    """The bug :mod:`searchcore.whoosh_boundary.terms` works around (remove it once
    stock whoosh answers every field)."""
    from whoosh import query as wq

    from searchcore.whoosh_boundary.terms import existing_terms

    with searchcore.open_index(pair[0]) as single:
        reader = single.searcher().reader()
        q = wq.Or([wq.Term("title", "oil"), wq.Term("body", "oil")])
        assert q.existing_terms(reader, expand=True) == {("title", b"oil")}
        assert existing_terms(q, reader) == {("title", b"oil"), ("body", b"oil")}


def test_similar_terms_and_did_you_mean_answer_as_one_index(pair) -> None:
    """What reads the collection as one (more like this, significant terms, did you
    mean) gives one index's answer, seeds with copies (in any shard) included."""
    single_path, sharded_path = pair
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        for query in ["oil pricse", "goverment election", "markte", "fillm music", "oil"]:
            assert sharded.search(query).suggestion == single.search(query).suggestion, query
        seeds = [h.id for q in ("oil", "film", "election") for h in single.search(q, limit=4)]
        assert len(seeds) >= 6
        for seed in seeds:
            want, got = single.similar(seed, limit=10), sharded.similar(seed, limit=10)
            assert (got.query, got.total) == (want.query, want.total), seed
            assert [h.id for h in got.hits] == [h.id for h in want.hits], seed
            assert [h.score for h in got.hits] == pytest.approx([h.score for h in want.hits],
                                                                rel=1e-9), seed
        text = "Crude oil prices rose as OPEC ministers met in Vienna"
        assert [h.id for h in sharded.similar(text=text).hits] == \
            [h.id for h in single.similar(text=text).hits]
        for query in ["oil", "film OR music", "*"]:
            assert sharded.significant_terms(query, source="Reuters" if query == "*" else None
                                             ).to_dict() == \
                single.significant_terms(query, source="Reuters" if query == "*" else None
                                         ).to_dict(), query


def test_cli_searches_on_the_cluster_workers(pair, cluster) -> None:
    import orjson
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    def hits(*extra: str) -> list[tuple[str, float]]:
        result = CliRunner().invoke(cli, ["search", "oil prices", "--facet", "source", "--json",
                                          "--index", str(pair[1]), *extra],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        found = orjson.loads(result.stdout)
        return [(h["id"], round(h["score"], 9)) for h in found["hits"]], found["facets"]

    assert hits("--scheduler", cluster.scheduler_address) == hits()
