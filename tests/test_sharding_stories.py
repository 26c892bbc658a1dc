"""A sharded index has the stories one index of the same articles has.

Copies are routed to shards by their ids, so the copies of one story land in
different shards. The bundled Reuters sample gets planted copies (a new headline,
the last sentence dropped, another source) and both an index and a 3-shard index
are built of them (LocalCluster, 2 worker processes): ``collapse`` must show the
same stories with the same copies and totals, ``copies`` must list the same
articles, and after adds, replacements and deletes (a story's leader among them)
the two must still agree.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

distributed = pytest.importorskip("distributed", reason="sharded builds need Dask (the [dask] extra)")

import searchcore
from searchcore.index.build import build_index
from searchcore.sharding.routing import shard_of

SAMPLE = Path(searchcore.__file__).parent / "sample" / "reuters-sample.jsonl"
QUERIES = ["oil", "cocoa OR coffee", "prices", "bank", "*", "said", "trade AND japan",
           '"crude oil"', "published:1987-03"]


def copy_of(article: dict, suffix: str, source: str) -> dict:
    """A syndicated copy: new id, new headline, another source, the last sentence gone."""
    body = article["body"].rstrip()
    cut = body.rfind(".", 0, len(body) - 1)
    return dict(article, id=f"{article['id']}-{suffix}", title=f"UPDATE: {article['title']}",
                body=body[:cut + 1] if cut > len(body) // 2 else body, source=source)


def planted(count: int, start: int = 0) -> tuple[list[dict], list[dict]]:
    """The sample's articles and copies of ``count`` long ones (two copies each)."""
    originals = [orjson.loads(line) for line in SAMPLE.read_bytes().splitlines()]
    long_ones = [a for a in originals if len(a["body"].split()) > 120][start:start + count]
    return originals, [copy_of(a, s, src) for a in long_ones
                       for s, src in (("wire", "Wire"), ("agency", "Agency"))]


def collapsed(ix: searchcore.Index, query: str, **options) -> tuple:
    res = ix.search(query, collapse=True, snippets=0, **options)
    return (res.total, res.total_articles,
            [(h.id, sorted(c.id for c in h.copies)) for h in res.hits])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    originals, copies = planted(12)
    path = tmp_path_factory.mktemp("stories-corpus") / "planted.jsonl"
    path.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in originals + copies))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, corpus: Path, cluster) -> Path:
    """The planted corpus as one index and as 3 shards, built once (tests write copies)."""
    base = tmp_path_factory.mktemp("stories-pair")
    build_index([corpus], base / "single", workers=1)
    build_index([corpus], base / "sharded", shards=3, scheduler=cluster.scheduler_address)
    return base


def build_pair(base: Path, built: Path) -> tuple[Path, Path]:
    """A copy of both indexes of ``built`` under ``base``, for a test to change."""
    import shutil

    for name in ("single", "sharded"):
        shutil.copytree(built / name, base / name, symlinks=True)
    return base / "single", base / "sharded"


def same_stories(single: searchcore.Index, sharded: searchcore.Index) -> None:
    for query in QUERIES:
        for options in ({}, {"limit": 50}, {"page": 2, "limit": 5}, {"sort": "newest"}):
            assert collapsed(sharded, query, **options) == collapsed(single, query, **options), \
                (query, options)
    for article in single.scan("*", fields="id"):
        want = [a.id for a in single.copies(article["id"])]
        assert [a.id for a in sharded.copies(article["id"])] == want, article["id"]


def test_copies_in_different_shards_are_one_story(tmp_path: Path, built: Path) -> None:
    single_path, sharded_path = build_pair(tmp_path, built)
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        stories = {tuple(a.id for a in single.copies(a["id"]))
                   for a in single.scan("*", fields="id")}
        spread = [s for s in stories if len({shard_of(i, 3) for i in s}) > 1]
        assert len(spread) >= 8        # most planted stories span shards: the test can fail
        same_stories(single, sharded)
        res = sharded.search("cocoa", collapse=True)
        assert res.total < res.total_articles
        spread_story = max(spread, key=len)
    # The CLI says the same of a story spread over shards: its id and every copy.
    from click.testing import CliRunner

    from searchcore.cli.main import cli

    for article_id in spread_story:
        outputs = [CliRunner().invoke(cli, ["show", article_id, "--copies", "--json",
                                            "--index", str(path)])
                   for path in (single_path, sharded_path)]
        assert all(o.exit_code == 0 for o in outputs), [o.output for o in outputs]
        assert outputs[0].stdout == outputs[1].stdout
        assert all(i in outputs[1].stdout for i in spread_story)


