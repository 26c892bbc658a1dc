"""Sharded builds on a Dask LocalCluster (2 worker processes): layout, routing, reports.

One LocalCluster serves the module (starting one costs seconds); builds are given its
address as ``scheduler=``, as a user of a real cluster would. One CLI test starts its
own LocalCluster through ``--shards`` without ``--scheduler``.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed", reason="sharded builds need Dask (the [dask] extra)")

import searchcore
from searchcore import layout
from searchcore.cli.main import cli
from searchcore.errors import ClusterError, InvalidArticleError, SourceError
from searchcore.index.build import build_index
from searchcore.index.ingest import iter_articles
from searchcore.index.records import Skipped
from searchcore.sharding import cluster as cluster_module
from searchcore.sharding.partition import partition
from searchcore.sharding.routing import shard_of

from conftest import BBC_FILE, DATA

BAD_FILE = DATA / "ingest" / "bad.jsonl"


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of two single-threaded worker processes."""
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _ids_by_shard(path: Path) -> list[set[str]]:
    with searchcore.open_index(path) as ix:
        out = []
        for shard in ix.shards:
            reader = shard.searcher().reader()
            out.append({reader.stored_fields(n)["id"] for n in reader.all_doc_ids()})
        return out


def test_routing_is_a_stable_hash_of_the_id() -> None:
    # Pinned: an index built by one version must route ids the same way in the next.
    assert [shard_of(i, 8) for i in ["business-001", "seed", "r1", "12345", "café"]] == \
        [6, 5, 0, 1, 3]
    ids = [orjson.loads(line)["id"] for line in BBC_FILE.read_bytes().splitlines()]
    counts = Counter(shard_of(i, 4) for i in ids)
    assert sorted(counts) == [0, 1, 2, 3] and min(counts.values()) > 50


def test_pieces_of_a_big_file_cover_it_and_keep_line_numbers(tmp_path: Path) -> None:
    lines = [orjson.dumps({"id": f"a{i}", "title": f"title {i}", "body": "word " * 20})
             for i in range(1, 201)]
    lines[149] = b'{"id": "broken", "title": '                       # line 150
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"\n".join(lines) + b"\n")
    pieces = partition([big], piece_bytes=2_000)
    assert len(pieces) > 5
    assert pieces[0].span[0] == 0 and pieces[-1].span[1] == big.stat().st_size
    assert all(a.span[1] == b.span[0] for a, b in zip(pieces, pieces[1:]))
    whole = list(iter_articles([big]))
    cut = [item for piece in pieces for item in iter_articles([piece])]
    assert [getattr(i, "id", None) or i.origin for i in cut] == \
        [getattr(i, "id", None) or i.origin for i in whole]
    assert [i.origin for i in cut if isinstance(i, Skipped)] == [f"{big}:150"]


def test_standard_input_is_refused() -> None:
    with pytest.raises(SourceError, match="standard input"):
        partition(["-"])


def test_sharded_build_puts_each_article_in_its_shard(tmp_path: Path, scheduler: str) -> None:
    path = tmp_path / "ix"
    summary = build_index([BBC_FILE], path, shards=3, scheduler=scheduler)
    assert (summary.read, summary.indexed, summary.skipped_total) == (300, 300, 0)
    manifest = layout.read_manifest(path)
    assert manifest["shards"]["count"] == 3 and manifest["documents"] == 300
    assert manifest["format_version"] == layout.FORMAT_VERSION
    by_shard = _ids_by_shard(path)
    assert [len(s) for s in by_shard] == manifest["shards"]["documents"]
    assert sum(len(s) for s in by_shard) == len(set().union(*by_shard)) == 300
    for k, ids in enumerate(by_shard):
        assert all(shard_of(i, 3) == k for i in ids)
    # Nothing of the build is left beside the live generation.
    assert sorted(p.name for p in path.iterdir()) == [manifest["generation"], "searchcore.json",
                                                       "write.lock"]
    assert sorted(p.name for p in (path / manifest["generation"]).iterdir()) == \
        ["readers.lock", "shard-000", "shard-001", "shard-002", "stories"]
    with searchcore.open_index(path) as ix:
        assert len(ix) == 300
        stats = ix.stats()
        assert stats["documents"] == 300
        assert [s["documents"] for s in stats["shards"]] == manifest["shards"]["documents"]
        assert sum(stats["sources"].values()) == sum(stats["languages"].values()) == 300
        assert ix.get("business-001").title == "Ad sales boost Time Warner profit"


def test_bad_records_are_reported_as_a_single_build_reports_them(tmp_path: Path,
                                                                 scheduler: str) -> None:
    single = build_index([BAD_FILE, BBC_FILE], tmp_path / "one", workers=1,
                         errors=tmp_path / "one.errors")
    sharded = build_index([BAD_FILE, BBC_FILE], tmp_path / "many", shards=2,
                          scheduler=scheduler, errors=tmp_path / "many.errors")
    for name in ("read", "indexed", "skipped", "duplicates", "messages"):
        assert getattr(sharded, name) == getattr(single, name), name
    assert (tmp_path / "many.errors").read_bytes() == (tmp_path / "one.errors").read_bytes()


