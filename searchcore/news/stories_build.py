"""The stories of a full build, in memory that does not grow with the archive's text.

:class:`~searchcore.news.stories.StoryStore` keeps an add's signatures in memory:
right for an add, which compares a batch with the stored articles, but 0.8 KB an
article held for a whole rebuild was most of what a 1M-article build grew by. A
build instead writes each batch's signatures to its chunk files as the batch is
written (:meth:`StoryBuilder.add_batch`) and keeps nothing of them. At the end
(:meth:`StoryBuilder.finish`) it

1. finds the links one LSH band at a time: that band's keys read back from the
   chunks (8 bytes an article), its buckets expanded into candidate pairs a block
   of :data:`PAIR_BLOCK` pairs at a time, each pair not yet linked verified from
   signatures read from memory-mapped files (released after each block), each
   link kept once, packed with its equal positions in one int64
   (:func:`~searchcore.news.leaders.pack`);
2. runs the leader greedy over all links at once
   (:func:`~searchcore.news.leaders.greedy`), in the canonical order.

The result is the state adds of the same articles make (the same candidate rule,
:data:`~searchcore.news.stories.MAX_BUCKET` included, the same test, the same
leaders), in the same files, read by :meth:`StoryStore.load`. What stays in memory
is per article its shingle count (4 bytes), rank (8) and story (8), while a band is
linked its key and row (16), and per link 8 bytes (16 while a band's new links are
merged in): no copy of a link per band, and no block of candidate pairs larger
than :data:`PAIR_BLOCK`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from searchcore.index.heap import release_free_memory
from searchcore.news import leaders, minhash
from searchcore.news.stories import MAX_BUCKET, Chunk, StoryStore, chunk_base, write_state

#: Candidate pairs expanded from a band's buckets at once (16 bytes each).
PAIR_BLOCK = 1 << 19


class StoryBuilder:
    """Signatures written batch by batch, stories computed once at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.sizes: list[int] = []
        #: Seconds spent signing batches, and linking at the end (for the manifest):
        #: wall time, and CPU time of this process (what a loaded machine does not skew).
        self.sign_seconds = 0.0
        self.link_seconds = 0.0
        self.sign_cpu = 0.0
        self.link_cpu = 0.0
        #: Links found at the end (verified pairs), for reports.
        self.links = 0

    @property
    def rows(self) -> int:
        return sum(self.sizes)

    def add_batch(self, articles: Sequence[tuple[str, str]]) -> None:
        """Sign ``(article_id, body)`` pairs (rows in order after the earlier batches)."""
        if not articles:
            return
        started, cpu = time.perf_counter(), time.process_time()
        sig, count = minhash.signatures([body for _, body in articles])
        Chunk.make([a for a, _ in articles], sig, count).write(self.folder, len(self.sizes) + 1)
        self.sizes.append(len(articles))
        self.sign_seconds += time.perf_counter() - started
        self.sign_cpu += time.process_time() - cpu

    def finish(self, dead: Iterable[int] = (), toc: int = 1) -> np.ndarray:
        """Link every live row, choose the leaders, save the state for whoosh
        generation ``toc``; return the story array (-1: a ``dead`` row, a replaced
        article)."""
        started, cpu = time.perf_counter(), time.process_time()
        store = StoryStore(self.folder)
        numbers = list(range(1, len(self.sizes) + 1))
        store.parts = [Chunk(size, chunk_base(self.folder, c))
                       for c, size in zip(numbers, self.sizes)]
        live = np.ones(self.rows, dtype=bool)
        live[np.fromiter(dead, dtype=np.int64)] = False
        story, self.links = stories_of(store, live)
        write_state(self.folder, 1, numbers, self.sizes, story, toc)
        self.link_seconds = time.perf_counter() - started
        self.link_cpu = time.process_time() - cpu
        return story