def test_adds_replacements_and_deletes_keep_the_stories_of_one_index(
        tmp_path: Path, built: Path) -> None:
    single_path, sharded_path = build_pair(tmp_path, built)
    _, more = planted(6, start=12)
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        for ix in (single, sharded):
            ix.add(more)
        same_stories(single, sharded)
        # A story's leader goes: its copies choose again, in whatever shard they are.
        led = next(c for c in (single.copies(a["id"]) for a in single.scan("cocoa", fields="id"))
                   if len(c) == 3)
        leader = single.search(f"id:{led[0].id}", collapse=True).hits[0]
        for ix in (single, sharded):
            assert ix.delete(leader.id) == 1
        same_stories(single, sharded)
        # A replacement that is no longer a copy leaves its story.
        replaced = dict(more[0], body="An unrelated note about the weather in Vienna, "
                                      "where it rained all week and the river rose.")
        for ix in (single, sharded):
            ix.add([replaced])
        assert [a.id for a in sharded.copies(replaced["id"])] == [replaced["id"]]
        same_stories(single, sharded)


def test_index_built_before_stories_across_shards_catches_up_on_its_next_write(
        tmp_path: Path, built: Path) -> None:
    """Without ``stories/`` (built before it existed) a shard's own stories are used;
    the first write links the whole collection."""
    import shutil

    from searchcore import layout
    from searchcore.sharding.stories import FOLDER

    single_path, sharded_path = build_pair(tmp_path, built)
    generation = sharded_path / layout.read_manifest(sharded_path)["generation"]
    shutil.rmtree(generation / FOLDER)
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        res = sharded.search("*", collapse=True, limit=1000, snippets=0)
        shown = [h.id for h in res.hits] + [c.id for h in res.hits for c in h.copies]
        assert len(shown) == len(set(shown)) == res.total_articles
        # Per shard only: the copies in other shards are stories of their own.
        assert res.total > single.search("*", collapse=True).total
        _, more = planted(1, start=20)
        for ix in (single, sharded):
            ix.add(more)
        assert (generation / FOLDER).is_dir()
        same_stories(single, sharded)


def test_a_write_that_stopped_before_linking_is_reported_and_caught_up(
        tmp_path: Path, built: Path) -> None:
    """A writer that died after its shard commit and before linking the stories across
    shards: `index check` says so, the new copy shows alone, and the next write links it."""
    from click.testing import CliRunner

    from searchcore import layout
    from searchcore.article import normalize_article
    from searchcore.cli.main import cli

    single_path, sharded_path = build_pair(tmp_path, built)
    _, more = planted(2, start=20)
    first, then = more[:2], more[2:]
    with searchcore.open_index(single_path) as single, \
            searchcore.open_index(sharded_path) as sharded:
        assert CliRunner().invoke(cli, ["index", "check", "--index", str(sharded_path),
                                        "-q"]).exit_code == 0
        single.add(first)
        with layout.write_lock(sharded_path, 10):          # the shard commits, no more
            for article in first:
                sharded.shard_for(article["id"])._add_locked(
                    [normalize_article(article, origin="test")], None)
        result = CliRunner().invoke(cli, ["index", "check", "--index", str(sharded_path),
                                          "-q"])
        assert result.exit_code == 1 and "not linked yet" in result.output, result.output
        for article in first:
            hit = sharded.search(f"id:{article['id']}", collapse=True).hits[0]
            assert hit.copies == ()
        for ix in (single, sharded):     # the next write
            ix.add(then)
        same_stories(single, sharded)
        assert CliRunner().invoke(cli, ["index", "check", "--index", str(sharded_path),
                                        "-q"]).exit_code == 0
