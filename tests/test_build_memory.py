"""Builds run in bounded memory: nothing a batch allocates outlives the batch.

A 1M-article build used to peak at 4.4 GB because every batch's writer and articles
stayed alive in a reference cycle (whoosh's ``FileStorage.create``, see
:mod:`searchcore.whoosh_boundary.storage`) while the build paused the cyclic
collector. These tests catch that class of leak on a small corpus: many small
batches in one process, memory measured by tracemalloc at each batch boundary.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
import weakref
from pathlib import Path
from typing import Any

import orjson
import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

import searchcore
from searchcore.article import normalize_article
from searchcore.index import build as build_mod
from searchcore.index.build import build_index
from searchcore.index.parallel import write_segments
from searchcore.schema import build_schema
from searchcore.whoosh_boundary import storage
from searchcore.whoosh_boundary.segments import segment_count

from conftest import BBC_FILE, bbc_articles

#: Articles per batch in these tests, and batches per build.
BATCH = 10
BATCHES = 9
DISTINCT = 30


def _corpus(path: Path, count: int) -> Path:
    """``count`` articles as JSON Lines: ``DISTINCT`` BBC articles repeated with distinct ids.

    Few distinct texts, so the vocabulary (and the shared word -> term cache) is
    complete after three batches and whatever grows later is per-batch state.
    """
    base = bbc_articles()[:DISTINCT]
    with open(path, "wb") as fh:
        for k in range(count):
            record = dict(base[k % len(base)], id=f"a{k}")
            fh.write(orjson.dumps(record) + b"\n")
    return path


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests measure memory, not durability: fsync (dozens a segment) only
    costs them time."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


class _Holder:
    """A stand-in for a caller's local state (the batch of articles)."""


def _caller_of(create: Any, folder: Path) -> weakref.ref:
    """Call ``create`` on an existing folder from a frame holding an object; weakref it."""
    held = _Holder()
    create(FileStorage(str(folder)))
    return weakref.ref(held)


