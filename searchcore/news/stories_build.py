"""The stories of a full build, in memory that does not grow with the archive's text.

:class:`~searchcore.news.stories.StoryStore` keeps every signature in memory (256
bytes an article, plus band keys and copies made while merging): right for an add,
which compares a batch with the stored articles, but 0.8 KB an article held for a
whole rebuild was most of what a 1M-article build grew by. A build instead writes
each batch's signatures to its chunk files as the batch is written
(:meth:`StoryBuilder.add_batch`) and keeps nothing of them; at the end
(:meth:`StoryBuilder.finish`) it links the articles one LSH band at a time, reading
that band's keys back from the chunks (8 bytes an article per band) and the
signatures of candidate pairs a block at a time from memory-mapped files, released
after each block.

The result is the state an add of the same articles would make (the same
candidate rule, :data:`~searchcore.news.stories.MAX_BUCKET` included, the same
test, the same smallest-id story ids), in the same files, read by
:meth:`StoryStore.load`. What stays in memory is per article a few bytes: its
shingle count (4), the story array (8), and while one band is linked its key and
row (16).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from searchcore.news import minhash
from searchcore.news.stories import MAX_BUCKET, Chunk, StoryStore, chunk_base, write_state


class StoryBuilder:
    """Signatures written batch by batch, stories computed once at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.sizes: list[int] = []
        #: Seconds spent signing batches, and linking at the end (for the manifest).
        self.sign_seconds = 0.0
        self.link_seconds = 0.0

    @property
    def rows(self) -> int:
        return sum(self.sizes)

    def add_batch(self, articles: Sequence[tuple[str, str]]) -> None:
        """Sign ``(article_id, body)`` pairs (rows in order after the earlier batches)."""
        if not articles:
            return
        started = time.perf_counter()
        sig, count = minhash.signatures([body for _, body in articles])
        Chunk.make([a for a, _ in articles], sig, count).write(self.folder, len(self.sizes) + 1)
        self.sizes.append(len(articles))
        self.sign_seconds += time.perf_counter() - started

    def finish(self, dead: Iterable[int] = (), toc: int = 1) -> np.ndarray:
        """Link every live row, save the state for whoosh generation ``toc``; return the
        story array (-1: a ``dead`` row, a replaced article)."""
        started = time.perf_counter()
        store = StoryStore(self.folder)
        numbers = list(range(1, len(self.sizes) + 1))
        store.parts = [Chunk(size, chunk_base(self.folder, c))
                       for c, size in zip(numbers, self.sizes)]
        n = self.rows
        live = np.ones(n, dtype=bool)
        live[np.fromiter(dead, dtype=np.int64)] = False
        starts = store.starts
        linked = np.zeros(0, dtype=np.int64)           # verified pairs as low * n + high
        for band in range(minhash.BANDS + 1 if n else 0):   # the last: signature digest
            keys = np.concatenate([np.asarray(p.bands[band]) for p in store.parts]
                                  or [np.zeros(0, np.uint64)])
            rows = np.concatenate([np.asarray(p.brows[band], dtype=np.int64) + s
                                   for p, s in zip(store.parts, starts[:-1].tolist())]
                                  or [np.zeros(0, np.int64)])
            for part in store.parts:
                part.release("bands", "brows")
            keep = live[rows]
            keys, rows = keys[keep], rows[keep]
            order = np.argsort(keys, kind="stable")
            pairs = _bucket_pairs(keys[order], rows[order], chain=band == minhash.BANDS)
            del keys, rows, order
            # Copies share most bands: verify each pair once, keep each link once.
            codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
            codes = codes[~_in_sorted(codes, linked)]
            found = store.verified(np.stack([codes // n, codes % n], axis=1))
            linked = np.union1d(linked, found[:, 0] * n + found[:, 1])
        story = np.where(live, np.arange(n, dtype=np.int64), -1)
        if len(linked):
            store.story = story
            members, roots = _components(n, linked)
            store._set_stories(members, roots)
        write_state(self.folder, 1, numbers, self.sizes, story, toc)
        self.link_seconds = time.perf_counter() - started
        return story

def _bucket_pairs(keys: np.ndarray, rows: np.ndarray, chain: bool) -> np.ndarray:
    """``(low, high)`` row pairs sharing a key (``keys`` sorted); buckets over
    :data:`MAX_BUCKET` skipped, or with ``chain`` only consecutive members paired."""
    if len(keys) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    found = []
    if chain:
        same = np.flatnonzero(keys[1:] == keys[:-1])
        found.append(np.stack([rows[same], rows[same + 1]], axis=1))
    else:
        for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BUCKET)]).tolist():
            members = rows[starts[sizes == size][:, None] + np.arange(size)]  # buckets x size
            i, j = np.triu_indices(size, 1)
            found.append(np.stack([members[:, i].ravel(), members[:, j].ravel()], axis=1))
        if not found:
            return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    return np.sort(pairs, axis=1)


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted second argument (binary search, no sort)."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[pos] == values


def _components(n: int, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The linked rows and, per row, its component (smallest row) of the links
    ``codes`` (``low * n + high``), in bounded memory: a parent array over the rows,
    unions a block of links at a time, then pointer jumping in numpy."""
    parent = np.arange(n, dtype=np.int64)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:
            parent[x], x = root, int(parent[x])
        return root

    for start in range(0, len(codes), 65_536):
        block = codes[start:start + 65_536]
        for a, b in zip((block // n).tolist(), (block % n).tolist()):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            break
        parent = jumped
    members = np.unique(np.concatenate([codes // n, codes % n]))
    return members, parent[members]
