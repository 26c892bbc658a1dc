"""Stories: the near-duplicate copies of one article, kept beside each generation.

Every article gets a MinHash signature of its body (:mod:`searchcore.news.minhash`)
when it is written. Two articles are *linked* when they share an LSH band and
:func:`~searchcore.news.minhash.same_story` says yes; a **story** is a connected
component of those links, and its id is the **smallest member article id** (string
order). So the stories are a function of the set of articles alone:

* an add compares the new articles with every stored article they share a band with
  (and with each other) and merges the stories they link;
* a delete recomputes the components of each story that lost a member, from the
  links among the remaining members, so a story never keeps a member only the
  deleted article linked it to, and its id moves to the new smallest member;
* a full rebuild runs the same add over all articles, in batches.

Adds of the same articles in any order, in any batches, and a rebuild give the same
stories, with one stated exception: an LSH bucket (one band value) holding more than
:data:`MAX_BUCKET` articles is not expanded into pairs (its members still link
through their other bands or an identical signature), and which articles a bucket
holds at the moment of an add depends on what was added before.

Files, in the generation folder beside whoosh's (which ignores them)::

    stories-000007.json        the state: parameters, the chunk list, the live rows
    stories-000007-story.npy   per row: the row of its story's id (-1: deleted row)
    stories-c000003-sig.npy    chunk 3's signatures (rows x PERMUTATIONS uint32)
    stories-c000003-count.npy  chunk 3's shingle counts (int32)
    stories-c000003.json       chunk 3's article ids, in row order

Each add writes one new chunk (signatures are never rewritten) and a new numbered
state; the state is written last with ``os.replace``, so a reader sees the previous
state or the new one. Nothing is pickled: numpy arrays (``allow_pickle=False``) and
JSON.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import orjson

from searchcore.errors import IndexFormatError
from searchcore.news import minhash

#: Version of the files above; a state with another one is refused with a rebuild hint.
STORE_VERSION = 1
#: LSH buckets larger than this are not expanded into candidate pairs (see above).
MAX_BUCKET = 1000
_STATE = re.compile(r"^stories-(\d{6})\.json$")


def _params() -> dict[str, object]:
    return {"shingle": minhash.SHINGLE, "permutations": minhash.PERMUTATIONS,
            "bands": minhash.BANDS, "rows": minhash.ROWS, "threshold": minhash.THRESHOLD,
            "jaccard_floor": minhash.JACCARD_FLOOR, "min_shingles": minhash.MIN_SHINGLES}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def candidate_pairs(keys: np.ndarray, new_from: int) -> np.ndarray:
    """Pairs ``(i, j)`` (``i < j``) of rows sharing a band key, at least one ``>= new_from``.

    ``keys`` is rows x BANDS. Buckets larger than :data:`MAX_BUCKET` are skipped.
    """
    found: list[np.ndarray] = []
    rows = np.arange(len(keys))
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")
        ordered = col[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            if size > MAX_BUCKET:
                continue
            members = rows[order[start:start + size]]
            if members.max() < new_from:
                continue
            i, j = np.triu_indices(size, 1)
            a, b = members[i], members[j]
            keep = np.maximum(a, b) >= new_from
            found.append(np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


class StoryStore:
    """The signatures and story of every article of one generation."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.version = 0
        self.chunks: list[int] = []
        self.ids: list[str] = []
        self.sig = np.zeros((0, minhash.PERMUTATIONS), dtype=np.uint32)
        self.count = np.zeros(0, dtype=np.int32)
        self.story = np.zeros(0, dtype=np.int64)
        self._row_of: dict[str, int] | None = None
        self._keys: np.ndarray | None = None
        self._pending_chunks: list[tuple[list[str], np.ndarray, np.ndarray]] = []

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path) -> "StoryStore":
        """The latest state in ``folder`` (an empty store if it has none).

        A writer may replace the state while it is read; then the read starts over.
        """
        for _attempt in range(3):
            try:
                return cls._load(folder)
            except FileNotFoundError:
                continue
        return cls._load(folder)

    @classmethod
    def _load(cls, folder: Path) -> "StoryStore":
        store = cls(folder)
        versions = [int(m.group(1)) for p in store.folder.iterdir()
                    if (m := _STATE.match(p.name))] if store.folder.is_dir() else []
        if not versions:
            return store
        store.version = max(versions)
        state_file = store.folder / f"stories-{store.version:06d}.json"
        state = orjson.loads(state_file.read_bytes())
        if state.get("store_version") != STORE_VERSION or state.get("params") != _params():
            raise IndexFormatError(
                f"{str(state_file)!r} was written with other story parameters; rebuild the "
                f"index with `searchcore index build SOURCE... --index {folder.parent}`")
        store.chunks = list(state["chunks"])
        sigs, counts = [store.sig], [store.count]
        for chunk in store.chunks:
            base = chunk_base(store.folder, chunk)
            store.ids.extend(orjson.loads(Path(f"{base}.json").read_bytes()))
            sigs.append(np.load(f"{base}-sig.npy", allow_pickle=False))
            counts.append(np.load(f"{base}-count.npy", allow_pickle=False))
        store.sig = np.concatenate(sigs)
        store.count = np.concatenate(counts)
        store.story = np.load(store.folder / f"stories-{store.version:06d}-story.npy",
                              allow_pickle=False).astype(np.int64)
        if not (len(store.ids) == len(store.sig) == len(store.story)):
            raise IndexFormatError(f"{str(state_file)!r} does not match its chunks; rebuild "
                                   f"the index with `searchcore index build SOURCE...`")
        return store

    @property
    def row_of(self) -> dict[str, int]:
        """``article id -> live row``."""
        if self._row_of is None:
            live = np.flatnonzero(self.story >= 0)
            self._row_of = {self.ids[r]: int(r) for r in live}
        return self._row_of

    def story_id(self, article_id: str) -> str | None:
        """The story id of ``article_id`` (its smallest member's id), or None if unknown."""
        row = self.row_of.get(article_id)
        return None if row is None else self.ids[int(self.story[row])]

    def members(self, article_id: str) -> list[str]:
        """Every article id of ``article_id``'s story (itself included), sorted."""
        row = self.row_of.get(article_id)
        if row is None:
            return []
        return sorted(self.ids[r] for r in np.flatnonzero(self.story == self.story[row]))

    def story_ids(self) -> dict[str, str]:
        """``article id -> story id`` for every live article."""
        ids, story = self.ids, self.story
        return {ids[r]: ids[int(story[r])] for r in self.row_of.values()}

    # -- writing ------------------------------------------------------------------------
    def add(self, articles: Sequence[tuple[str, str]]) -> None:
        """Add or replace ``(article_id, body)`` pairs and merge the stories they link."""
        if not articles:
            return
        self.delete([a for a, _ in articles if a in self.row_of])
        sig, count = minhash.signatures([body for _, body in articles])
        start = len(self.ids)
        new_ids = [a for a, _ in articles]
        self.ids.extend(new_ids)
        self.sig = np.concatenate([self.sig, sig])
        self.count = np.concatenate([self.count, count])
        self.story = np.concatenate([self.story, np.arange(start, start + len(new_ids))])
        self._pending_chunks.append((new_ids, sig, count))
        self._row_of = None
        keys = self._band_keys(start)
        live = np.flatnonzero(self.story >= 0)
        # Candidate pairs among live rows that involve a new row.
        local = candidate_pairs(keys[live], int(np.searchsorted(live, start)))
        pairs = live[local]
        self._link(pairs, live)

    def _band_keys(self, start: int) -> np.ndarray:
        """Band keys of every row (cached; rows from ``start`` on are new)."""
        old = self._keys if self._keys is not None and len(self._keys) == start else None
        if old is None:
            old = minhash.band_keys(self.sig[:start])
        new = minhash.band_keys(self.sig[start:])
        self._keys = np.concatenate([old, new])
        # Identical signatures always link, whatever the size of their buckets.
        return self._keys

    def _link(self, pairs: np.ndarray, rows: np.ndarray) -> None:
        """Merge the stories of the candidate ``pairs`` that are copies of one story."""
        pairs = np.concatenate([pairs, self._identical_pairs(rows)])
        if len(pairs):
            ok = np.asarray(minhash.same_story(self.sig[pairs[:, 0]], self.count[pairs[:, 0]],
                                               self.sig[pairs[:, 1]], self.count[pairs[:, 1]]))
            pairs = pairs[ok]
        if not len(pairs):
            return
        # Union the stories (represented by their id rows) the links touch.
        reps = np.unique(self.story[pairs.ravel()])
        index = {int(r): k for k, r in enumerate(reps)}
        uf = _UnionFind(len(reps))
        for a, b in self.story[pairs]:
            uf.union(index[int(a)], index[int(b)])
        groups: dict[int, list[int]] = {}
        for k, r in enumerate(reps):
            groups.setdefault(uf.find(k), []).append(int(r))
        affected = np.flatnonzero(np.isin(self.story, reps))
        for group in groups.values():
            if len(group) < 2:
                continue
            rows_in = affected[np.isin(self.story[affected], group)]
            self._set_story(rows_in)

    def _identical_pairs(self, rows: np.ndarray) -> np.ndarray:
        """Pairs of ``rows`` with identical signatures and counts (consecutive in sort order)."""
        if len(rows) < 2:
            return np.zeros((0, 2), dtype=np.int64)
        sig = self.sig[rows]
        order = np.lexsort(np.vstack([self.count[rows][None, :], sig.T[::-1]]))
        same = np.all(sig[order[1:]] == sig[order[:-1]], axis=1) & (
            self.count[rows][order[1:]] == self.count[rows][order[:-1]])
        return np.stack([rows[order[:-1]][same], rows[order[1:]][same]], axis=1)

    def _set_story(self, rows: np.ndarray) -> None:
        """Make ``rows`` one story whose id row is the member with the smallest id."""
        ids = self.ids
        rep = min((int(r) for r in rows), key=lambda r: ids[r])
        self.story[rows] = rep

    def delete(self, article_ids: Iterable[str]) -> None:
        """Forget ``article_ids`` and recompute the stories they belonged to."""
        rows = [self.row_of[a] for a in set(article_ids) if a in self.row_of]
        if not rows:
            return
        reps = np.unique(self.story[rows])
        self.story[rows] = -1
        self._row_of = None
        for rep in reps:
            members = np.flatnonzero(self.story == rep)
            if len(members):
                self._recompute(members)

    def _recompute(self, members: np.ndarray) -> None:
        """The components of the links among ``members`` (one former story)."""
        keys = self._band_keys_for(members)
        local = candidate_pairs(keys, 0)
        pairs = np.concatenate([members[local], self._identical_pairs(members)])
        if len(pairs):
            ok = np.asarray(minhash.same_story(self.sig[pairs[:, 0]], self.count[pairs[:, 0]],
                                               self.sig[pairs[:, 1]], self.count[pairs[:, 1]]))
            pairs = pairs[ok]
        index = {int(r): k for k, r in enumerate(members)}
        uf = _UnionFind(len(members))
        for a, b in pairs:
            uf.union(index[int(a)], index[int(b)])
        groups: dict[int, list[int]] = {}
        for k, r in enumerate(members):
            groups.setdefault(uf.find(k), []).append(int(r))
        for group in groups.values():
            self._set_story(np.array(group))

    def _band_keys_for(self, rows: np.ndarray) -> np.ndarray:
        if self._keys is not None and len(self._keys) == len(self.sig):
            return self._keys[rows]
        return minhash.band_keys(self.sig[rows])

    def save(self) -> None:
        """Write the pending chunk (if any) and a new state; remove superseded states."""
        self.folder.mkdir(parents=True, exist_ok=True)
        chunk_written = list(self.chunks)
        for ids, sig, count in self._pending_chunks:
            number = (max(chunk_written) + 1) if chunk_written else 1
            write_chunk(self.folder, number, ids, sig, count)
            chunk_written.append(number)
        self._pending_chunks = []
        self.chunks = chunk_written
        old = self.version
        self.version += 1
        write_state(self.folder, self.version, self.chunks, self.story)
        # The state just replaced stays one more round: a reader may have listed it.
        for version in range(max(0, old - 2), old):
            if 0 < version < self.version:
                for name in (f"stories-{version:06d}.json", f"stories-{version:06d}-story.npy"):
                    try:
                        os.unlink(self.folder / name)
                    except FileNotFoundError:
                        pass