def test_stock_whoosh_storage_create_still_leaves_a_cycle(tmp_path: Path) -> None:
    """whoosh's bug is still there: the workaround in whoosh_boundary is still needed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        ref = _caller_of(storage.stock_create, tmp_path)
        assert ref() is not None, "stock whoosh no longer leaks: drop the workaround"
        gc.collect()
        assert ref() is None
        assert _caller_of(storage._create, tmp_path)() is None
    finally:
        if was_enabled:
            gc.enable()


def test_storage_create_still_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OSError):
        storage._create(FileStorage(str(tmp_path / "f")))
    storage._create(FileStorage(str(tmp_path / "new" / "deeper")))
    assert (tmp_path / "new" / "deeper").is_dir()


def test_a_batch_leaves_no_garbage_for_the_collector(tmp_path: Path) -> None:
    """Writing segments in-process frees everything by reference counting alone."""
    articles = [normalize_article(r) for r in bbc_articles()[:60]]
    folder = tmp_path / "ix"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema("english"))
    # Warm: the term cache learns these words first. (A build empties it at its end;
    # then a miss may read another open index's word table, whose .npy header numpy
    # parses with ast.literal_eval: recursive closures, cycles that are not a batch's.)
    write_segments(ix, articles, 1)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            write_segments(ix, articles, 1)
        unreachable = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
        ix.close()
    assert unreachable == 0, (f"{unreachable} objects in cycles after three batches: a "
                              "batch's writer is only freed by the collector")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_build_memory_does_not_grow_with_the_number_of_batches(
        batch_figures: dict[str, Any], workers: int) -> None:
    """From the 5th batch to the last, retained memory grows by a few bytes an article.

    What a build keeps for its whole length: the id table (24 bytes an article,
    index/idtable.py), ~170 bytes an article of small objects from the write path
    (measured; each article's own terms, its id for one, in bounded caches), and
    per batch one whoosh segment object per worker (for the table of contents,
    ~2 KB each) and the story chunk's size: 2-11 KB a batch in all, measured, in
    steps as lists and dicts grow. Story signatures go to disk with their batch
    (news/stories_build.py); they used to stay, ~0.8 KB an article. A leaked batch
    is its articles and its writer, ~10x their text (6 MB over 16 batches of 20
    when whoosh's cycle was back; ~190 KB a batch of 10). Traced (tracemalloc) from
    the 4th batch's start (the first three fill the caches, untraced: tracing
    doubles the cost of every allocation), compared from the 5th (what the 4th
    replaced was allocated untraced) to the last one's, in the fresh process of
    :data:`_BATCHES_SCRIPT`.
    """
    samples = batch_figures[f"traced_{workers}"]
    assert len(samples) == BATCHES
    growth = samples[-1] - samples[4]
    allowed = (BATCHES - 5) * (BATCH * 256 + workers * 12_288)
    print("traced bytes at each batch:", samples)
    assert growth < allowed, (
        f"memory grew by {growth / 1e3:.0f} KB over {BATCHES - 4} batches of {BATCH} "
        f"articles (allowed {allowed / 1e3:.0f} KB): something outlives a batch")


# -- index add ------------------------------------------------------------------------

def _add_peak(path: Path, count: int, existing: int = 0) -> int:
    """Traced peak while ``Index.add`` writes ``count`` articles into an index of ``existing``
    (``DISTINCT`` texts over and over: the vocabulary, and the caches it fills, are
    the same whatever the counts)."""
    base = bbc_articles()[:DISTINCT]
    with searchcore.create_index(path) as ix:
        if existing:
            ix.add([dict(base[k % len(base)], id=f"old{k}") for k in range(existing)])
        articles = [normalize_article(dict(base[k % len(base)], id=f"new{k}"))
                    for k in range(count)]
        gc.collect()
        tracemalloc.start()
        try:
            ix.add(articles)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(ix) == existing + count
    return peak


@pytest.mark.slow
def test_add_memory_follows_the_chunk_not_the_batch(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A big add is written a chunk at a time: three times the batch, about the same peak.

    (The articles themselves are made before measuring: the batch is the caller's.)
    One writer over the whole batch held every posting: its peak grew with the batch.
    """
    from searchcore import engine

    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 40)
    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 20)       # both through the bulk writer
    small = _add_peak(tmp_path / "a", 40)
    large = _add_peak(tmp_path / "b", 120)                # 3 segments: no merge
    assert large < 1.3 * small, (small, large)


@pytest.mark.slow
def test_add_memory_does_not_grow_with_the_index(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same add into an index three times bigger needs no more memory."""
    from searchcore import engine

    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 60)
    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 20)       # the bulk writer, as for 60+
    into_small = _add_peak(tmp_path / "a", 60, existing=60)
    into_big = _add_peak(tmp_path / "b", 60, existing=180)
    assert into_big < 1.3 * into_small, (into_small, into_big)


def test_big_add_in_chunks_finds_what_one_segment_finds(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunked: one segment per 20 articles, one commit; same hits, replacements applied."""
    from searchcore import engine

    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 20)       # both adds through the bulk writer
    base = bbc_articles()
    first = [dict(r, id=f"n{k}") for k, r in enumerate(base[:120])]
    again = [dict(r, id=f"n{k}", title=r["title"] + " zeppelin") for k, r in enumerate(base[:60])]
    results = []
    for chunk in (10_000, 20):
        monkeypatch.setattr(build_mod, "CHUNK_DOCS", chunk)
        with searchcore.create_index(tmp_path / f"ix{chunk}") as ix:
            ix.add(first)
            ix.add(again)
            assert len(ix) == 120
            segments = segment_count(ix.whoosh_index)
            results.append([[(h.id, round(h.score, 6)) for h in
                             ix.search(q, limit=20, exact_total=True).hits]
                            for q in ("zeppelin", "economy", "film OR music", '"prime minister"')])
            assert ix.search("zeppelin", limit=200, exact_total=True).total == 60
        assert segments == (2 if chunk == 10_000 else 6 + 3)
    assert results[0] == results[1]


