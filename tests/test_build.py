"""Full rebuilds and incremental imports: generations, manifest, locks, bad input."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

import searchcore
from searchcore import layout
from searchcore.errors import IndexLockedError, InvalidArticleError
from searchcore.index.build import add_sources, build_index

from conftest import BBC_FILE, SEED_FILE


def _jsonl(path: Path, records: list) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _generations(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.name.startswith("gen-"))


def _ids(ix, query: str, limit: int = 20) -> list[str]:
    return [h.id for h in ix.search(query, limit=limit, match="any", snippets=0).hits]


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "small.jsonl", [
        {"id": "a", "title": "Volcano erupts in Iceland", "body": "Ash closes airports."},
        {"id": "b", "title": "Central bank raises rates", "body": "Inflation is high."},
    ])


def test_build_from_jsonl_and_seed_folder(tmp_path: Path) -> None:
    path = tmp_path / "index"
    progress: list[tuple[int, int | None]] = []
    summary = build_index([BBC_FILE, SEED_FILE.parent], path, workers=2,
                          progress=lambda done, total: progress.append((done, total)))
    assert summary.read == summary.indexed == 301
    assert summary.skipped == {} and summary.duplicates == 0
    assert summary.seconds > 0 and summary.docs_per_sec > 0
    assert progress[-1] == (301, 301)
    manifest = layout.read_manifest(path)
    assert manifest["generation"] == "gen-000001" and manifest["documents"] == 301
    assert manifest["language"] == "english"
    assert [s["path"] for s in manifest["sources"]] == [str(BBC_FILE.resolve()),
                                                        str(SEED_FILE.parent.resolve())]
    assert len(manifest["sources"][0]["sha256"]) == 64
    with searchcore.open_index(path) as ix:
        assert len(ix) == 301
        hits = ix.search('"Leave a Comment"', snippets=0).hits
        assert hits == ()                   # seed boilerplate removed
        assert ix.search("drones missiles", snippets=0).total >= 1
    assert _generations(path) == ["gen-000001"]


def test_rebuild_switches_generation_and_keeps_open_readers(tmp_path: Path,
                                                            small: Path) -> None:
    path = tmp_path / "index"
    build_index(BBC_FILE, path, workers=1)
    old = searchcore.open_index(path)
    searcher = old.searcher()            # the long-lived searcher a server would keep
    before = _raw_ids(searcher, "economy growth")
    assert len(before) == 20
    build_index(small, path, workers=1)
    assert layout.read_manifest(path)["generation"] == "gen-000002"
    # The old generation is still there because `old` holds it...
    assert _generations(path) == ["gen-000001", "gen-000002"]
    # ...and its searcher answers as before until the Index moves on.
    assert _raw_ids(searcher, "economy growth") == before
    with searchcore.open_index(path) as new:
        assert len(new) == 2 and _ids(new, "volcano") == ["a"]
    # The next search through `old` follows the switch.
    assert _ids(old, "volcano") == ["a"]
    old.close()
    build_index(small, path, workers=1)
    assert _generations(path) == ["gen-000003"]


def _raw_ids(searcher, query: str) -> list[str]:
    """Ids of the top hits from a whoosh searcher kept across a rebuild."""
    from searchcore.query.parser import parse_query

    q = parse_query(query, searcher.schema, match="any")
    return [hit["id"] for hit in searcher.search(q, limit=20)]


def test_strict_mode_leaves_index_unchanged(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path)
    manifest = layout.manifest_path(path).read_bytes()
    bad = _jsonl(tmp_path / "bad.jsonl", [{"id": "x", "title": "fine"}, {"id": "y"}])
    with pytest.raises(InvalidArticleError, match=r"bad\.jsonl:2"):
        build_index(bad, path, strict=True)
    assert layout.manifest_path(path).read_bytes() == manifest
    assert _generations(path) == ["gen-000001"]
    with searchcore.open_index(path) as ix:
        assert sorted(h.id for h in ix.search("volcano OR bank", match="any").hits) == ["a", "b"]


def test_bad_records_skipped_and_duplicates_last_wins(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_bytes(b'{"id": "1", "title": "First copy", "body": "old text"}\n'
                       b'{"id": "2", "title": "Other", "body": "x"\n'
                       b'{"id": "3", "title": 7, "body": "wrong type"}\n'
                       b'{"id": "1", "title": "Second copy", "body": "new text"}\n'
                       b'{"id": "4", "title": "Fourth", "body": "y"}\n')
    summary = build_index(source, tmp_path / "index")
    assert summary.read == 5 and summary.indexed == 2 and summary.duplicates == 1
    assert summary.skipped == {"broken-json": 1, "wrong-type": 1}
    assert any("mixed.jsonl:2" in m for m in summary.messages)
    with searchcore.open_index(tmp_path / "index") as ix:
        assert ix.get("1").title == "Second copy"
        assert set(_ids(ix, "copy OR fourth")) == {"1", "4"}
        assert ix.search("old", snippets=0).total == 0
        with ix.whoosh_index.reader() as reader:
            assert reader.doc_count_all() == 2                   # first position kept


def test_duplicates_across_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from searchcore.index import build as build_mod

    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 3)
    records = [{"id": str(i), "title": f"story {i}", "body": "text"} for i in range(7)]
    records.append({"id": "1", "title": "story one replaced", "body": "text"})
    summary = build_index(_jsonl(tmp_path / "d.jsonl", records), tmp_path / "index")
    assert summary.duplicates == 1 and summary.indexed == 7
    with searchcore.open_index(tmp_path / "index") as ix:
        assert len(ix) == 7 and ix.get("1").title == "story one replaced"
        assert layout.read_manifest(tmp_path / "index")["documents"] == 7


def test_lock_held_elsewhere_raises_naming_the_lock(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"fd = os.open({str(path / 'write.lock')!r}, os.O_RDWR)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(IndexLockedError, match="write.lock"):
            build_index(small, path, lock_timeout=0.5)
        assert 0.4 < time.monotonic() - started < 5
        with pytest.raises(IndexLockedError, match="write.lock"):
            add_sources(small, path, lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert _generations(path) == ["gen-000001"]


def test_build_waits_for_a_short_lock(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path)
    fd = os.open(path / "write.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    import threading

    threading.Timer(0.3, os.close, (fd,)).start()
    build_index(small, path, lock_timeout=5)
    assert layout.read_manifest(path)["generation"] == "gen-000002"


def test_incremental_add_replace_delete(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path)
    more = _jsonl(tmp_path / "more.jsonl", [
        {"id": "b", "title": "Central bank cuts rates", "body": "Inflation fell."},
        {"id": "c", "title": "Football final tonight", "body": "Tickets sold out."},
        {"id": "c", "title": "Football final postponed", "body": "Storm warning."},
        {"id": "d"},
    ])
    summary = add_sources(more, path)
    assert summary.indexed == 2 and summary.duplicates == 1
    assert summary.skipped == {"empty": 1}
    assert layout.read_manifest(path)["documents"] == 3
    assert layout.read_manifest(path)["generation"] == "gen-000001"
    with searchcore.open_index(path) as ix:
        assert ix.get("b").title == "Central bank cuts rates"
        assert ix.get("c").title == "Football final postponed"
        assert len(ix) == 3
        assert ix.delete(["a"]) == 1
        assert layout.read_manifest(path)["documents"] == 2
        assert ix.delete_by_query("football") == 1
        assert layout.read_manifest(path)["documents"] == 1
        assert [h.id for h in ix.search("rates").hits] == ["b"]


def test_incremental_strict_writes_nothing(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path)
    bad = _jsonl(tmp_path / "bad.jsonl", [{"id": "z", "title": "New"}, {"id": "q", "title": []}])
    with pytest.raises(InvalidArticleError, match=r"bad\.jsonl:2"):
        add_sources(bad, path, strict=True)
    with searchcore.open_index(path) as ix:
        assert len(ix) == 2 and ix.get("z") is None


def test_add_sources_creates_missing_index(tmp_path: Path, small: Path) -> None:
    summary = add_sources(small, tmp_path / "new")
    assert summary.indexed == 2
    with searchcore.open_index(tmp_path / "new") as ix:
        assert len(ix) == 2


def test_language_kept_unless_given(tmp_path: Path, small: Path) -> None:
    path = tmp_path / "index"
    build_index(small, path, language="german")
    build_index(small, path)
    assert layout.read_manifest(path)["language"] == "german"
    build_index(small, path, language="english")
    assert layout.read_manifest(path)["language"] == "english"


def test_refuses_foreign_directory(tmp_path: Path, small: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(searchcore.IndexFormatError, match="cat.jpg"):
        build_index(small, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["cat.jpg"]


def test_empty_source_builds_empty_index(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    summary = build_index(empty, tmp_path / "index")
    assert summary.indexed == 0
    with searchcore.open_index(tmp_path / "index") as ix:
        assert len(ix) == 0 and ix.search("anything").total == 0
