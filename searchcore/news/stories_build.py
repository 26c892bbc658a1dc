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

from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import orjson

from searchcore.news import minhash
from searchcore.news.stories import MAX_BUCKET, chunk_base, write_chunk, write_state

#: Candidate pairs verified per block: bounds the signature pages mapped at once.
VERIFY_BLOCK = 16_384


class StoryBuilder:
    """Signatures written batch by batch, stories computed once at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.sizes: list[int] = []

    @property
    def rows(self) -> int:
        return sum(self.sizes)

    def add_batch(self, articles: Sequence[tuple[str, str]]) -> None:
        """Sign ``(article_id, body)`` pairs (rows in order after the earlier batches)."""
        if not articles:
            return
        sig, count = minhash.signatures([body for _, body in articles])
        write_chunk(self.folder, len(self.sizes) + 1, [a for a, _ in articles], sig, count)
        self.sizes.append(len(articles))

    def finish(self, dead: Iterable[int] = ()) -> np.ndarray:
        """Link every live row, save the state; return the story array (-1: ``dead`` row).

        ``dead`` rows are replaced articles (an id written again by a later batch).
        """
        n = self.rows
        live = np.ones(n, dtype=bool)
        dead = np.fromiter(dead, dtype=np.int64)
        live[dead] = False
        counts = np.concatenate([np.load(f"{chunk_base(self.folder, c)}-count.npy")
                                 for c in self._chunks()]) if n else np.zeros(0, np.int32)
        linked: list[np.ndarray] = []
        for band in range(minhash.BANDS + 1):          # the last: whole-signature digest
            keys, rows = self._band(band, counts)
            keep = live[rows]
            keys, rows = keys[keep], rows[keep]
            order = np.argsort(keys, kind="stable")
            pairs = _bucket_pairs(keys[order], rows[order], chain=band == minhash.BANDS)
            for start in range(0, len(pairs), VERIFY_BLOCK):
                block = pairs[start:start + VERIFY_BLOCK]
                linked.append(block[self._same_story(block, counts)])
        story = np.where(live, np.arange(n, dtype=np.int64), -1)
        if linked:
            _assign(story, np.unique(np.concatenate(linked), axis=0), self._ids_of)
        write_state(self.folder, 1, self._chunks(), story)
        return story

    # -- reading the chunks back -----------------------------------------------------
    def _chunks(self) -> list[int]:
        return list(range(1, len(self.sizes) + 1))

    def _starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)

    def _band(self, band: int, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every row's key in ``band`` (``BANDS``: the digest), and the rows."""
        parts = []
        for chunk, start, size in zip(self._chunks(), self._starts(), self.sizes):
            sig = np.load(f"{chunk_base(self.folder, chunk)}-sig.npy", mmap_mode="r")
            if band < minhash.BANDS:
                parts.append(minhash.band_key(sig, band))
            else:
                parts.append(minhash.digest(minhash.band_keys(np.asarray(sig)),
                                            counts[start:start + size]))
            del sig
        keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        return keys, np.arange(len(keys), dtype=np.int64)

    def _same_story(self, pairs: np.ndarray, counts: np.ndarray) -> np.ndarray:
        a, b = self._gather(pairs[:, 0]), self._gather(pairs[:, 1])
        return np.asarray(minhash.same_story(a, counts[pairs[:, 0]], b, counts[pairs[:, 1]]),
                          dtype=bool)

    def _gather(self, rows: np.ndarray) -> np.ndarray:
        """The signatures of ``rows``, read from memory-mapped chunks closed afterwards."""
        out = np.empty((len(rows), minhash.PERMUTATIONS), dtype=np.uint32)
        starts = self._starts()
        chunk_of = np.searchsorted(starts, rows, side="right") - 1
        for k in np.unique(chunk_of):
            sel = np.flatnonzero(chunk_of == k)
            sig = np.load(f"{chunk_base(self.folder, int(k) + 1)}-sig.npy", mmap_mode="r")
            out[sel] = sig[rows[sel] - starts[k]]
            del sig
        return out

    def _ids_of(self, rows: np.ndarray) -> list[str]:
        """Article ids of ``rows`` (sorted), one chunk's id list in memory at a time."""
        starts = self._starts()
        found: list[str] = []
        chunk_of = np.searchsorted(starts, rows, side="right") - 1
        for k in np.unique(chunk_of):
            ids = orjson.loads(Path(f"{chunk_base(self.folder, int(k) + 1)}.json").read_bytes())
            found.extend(ids[int(r - starts[k])] for r in rows[chunk_of == k])
        return found


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
        two = starts[sizes == 2]
        found.append(np.stack([rows[two], rows[two + 1]], axis=1))
        for start, size in zip(starts[(sizes > 2) & (sizes <= MAX_BUCKET)],
                               sizes[(sizes > 2) & (sizes <= MAX_BUCKET)]):
            i, j = np.triu_indices(int(size), 1)
            members = rows[start:start + size]
            found.append(np.stack([members[i], members[j]], axis=1))
    pairs = np.concatenate(found)
    return np.sort(pairs, axis=1)


def _assign(story: np.ndarray, pairs: np.ndarray,
            ids_of: Callable[[np.ndarray], list[str]]) -> None:
    """Set ``story`` of linked rows to their component's smallest-id member."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members = np.unique(pairs)
    roots = [find(r) for r in members.tolist()]
    best: dict[int, tuple[str, int]] = {}
    for row, root, article_id in zip(members.tolist(), roots, ids_of(members)):
        current = best.get(root)
        if current is None or article_id < current[0]:
            best[root] = (article_id, row)
    story[members] = [best[root][1] for root in roots]