# -- the end of a build: linking the stories ------------------------------------------

def _finish_peak(tmp_path: Path, copies: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, int]:
    """Traced peak of ``StoryBuilder.finish`` over ``copies`` copies of 20 BBC articles
    (distinct ids, identical bodies: every band's buckets hold ``copies`` rows, so the
    candidate pairs grow with the square of ``copies``); ``(peak, rows, links)``."""
    from searchcore.news import leaders, stories, stories_build

    monkeypatch.setattr(stories_build, "PAIR_BLOCK", 4096)
    monkeypatch.setattr(stories, "VERIFY_BLOCK", 1024)       # 0.5 MB of signatures
    monkeypatch.setattr(leaders, "GREEDY_BLOCK", 4096)       # ~0.5 MB of Python ints
    base = bbc_articles()[:20]
    builder = stories_build.StoryBuilder(tmp_path / f"s{copies}")
    builder.folder.mkdir()
    rows = [(f"a{k}", base[k % len(base)]["body"]) for k in range(20 * copies)]
    for start in range(0, len(rows), 500):
        builder.add_batch(rows[start:start + 500])
    gc.collect()
    tracemalloc.start()
    try:
        builder.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, len(rows), builder.links


@pytest.mark.slow
def test_story_linking_memory_follows_the_links_not_the_candidate_pairs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The end of a build expands each band's buckets a block of pairs at a time and
    keeps each link once, in 8 bytes: its peak is a few bytes per row and per link
    plus a block, however many candidate pairs the bands hold (33 bands x 20 x
    C(100, 2) = 3.3M here; expanded a band at a time they took 16 bytes each and
    more, ~60 MB at 150 copies)."""
    peak, rows, links = _finish_peak(tmp_path, 100, monkeypatch)
    assert links == 20 * 100 * 99 // 2           # identical copies: every pair is a link
    allowed = 2_000_000 + 64 * rows + 24 * links
    print(f"peak {peak / 1e6:.1f} MB, {rows} rows, {links} links")
    assert peak < allowed, (f"linking {rows} rows ({links} links) peaked at "
                            f"{peak / 1e6:.1f} MB, allowed {allowed / 1e6:.1f} MB")


def _resident_file_pages() -> int:
    """Bytes of this process's resident set that map files (``RssFile``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssFile in /proc/self/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RssFile in /proc (Linux)")
def test_verifying_pairs_maps_one_chunks_signatures_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block of candidate pairs reads its signatures chunk by chunk, dropping each
    chunk's pages: at most about one chunk's file is resident while the pairs are
    compared. Reading every chunk for the block kept every chunk's pages mapped
    (at the end of a 1M build, ~256 MB of signature files on top of the linking)."""
    import numpy as np

    from searchcore.news import minhash, stories
    from searchcore.news.stories import Chunk, StoryStore, chunk_base

    rng = np.random.default_rng(3)
    chunks, size = 8, 4096                                  # 1 MB of signatures a chunk
    for c in range(chunks):
        sig = rng.integers(0, 2**32, (size, minhash.PERMUTATIONS), dtype=np.uint32)
        Chunk.make([f"c{c}-{k}" for k in range(size)], sig,
                   np.full(size, 50, dtype=np.int32)).write(tmp_path, c + 1)
    store = StoryStore(tmp_path)
    store.parts = [Chunk(size, chunk_base(tmp_path, c + 1)) for c in range(chunks)]
    pairs = np.sort(rng.integers(0, chunks * size, (stories.VERIFY_BLOCK, 2)), axis=1)
    resident: list[int] = []
    real = minhash.same_story

    def same_story(*args: Any, **kwargs: Any) -> Any:
        resident.append(_resident_file_pages())
        return real(*args, **kwargs)

    monkeypatch.setattr(minhash, "same_story", same_story)
    before = _resident_file_pages()
    ok, _ = store.verified(pairs)
    assert resident and len(ok) == 0                        # random signatures: no copies
    grown = max(resident) - before
    one_chunk = size * minhash.PERMUTATIONS * 4
    print(f"signature pages resident while comparing: {grown / 1e6:.2f} MB "
          f"({chunks} chunks of {one_chunk / 1e6:.1f} MB)")
    assert grown < 2 * one_chunk, (
        f"{grown / 1e6:.1f} MB of signature files resident while comparing a block: "
        "more than a chunk's pages are kept mapped")


# -- what the allocator keeps after a batch -------------------------------------------

_BATCHES_SCRIPT = r"""
import os, sys, tracemalloc
from pathlib import Path
import orjson
from searchcore.article import normalize_article
from searchcore.index import build, parallel
from searchcore.index.heap import release_free_memory
from searchcore.index.parallel import write_segments
from whoosh import index as whoosh_index
from searchcore.schema import build_schema