def test_strict_failure_leaves_the_live_shards_untouched(tmp_path: Path, scheduler: str) -> None:
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, shards=2, scheduler=scheduler)
    before = layout.read_manifest(path)
    with pytest.raises(InvalidArticleError) as err:
        build_index([BAD_FILE], path, shards=2, scheduler=scheduler, strict=True)
    assert err.value.origin == f"{BAD_FILE}:2"
    assert layout.read_manifest(path) == before
    assert not [p for p in path.iterdir() if p.name.endswith(".tmp")]
    with searchcore.open_index(path) as ix:
        assert len(ix) == 300


def test_a_rebuild_switches_the_whole_set_of_shards(tmp_path: Path, scheduler: str) -> None:
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, shards=2, scheduler=scheduler)
    old = layout.read_manifest(path)["generation"]
    reader = searchcore.open_index(path)
    try:
        assert len(reader) == 300
        build_index([BAD_FILE], path, shards=3, scheduler=scheduler)
        new = layout.read_manifest(path)
        assert new["shards"]["count"] == 3
        assert (path / old).is_dir()               # the open reader still holds the old set
        assert len(reader) == new["documents"]     # ... and moves to the new one on next use
        assert len(reader.shards) == 3
    finally:
        reader.close()
    build_index([BBC_FILE], path, workers=1)       # back to one index: no shards left
    manifest = layout.read_manifest(path)
    assert "shards" not in manifest and not (path / old).exists()
    with searchcore.open_index(path) as ix:
        assert type(ix) is searchcore.Index and len(ix) == 300


def test_adds_and_deletes_route_by_id(tmp_path: Path, scheduler: str) -> None:
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, shards=3, scheduler=scheduler)
    with searchcore.open_index(path) as ix:
        new = [{"id": f"new-{i}", "title": f"Zebra story {i}", "body": "zebras everywhere"}
               for i in range(12)]
        assert ix.add(new + [{"id": "business-001", "title": "Replaced", "body": "again"}]) == 13
        assert len(ix) == 312
        assert ix.get("business-001").title == "Replaced"
        assert ix.manifest["shards"]["documents"] == [len(s) for s in _ids_by_shard(path)]
        assert ix.delete(["new-0", "new-1", "missing"]) == 2
        assert ix.delete_by_query("zebras") == 10
        assert len(ix) == 300 == layout.read_manifest(path)["documents"]
    for k, ids in enumerate(_ids_by_shard(path)):
        assert all(shard_of(i, 3) == k for i in ids)


def test_workers_that_cannot_see_the_folder_are_a_clear_error(tmp_path: Path) -> None:
    problem, _ = cluster_module.probe_folder(str(tmp_path / "elsewhere"), "token")
    assert "cannot read" in problem

    class OtherDisk:                      # a worker that writes its probe somewhere else
        def run(self, fn, folder, token):
            return {"tcp://10.0.0.7:4000": (None, "probe-elsewhere-1")}

    (tmp_path / "BUILD").write_text("token")
    with pytest.raises(ClusterError, match="shared by every worker"):
        cluster_module.check_shared_storage(OtherDisk(), tmp_path, "token")


def test_cli_builds_shards_on_a_local_cluster(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    result = CliRunner().invoke(cli, ["index", "build", str(BBC_FILE), "--index", str(path),
                                      "--shards", "2", "--workers", "2", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["indexed"] == 300
    stats = CliRunner().invoke(cli, ["index", "stats", "--index", str(path), "--json"])
    assert [s["documents"] for s in orjson.loads(stats.stdout)["shards"]] == \
        layout.read_manifest(path)["shards"]["documents"]


def test_cli_scheduler_needs_shards_and_a_reachable_scheduler(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["index", "build", str(BBC_FILE), "--index", str(tmp_path / "a"),
                                 "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "--shards" in result.output
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT", 1.0)
    result = runner.invoke(cli, ["index", "build", str(BBC_FILE), "--index", str(tmp_path / "b"),
                                 "--shards", "2", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in result.output
    assert not (tmp_path / "b" / "searchcore.json").exists()


def test_check_reads_every_shard_and_reports_each(tmp_path: Path, scheduler: str) -> None:
    path = tmp_path / "ix"
    build_index([BBC_FILE], path, shards=2, scheduler=scheduler)
    result = CliRunner().invoke(cli, ["index", "check", "--index", str(path), "--json", "-q"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["ok"] and report["documents"] == 300
    assert [s["documents"] for s in report["shards"]] == \
        layout.read_manifest(path)["shards"]["documents"]
    # An article written into the wrong shard behind searchcore's back is found.
    with searchcore.open_index(path) as ix:
        wrong = next(k for k in range(2) if shard_of("stray-1", 2) != k)
        ix.shards[wrong]._add_locked(
            [searchcore.Article(id="stray-1", title="Stray", body="in the wrong shard")], None)
    result = CliRunner().invoke(cli, ["index", "check", "--index", str(path), "--json", "-q"])
    assert result.exit_code == 1
    problems = orjson.loads(result.stdout)["problems"]
    assert any("'stray-1' belongs in shard" in p for p in problems)