def stories_of(store: StoryStore, live: np.ndarray) -> tuple[np.ndarray, int]:
    """Per row of ``store``'s chunks, the row of its story's leader (-1 where not
    ``live``), and the number of links found: every link at once, then the leader
    greedy, in the canonical order. What a rebuild computes, for one index's chunks
    or (:mod:`searchcore.sharding.stories`) for every shard's."""
    n = len(live)
    story = np.where(live, np.arange(n, dtype=np.int64), -1)
    if not n:
        return story, 0
    rank = leaders.ranks(store.count, store.id_hashes_of(np.arange(n)))
    for part in store.parts:
        part.release("idh")
    packed = _links(store, live, rank)
    links = len(packed)
    if links:
        _to_rank_space(packed, n, rank)
        packed.sort()
        leader = leaders.greedy(n, packed)
        del packed
        row_of_rank = np.empty(n, dtype=np.int64)
        row_of_rank[rank] = np.arange(n, dtype=np.int64)
        story = np.where(live, row_of_rank[leader[rank]], -1)
    return story, links


def _links(store: StoryStore, live: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Every verified link of the live rows, packed (row space), sorted, each once."""
    n = len(live)
    linked = np.zeros(0, dtype=np.int64)
    starts = store.starts
    for band in range(minhash.BANDS + 1):            # the last: signature digest
        keys = np.concatenate([np.asarray(p.bands[band]) for p in store.parts])
        rows = np.concatenate([np.asarray(p.brows[band], dtype=np.int64) + s
                               for p, s in zip(store.parts, starts[:-1].tolist())])
        for part in store.parts:
            part.release("bands", "brows")
        keep = live[rows]
        keys, rows = keys[keep], rows[keep]
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        del order, keep
        known = linked >> leaders.EQUAL_BITS          # sorted: the pairs linked so far
        found = []
        for pairs in _bucket_pairs(keys, rows, rank if band == minhash.BANDS else None):
            codes = pairs[:, 0] * n + pairs[:, 1]
            pairs = pairs[~_in_sorted(codes, known)]
            ok, equal = store.verified(pairs)
            if len(ok):
                found.append(leaders.pack(ok, n, equal))
        del keys, rows, known
        if found:
            linked = np.concatenate([linked, *found])
            del found
            linked.sort()
        # A band's arrays are freed here, but inside the heap a build's survivors
        # fragmented: each band's arrays land in other holes, and the pages stay
        # resident (at 1M articles the process grew by ~350 MB over the bands, for
        # ~150 MB of arrays). Hand them back before the next band (index/heap.py).
        release_free_memory()
    return linked


def _bucket_pairs(keys: np.ndarray, rows: np.ndarray,
                  rank: np.ndarray | None) -> Iterator[np.ndarray]:
    """Blocks of ``(low, high)`` row pairs sharing a key (``keys`` sorted), at most
    about :data:`PAIR_BLOCK` at a time. Buckets over :data:`MAX_BUCKET` are skipped;
    with ``rank`` (the identical-signature digest), every member is paired with
    the bucket's earliest member in the canonical order instead, whatever its size."""
    if len(keys) < 2:
        return
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    if rank is not None:
        bucket = np.repeat(np.arange(len(starts)), sizes)
        shared = sizes[bucket] > 1
        r = rank[rows]
        order = np.lexsort((r, bucket))               # per bucket, earliest first
        first = rows[order][np.repeat(starts, sizes)]  # each position's bucket leader
        members = rows[order]
        pick = shared & (members != first)
        for lo in range(0, int(pick.sum()), PAIR_BLOCK):
            a = first[pick][lo:lo + PAIR_BLOCK]
            b = members[pick][lo:lo + PAIR_BLOCK]
            yield np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
        return
    for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BUCKET)]).tolist():
        i, j = np.triu_indices(size, 1)
        bucket_starts = starts[sizes == size]
        per_block = max(1, PAIR_BLOCK // len(i))
        for lo in range(0, len(bucket_starts), per_block):
            members = rows[bucket_starts[lo:lo + per_block, None] + np.arange(size)]
            pairs = np.stack([members[:, i].ravel(), members[:, j].ravel()], axis=1)
            yield np.sort(pairs, axis=1)


def _to_rank_space(packed: np.ndarray, n: int, rank: np.ndarray) -> None:
    """Rewrite packed row links as ``(later rank, earlier rank)`` links, in place."""
    for start in range(0, len(packed), PAIR_BLOCK):
        block = packed[start:start + PAIR_BLOCK]
        pair = block >> leaders.EQUAL_BITS
        ra, rb = rank[pair // n], rank[pair % n]
        block[:] = ((np.maximum(ra, rb) * n + np.minimum(ra, rb)) << leaders.EQUAL_BITS) | (
            block & leaders.EQUAL_MASK)


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted second argument (binary search, no sort)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[pos] == values