os.fsync = lambda fd: None             # memory, not durability: fsync only costs time here

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

def corpus(path, base, count):
    with open(path, "wb") as fh:
        for k in range(count):
            fh.write(orjson.dumps(dict(base[k % len(base)], id=f"a{k}")) + b"\n")
    return path

work, bbc = Path(sys.argv[1]), Path(sys.argv[2])
retained_batch, retained_batches, batch, batches, distinct = map(int, sys.argv[3:8])
bbc = [orjson.loads(line) for line in bbc.read_bytes().splitlines() if line.strip()]
out = {}

# 1. What the allocator keeps after a batch: the resident set at each batch's start.
base = bbc[:retained_batch]
source = corpus(work / "retained.jsonl", base, retained_batch * retained_batches)
# Warm up: imports and the word caches (they grow with the vocabulary, not the batches).
(work / "warm").mkdir()
ix = whoosh_index.create_in(str(work / "warm"), build_schema("english"))
write_segments(ix, [normalize_article(r) for r in base], 1)
ix.close()
release_free_memory()
build.CHUNK_DOCS = retained_batch
starts = []
real = build.write_segments
def resident(*args, **kwargs):
    starts.append(status("VmRSS"))
    return real(*args, **kwargs)
build.write_segments = resident
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")                          # VmHWM from here
build.build_index([source], work / "retained", workers=1)
out.update(before=before, starts=starts, peak=status("VmHWM"))

# 2. What outlives a batch: traced memory at each batch's start, 1 and 2 workers.
source = corpus(work / "batches.jsonl", bbc[:distinct], batch * batches)
build.CHUNK_DOCS = batch
parallel.MIN_DOCS_PER_WORKER = 4           # fork even for a batch of 10
for workers in (1, 2):
    samples = []
    def traced(*args, **kwargs):
        if len(samples) == 3:
            tracemalloc.start()            # what is allocated from here and kept is traced
        samples.append(tracemalloc.get_traced_memory()[0])
        return real(*args, **kwargs)
    build.write_segments = traced
    summary = build.build_index([source], work / f"batches-{workers}", workers=workers)
    tracemalloc.stop()
    assert summary.indexed == batch * batches, summary.indexed
    out[f"traced_{workers}"] = samples