def chunk_base(folder: Path, number: int) -> Path:
    """The common prefix of chunk ``number``'s files in ``folder``."""
    return Path(folder) / f"stories-c{number:06d}"


def write_chunk(folder: Path, number: int, ids: Sequence[str], sig: np.ndarray,
                count: np.ndarray) -> None:
    """Write one chunk's article ids, signatures and shingle counts (see the module doc)."""
    base = chunk_base(folder, number)
    _write(Path(f"{base}-sig.npy"), sig)
    _write(Path(f"{base}-count.npy"), count)
    _write_bytes(Path(f"{base}.json"), orjson.dumps(list(ids)))


def write_state(folder: Path, version: int, chunks: Sequence[int], story: np.ndarray) -> None:
    """Write state ``version``: its story array, then (last, atomically) its JSON."""
    folder = Path(folder)
    _write(folder / f"stories-{version:06d}-story.npy", story)
    _write_bytes(folder / f"stories-{version:06d}.json", orjson.dumps(
        {"store_version": STORE_VERSION, "params": _params(), "chunks": list(chunks),
         "rows": len(story), "live": int(np.sum(story >= 0))}))


def _write(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def record_add(ix: Any, articles: Sequence[tuple[str, str]]) -> None:
    """After ``ix`` (a whoosh index) committed ``(article_id, body)`` adds: update stories.

    Call under the index write lock, after the columns of new segments are written.
    """
    store = StoryStore.load(Path(ix.storage.folder))
    store.add(articles)
    store.save()
    write_story_column(ix, store)


def record_delete(ix: Any, article_ids: Iterable[str]) -> None:
    """After ``ix`` committed deleting ``article_ids``: recompute the stories they were in."""
    store = StoryStore.load(Path(ix.storage.folder))
    store.delete(list(article_ids))
    store.save()
    write_story_column(ix, store)


def write_story_column(ix: Any, store: StoryStore) -> None:
    """Store every document's story code as the ``story`` column (see execution.columns).

    The code is the store row of the story's id: equal codes, same story. Documents
    the store does not know get -1 (each its own story).
    """
    from searchcore.execution.columns import write_extra_column

    with ix.reader() as reader:
        codes = document_story_codes(reader, store)
    write_extra_column(ix, "story", codes)


def document_story_codes(reader: Any, store: StoryStore) -> np.ndarray:
    """Per global document number of ``reader``, its story code, -1 where unknown.

    One pass over each segment's ``id`` terms, whose single posting gives the
    document number (``TermInfo.min_id``).
    """
    parts = []
    row_of, story = store.row_of, store.story
    for leaf, _offset in reader.leaf_readers():
        codes = np.full(leaf.doc_count_all(), -1, dtype=np.int64)
        for text, info in leaf.iter_field("id"):
            row = row_of.get(text.decode("utf-8"))
            if row is None:
                continue
            docnum = info.min_id()
            if info.max_id() != docnum:       # a replaced copy is still in this segment
                for d in leaf.postings("id", text).all_ids():
                    codes[d] = story[row]
            else:
                codes[docnum] = story[row]
        parts.append(codes)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def latest_version(folder: Path) -> int:
    """The newest state number in ``folder`` (0: none), to notice another writer's changes."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    return max((int(m.group(1)) for n in names if (m := _STATE.match(n))), default=0)
