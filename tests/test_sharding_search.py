"""A sharded index answers as one index of the same articles (dfs_query_then_fetch).

The same articles are built once as one index and once as shards (LocalCluster, 2
worker processes); every query form of the README's table, with every search option
that changes the answer, must give the same ids in the same order, scores within
1e-9, the same totals and the same facets; timelines, scans and cursor walks too.
The fixtures are the BBC sample (undated) and the bundled Reuters sample (dated);
``test_big_corpora_rank_alike`` repeats it on BBC News and Reuters-21578 from
../shared/data (skipped where they are absent) with generated queries.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="sharded builds need Dask (the [dask] extra)")

import searchcore
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
def pair(tmp_path_factory: pytest.TempPathFactory):
    """``(one index, sharded index)`` paths of the same articles."""
    base = tmp_path_factory.mktemp("sharding")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        build_index([BBC_FILE, SAMPLE], base / "sharded", shards=3,
                    scheduler=cluster.scheduler_address)
    build_index([BBC_FILE, SAMPLE], base / "single", workers=1)
    return base / "single", base / "sharded"


def same_results(single: searchcore.Index, sharded: searchcore.Index, query: str,
                 snippets: int = 1, **options) -> None:
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


def test_collapse_groups_stories_within_shards(pair) -> None:
    single_path, sharded_path = pair
    with searchcore.open_index(sharded_path) as sharded:
        res = sharded.search("oil", collapse=True, limit=20)
        assert res.total_articles == sharded.search("oil").total
        assert res.total <= res.total_articles
        shown = [h.id for h in res.hits] + [c.id for h in res.hits for c in h.copies]
        assert len(shown) == len(set(shown))


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
@pytest.mark.parametrize("corpus", ["bbc-news", "reuters21578"])
def test_big_corpora_rank_alike(shared_data: Path, tmp_path: Path, corpus: str) -> None:
    docs = shared_data / corpus / "docs.jsonl"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        build_index(docs, tmp_path / "sharded", shards=4, scheduler=cluster.scheduler_address)
    build_index(docs, tmp_path / "single", workers=2)
    with searchcore.open_index(tmp_path / "single") as single, \
            searchcore.open_index(tmp_path / "sharded") as sharded:
        assert len(single) == len(sharded)
        # Every syntax form four times over, and real queries; snippets are compared on
        # the fixtures above (the same code path), so here only ranks, scores, totals
        # and facets are.
        queries = _queries_tsv(shared_data, "time", 20) + generated_queries(single, 4, 13)
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