print(orjson.dumps(out).decode())
"""
#: Articles a batch in the resident-set measurement, and its batches.
RETAINED_BATCH, RETAINED_BATCHES = 400, 3


@pytest.fixture(scope="module")
def batch_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both batch measurements, made once in one fresh process (the resident set of
    this one holds the whole test session, and its collector passes are slow)."""
    if not sys.platform.startswith("linux") or not Path("/proc/self/clear_refs").exists():
        pytest.skip("reads and resets the resident set in /proc (Linux)")
    work = tmp_path_factory.mktemp("batches")
    proc = subprocess.run([sys.executable, "-c", _BATCHES_SCRIPT, str(work), str(BBC_FILE),
                           str(RETAINED_BATCH), str(RETAINED_BATCHES), str(BATCH),
                           str(BATCHES), str(DISTINCT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return orjson.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_batch_gives_its_memory_back_to_the_system(batch_figures: dict[str, Any]) -> None:
    """After each batch, the process is back near its size before the build.

    glibc keeps what Python frees inside its heap, under the objects that survive a
    batch: without handing it back (index/heap.py) the process stayed 80% of a
    batch's peak above its start here (and at 50,000 articles a batch), and the
    story linking at the end of a 1M build allocated on top of that (1,046 MB). With
    it, about 40% here: the next batch's articles and pages a survivor keeps.
    """
    before, starts, peak = batch_figures["before"], batch_figures["starts"], batch_figures["peak"]
    assert len(starts) == RETAINED_BATCHES
    grown = max(starts[1:]) - before       # the 2nd batch on: after a batch was written
    print(f"before {before / 1e6:.0f} MB, at batch starts "
          f"{[round(s / 1e6) for s in starts]} MB, peak {peak / 1e6:.0f} MB")
    assert peak - before > 5_000_000, "the batches are too small to measure"
    assert grown < 0.6 * (peak - before), (
        f"a written batch left the process {grown / 1e6:.1f} MB larger (its peak: "
        f"{(peak - before) / 1e6:.1f} MB above the start): freed memory is not given back")


@pytest.mark.slow
def test_adds_merge_small_segments_into_at_most_a_batch(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's segments (a batch each) are not merged again by later adds, and what
    an add merges is at most a batch: a merge holds memory in proportion to the
    segment it makes (16 of a 1M build's segments folded after one add: past 1.3 GB).
    The adds' own small segments still merge, so they do not pile up."""
    from searchcore import engine

    monkeypatch.setattr(build_mod, "CHUNK_DOCS", 20)
    monkeypatch.setattr(engine, "FAST_WRITE_MIN", 8)        # bulk adds of 8
    monkeypatch.setattr(engine, "MAX_SEGMENTS", 4)          # merges past 4 segments
    source = _corpus(tmp_path / "corpus.jsonl", 120)
    build_index(source, tmp_path / "ix", workers=1)
    base = bbc_articles()
    with searchcore.open_index(tmp_path / "ix") as ix:
        built = {s.segment_id() for s in ix.whoosh_index._segments()}
        assert len(built) == 6 > engine.MAX_SEGMENTS
        for round_ in range(4):
            ix.add([dict(base[k % len(base)], id=f"add{round_}-{k}")
                    for k in range(engine.FAST_WRITE_MIN)])
            segments = ix.whoosh_index._segments()
            assert built <= {s.segment_id() for s in segments}, "a batch was merged again"
            assert max(s.doc_count_all() for s in segments) <= build_mod.CHUNK_DOCS
        # 8 | 8+8 -> 16 | 16, 8 | 16, 8+8 -> 16: two more segments, none over 20.
        assert len(segments) == 6 + 2
        assert len(ix) == 120 + 4 * engine.FAST_WRITE_MIN
        assert ix.search("*", exact_total=True).total == len(ix)


# -- the top of a batch: writing a field's side arrays ---------------------------------

def _traced_peak(run: Any) -> tuple[Any, int]:
    """``run()``'s result and the traced peak above the memory traced when it started."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = run()
        return result, tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_side_arrays_are_written_without_a_copy(tmp_path: Path) -> None:
    """An array goes to its file from its own buffer: the ``.npy`` bytes made in
    memory first were a second copy of each array, at the top of a batch's memory."""
    import io

    import numpy as np

    from searchcore.execution.sidefiles import load, write_npy

    array = np.arange(2_000_000, dtype=np.int64)              # 16 MB
    _, peak = _traced_peak(lambda: write_npy(tmp_path / "a.npy", array))
    assert peak < 1_000_000, f"writing a 16 MB array took {peak / 1e6:.1f} MB more"
    expected = io.BytesIO()
    np.save(expected, array, allow_pickle=False)
    assert (tmp_path / "a.npy").read_bytes() == expected.getvalue()
    assert np.array_equal(load(tmp_path / "a.npy"), array)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_block_bounds_memory_follows_the_chunk_not_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field's block bounds are computed a run of blocks at a time, with the same
    result as all at once: over the whole field, the float64 copies of every
    posting's frequency and length (40 bytes a posting) topped a batch's memory."""
    import numpy as np

    from searchcore.execution import blocks

    rng = np.random.default_rng(7)
    df = np.where(rng.random(600) < 0.3, rng.integers(5000, 20000, 600), rng.integers(1, 50, 600))
    docoff = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    docs = np.concatenate([np.sort(rng.choice(30_000, min(int(d), 30_000), replace=False))
                           for d in df]).astype(np.int32)
    tf = rng.integers(1, 30, len(docs)).astype(np.float32)
    lengths = rng.integers(0, 900, 30_000).astype(np.float64)
    (off, bounds), peak = _traced_peak(lambda: blocks.block_bounds(docoff, docs, tf, lengths))
    allowed = bounds.nbytes + 64 * blocks.BOUNDS_CHUNK + 1_000_000
    print(f"{len(docs)} postings: peak {peak / 1e6:.1f} MB, allowed {allowed / 1e6:.1f} MB")
    assert peak < allowed, f"block bounds of {len(docs)} postings took {peak / 1e6:.1f} MB"
    monkeypatch.setattr(blocks, "BOUNDS_CHUNK", len(docs) + 1)          # one chunk
    whole_off, whole = blocks.block_bounds(docoff, docs, tf, lengths)
    assert np.array_equal(off, whole_off) and bounds.tobytes() == whole.tobytes()
    monkeypatch.setattr(blocks, "BOUNDS_CHUNK", blocks.BLOCK)           # a block each
    assert blocks.block_bounds(docoff, docs, tf, lengths)[1].tobytes() == whole.tobytes()


def test_a_fields_python_postings_are_freed_before_its_arrays_are_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk writer's posting lists (most of a batch's memory) are gone by the time
    the field's side arrays go to disk: they used to be held under the arrays, the
    block bounds and the arrays' copies, the peak of a 1M-article build."""
    from searchcore.execution import postings
    from searchcore.index import fastwriter

    traced: dict[str, int] = {}
    real_from, real_write = postings.from_inverted, postings.write_field

    def from_inverted(items: Any, *args: Any) -> Any:
        traced.setdefault("before", tracemalloc.get_traced_memory()[0])
        return real_from(items, *args)

    def write_field(folder: Path, segid: str, name: str, fp: Any) -> None:
        if name == "body":
            traced["writing"] = tracemalloc.get_traced_memory()[0]
        real_write(folder, segid, name, fp)

    monkeypatch.setattr(fastwriter.side_postings, "from_inverted", from_inverted)
    monkeypatch.setattr(fastwriter.side_postings, "write_field", write_field)
    articles = [normalize_article(r) for r in bbc_articles()[:100]]
    folder = tmp_path / "ix"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema("english"))
    write_segments(ix, articles[:20], 1)           # warm: imports, the term cache
    traced.clear()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        write_segments(ix, articles, 1)
    finally:
        tracemalloc.stop()
        ix.close()
    before, writing = traced["before"] - start, traced["writing"] - start
    print(f"traced when the body's arrays are made {before / 1e6:.2f} MB, "
          f"when they are written {writing / 1e6:.2f} MB")
    assert before > 1_000_000, "too small a batch to measure"
    # Freed, the postings leave less than they were, arrays included; held, the
    # arrays come on top of them.
    assert writing < before, (
        "the field's Python postings are still held while its arrays are written")


