"""Stories: the near-duplicate copies of one article, kept beside each generation.

Every article gets a MinHash signature of its body (:mod:`searchcore.news.minhash`)
when it is written. Two articles are *linked* when they share an LSH band and
:func:`~searchcore.news.minhash.same_story` says yes. A **story** is a *leader* and
the articles linked to it that chose it (:mod:`searchcore.news.leaders`: the
longest article leads, each shorter one joins its best-matching linked leader), so
members are copies of the leader, never joined through each other. A story's id
is its **leader's article id**; ``story[row]`` is the leader's row.

The stories are a function of the set of articles alone:

* an add links the new articles with every stored article they share a band with
  (and with each other), then re-runs the greedy from the new articles onwards,
  only where a change can reach (:func:`~searchcore.news.leaders.settle`);
* a delete re-runs it from the followers of each deleted leader (a deleted
  follower changes nothing), so no article keeps a leader that is gone;
* a full rebuild runs the greedy over all links at once
  (:mod:`searchcore.news.stories_build`).

Adds of the same articles in any order, in any batches, and a rebuild give the same
stories, with one stated exception: an LSH bucket (one band value) holding more than
:data:`MAX_BUCKET` live articles is not expanded into pairs (its members still link
through their other bands or an identical signature), and which articles a bucket
holds at the moment of an add depends on what was added before; identical
signatures in a bucket that large are linked to one member only (the earliest in
the canonical order) by a build, and to every member (or, beyond
:data:`MAX_RAW_BUCKET` rows, to one) by an add. Both need more than a thousand
articles whose shingles hash alike in every band.

Files, in the generation folder beside whoosh's (which ignores them)::

    stories-000007.json        the state: parameters, the whoosh generation it is
                               for ("toc"), the chunks and their sizes
    stories-000007-story.npy   per row: the row of its story's id (-1: deleted row)
    stories-c000003-sig.npy    chunk 3's signatures (rows x PERMUTATIONS uint32)
    stories-c000003-count.npy  chunk 3's shingle counts (int32)
    stories-c000003-idh.npy    chunk 3's id hashes (rows x 2 uint64, BLAKE2b-128)
    stories-c000003-bands.npy  per band, then the whole-signature digest: the
                               chunk's keys, sorted ((BANDS + 1) x rows uint64)
    stories-c000003-brows.npy  the chunk row of each of those keys (int32)
    stories-c000003.json       chunk 3's article ids, in row order

and per whoosh segment the ``storyrow`` column (:mod:`searchcore.execution.columns`):
each document's row. Rows never change, so old segments' columns are never
rewritten; a document's story is ``story[row]`` of the state its reader uses.

**Persisted arrays, so an add does not rescan the archive**: an add looks its ids up
in the id hashes and its band keys up in each chunk's sorted keys (binary search,
memory-mapped), reads signatures only of candidate pairs, and derives ``storyrow``
only for the segments its commit made. Its cost follows the batch, not the index.

**One transaction with whoosh's commit**: a writer computes the new state and
saves it *before* whoosh writes its table of contents, labelled with the
generation that commit makes. A reader uses the newest state whose generation is
not past its own, so it never sees stories ahead of (or behind) its documents; a
state left by a writer that died before its commit belongs to a generation that
never came, is ignored, and is overwritten by the next writer. A segment whose
``storyrow`` column is missing (the writer died after the commit) has its rows
derived from its ``id`` terms when read, and written by the next writer.

Each add writes one new chunk (signatures are never rewritten) and a new numbered
state; the state is written last with ``os.replace``. Nothing is pickled: numpy
arrays (``allow_pickle=False``) and JSON.
"""

from __future__ import annotations

import mmap
import os
import re
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import orjson

from searchcore.distinct import distinct, distinct_inverse, distinct_pairs
from searchcore.errors import IndexFormatError
from searchcore.execution.sidefiles import npy_header, write_atomic, write_npy
from searchcore.index.idtable import id_hashes
from searchcore.news import leaders, minhash

#: Version of the files above; a state with another one is refused with a rebuild hint.
STORE_VERSION = 3
#: LSH buckets larger than this are not expanded into candidate pairs (see above).
MAX_BUCKET = 1000
#: An add does not even count the live members of a bucket with more rows than this.
MAX_RAW_BUCKET = 8 * MAX_BUCKET
#: The extra column holding each document's store row.
ROW_COLUMN = "storyrow"
#: Candidate pairs whose signatures are read (and compared) at once.
VERIFY_BLOCK = 16_384
_STATE = re.compile(r"^stories-(\d{6})\.json$")
_NO_ROWS = np.zeros(0, dtype=np.int64)


def _params() -> dict[str, object]:
    return {"shingle": minhash.SHINGLE, "permutations": minhash.PERMUTATIONS,
            "bands": minhash.BANDS, "rows": minhash.ROWS, "threshold": minhash.THRESHOLD,
            "jaccard_floor": minhash.JACCARD_FLOOR, "min_shingles": minhash.MIN_SHINGLES}


class Chunk:
    """One chunk's arrays: made in memory by an add, or read from its files on demand
    (memory-mapped, except the small shingle counts)."""

    def __init__(self, size: int, base: Path | None = None, **arrays: Any) -> None:
        self.size = size
        self.base = base
        self._arrays: dict[str, Any] = arrays
        self._sig_map: mmap.mmap | None = None

    @classmethod
    def make(cls, ids: Sequence[str], sig: np.ndarray, count: np.ndarray) -> "Chunk":
        """A new chunk of ``ids`` with their signatures and counts (keys computed here)."""
        keys = minhash.band_keys(sig)
        keys = np.concatenate([keys, minhash.digest(keys, count)[:, None]], axis=1).T
        brows = np.argsort(keys, axis=1, kind="stable").astype(np.int32)
        return cls(len(ids), ids=list(ids), sig=sig, count=count, idh=id_hashes(ids),
                   bands=np.take_along_axis(keys, brows, axis=1), brows=brows)

    def _get(self, name: str) -> Any:
        value = self._arrays.get(name)
        if value is None:
            if self.base is None:
                raise KeyError(name)
            if name == "ids":
                value = orjson.loads(Path(f"{self.base}.json").read_bytes())
            elif name == "sig":
                value, self._sig_map = _map_npy(Path(f"{self.base}-sig.npy"))
            else:
                value = np.load(f"{self.base}-{name}.npy", allow_pickle=False,
                                mmap_mode=None if name == "count" else "r")
            self._arrays[name] = value
        return value

    def signature_rows(self, local: np.ndarray) -> np.ndarray:
        """The signatures of chunk rows ``local`` (sorted: the file is read forwards),
        copied out; the file's pages are then dropped from this process's resident
        set (they stay in the page cache), so reading every chunk in turn never holds
        more than one chunk's pages. Kept mapped: no re-opening per read."""
        out = self.sig[local]
        if self._sig_map is not None:
            self._sig_map.madvise(mmap.MADV_DONTNEED)
        return out

    ids = property(lambda self: self._get("ids"))
    sig = property(lambda self: self._get("sig"))
    count = property(lambda self: self._get("count"))
    idh = property(lambda self: self._get("idh"))
    bands = property(lambda self: self._get("bands"))
    brows = property(lambda self: self._get("brows"))

    def write(self, folder: Path, number: int) -> None:
        base = chunk_base(folder, number)
        for name in _chunk_files(self.size):
            write_npy(Path(f"{base}-{name}.npy"), np.asarray(self._get(name)))
        write_atomic(Path(f"{base}.json"), orjson.dumps(list(self.ids)))

    def release(self, *names: str) -> None:
        """Forget arrays read from the files (unmapping them): read again on demand."""
        if self.base is not None:
            for name in names:
                self._arrays.pop(name, None)
                if name == "sig":
                    self._sig_map = None


class StoryStore:
    """The signatures and story of every article of one generation."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.version = 0
        #: The whoosh generation (table of contents) this state is for; -1: none yet.
        self.toc = -1
        self.chunks: list[int] = []
        self.parts: list[Chunk] = []
        self.story = _NO_ROWS.copy()
        self._pending: list[int] = []                # indexes into parts, not yet written
        self._starts: np.ndarray | None = None
        self._count: np.ndarray | None = None
        self._id_index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._row_of: dict[str, int] | None = None

    # -- reading ------------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path, toc: int | None = None) -> "StoryStore":
        """The state in ``folder`` for whoosh generation ``toc`` (None: the newest),
        an empty store if there is none.

        A writer may replace the state while it is read; then the read starts over.
        """
        for _attempt in range(3):
            try:
                return cls._load(folder, toc)
            except FileNotFoundError:
                continue
        return cls._load(folder, toc)

    @classmethod
    def _load(cls, folder: Path, toc: int | None) -> "StoryStore":
        store = cls(folder)
        found = choose_state(store.folder, toc)
        if found is None:
            return store
        store.version, state = found
        state_file = store.folder / f"stories-{store.version:06d}.json"
        if state.get("store_version") != STORE_VERSION or state.get("params") != _params():
            raise IndexFormatError(
                f"{str(state_file)!r} was written by another version of searchcore or with "
                f"other story parameters; rebuild the index with `searchcore index build "
                f"SOURCE... --index {store.folder.parent}`")
        store.toc = int(state["toc"])
        for number, size in state["chunks"]:
            store.chunks.append(int(number))
            store.parts.append(Chunk(int(size), chunk_base(store.folder, int(number))))
        store.story = np.load(store.folder / f"stories-{store.version:06d}-story.npy",
                              allow_pickle=False).astype(np.int64)
        if sum(p.size for p in store.parts) != len(store.story):
            raise IndexFormatError(f"{str(state_file)!r} does not match its chunks; rebuild "
                                   f"the index with `searchcore index build SOURCE...`")
        return store

    @property
    def rows(self) -> int:
        return len(self.story)

    @property
    def starts(self) -> np.ndarray:
        """First row of each chunk, and the row count at the end."""
        if self._starts is None:
            self._starts = np.concatenate(
                [[0], np.cumsum([p.size for p in self.parts])]).astype(np.int64)
        return self._starts

    @property
    def count(self) -> np.ndarray:
        """Shingle count per row."""
        if self._count is None:
            self._count = (np.concatenate([np.asarray(p.count) for p in self.parts])
                           if self.parts else np.zeros(0, np.int32))
        return self._count

    @property
    def ids(self) -> list[str]:
        """Every row's article id (all chunks' id lists: for tests and tools)."""
        return [i for p in self.parts for i in p.ids]

    @property
    def row_of(self) -> dict[str, int]:
        """``article id -> live row`` for every live article (built on first use)."""
        if self._row_of is None:
            live = np.flatnonzero(self.story >= 0)
            self._row_of = dict(zip(self.ids_of(live), live.tolist()))
        return self._row_of

    def rows_of(self, article_ids: Sequence[str]) -> np.ndarray:
        """The live row of each id, -1 where it is not (or no longer) stored."""
        if not article_ids or not self.rows:
            return np.full(len(article_ids), -1, dtype=np.int64)
        if self._id_index is None:
            hashes = np.concatenate([np.asarray(p.idh) for p in self.parts])
            order = np.lexsort((hashes[:, 1], hashes[:, 0]))
            self._id_index = (hashes[order, 0], hashes[order, 1], order.astype(np.int64))
        hi, lo, rows = self._id_index
        want = id_hashes(article_ids)
        pos = np.searchsorted(hi, want[:, 0])
        out = np.full(len(article_ids), -1, dtype=np.int64)
        for k in np.flatnonzero(pos < len(hi)):
            p = int(pos[k])
            while p < len(hi) and hi[p] == want[k, 0]:
                if lo[p] == want[k, 1] and self.story[rows[p]] >= 0:
                    out[k] = rows[p]
                    break
                p += 1
        return out

    def ids_of(self, rows: np.ndarray) -> list[str]:
        """The article ids of ``rows`` (any order), reading only the chunks they are in."""
        rows = np.asarray(rows, dtype=np.int64)
        out: list[str] = [""] * len(rows)
        chunk_of = np.searchsorted(self.starts, rows, side="right") - 1
        for k in distinct(chunk_of).tolist():
            ids, start = self.parts[int(k)].ids, int(self.starts[k])
            for i in np.flatnonzero(chunk_of == k).tolist():
                out[i] = ids[int(rows[i]) - start]
        return out

    def story_id(self, article_id: str) -> str | None:
        """The story id of ``article_id`` (its story's leader's id), or None if unknown."""
        row = int(self.rows_of([article_id])[0])
        return None if row < 0 else self.ids_of(self.story[[row]])[0]

    def members(self, article_id: str) -> list[str]:
        """Every article id of ``article_id``'s story (itself included), sorted."""
        row = int(self.rows_of([article_id])[0])
        if row < 0:
            return []
        return sorted(self.ids_of(np.flatnonzero(self.story == self.story[row])))

    def story_ids(self) -> dict[str, str]:
        """``article id -> story id`` for every live article."""
        live = np.flatnonzero(self.story >= 0)
        return dict(zip(self.ids_of(live), self.ids_of(self.story[live])))

    def signatures(self, rows: np.ndarray) -> np.ndarray:
        """The signatures of ``rows``, read chunk by chunk (memory-mapped on disk)."""
        return self._gather("sig", rows, (minhash.PERMUTATIONS,), np.uint32)

    def _signatures_sorted(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`signatures` of sorted ``rows``, one chunk at a time (see :meth:`verified`)."""
        out = np.empty((len(rows), minhash.PERMUTATIONS), dtype=np.uint32)
        starts = self.starts
        bounds = np.searchsorted(rows, starts).tolist()
        for k, part in enumerate(self.parts):
            lo, hi = bounds[k], bounds[k + 1]
            if hi > lo:
                out[lo:hi] = part.signature_rows(rows[lo:hi] - starts[k])
        return out

    def id_hashes_of(self, rows: np.ndarray) -> np.ndarray:
        """The 128-bit id hashes (rows x 2 uint64) of ``rows``, read chunk by chunk."""
        return self._gather("idh", rows, (2,), np.uint64)

    def _gather(self, name: str, rows: np.ndarray, shape: tuple[int, ...],
                dtype: Any) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), *shape), dtype=dtype)
        chunk_of = np.searchsorted(self.starts, rows, side="right") - 1
        for k in distinct(chunk_of).tolist():
            sel = np.flatnonzero(chunk_of == k)
            out[sel] = getattr(self.parts[int(k)], name)[rows[sel] - self.starts[k]]
        return out

    def order_keys(self, rows: Sequence[int]) -> dict[int, leaders.OrderKey]:
        """Each row's place in the canonical order (:func:`~searchcore.news.leaders.order_key`)."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = self.count[rows].tolist()
        hashes = self.id_hashes_of(rows).tolist()
        return {r: leaders.order_key(c, h) for r, c, h in zip(rows.tolist(), counts, hashes)}

    # -- writing ------------------------------------------------------------------------
    def add(self, articles: Sequence[tuple[str, str]]) -> None:
        """Add or replace ``(article_id, body)`` pairs and settle the stories they touch."""
        if not articles:
            return
        ids = [a for a, _ in articles]
        old = self.rows_of(ids)
        self.delete_rows(old[old >= 0])
        sig, count = minhash.signatures([body for _, body in articles])
        chunk = Chunk.make(ids, sig, count)
        start = self.rows
        self.parts.append(chunk)
        self._pending.append(len(self.parts) - 1)
        new = np.arange(start, start + len(ids), dtype=np.int64)
        self.story = np.concatenate([self.story, new])      # each leads itself, for now
        self._starts = None
        if self._count is not None:
            self._count = np.concatenate([self._count, count])
        self._id_index = None
        self._row_of = None
        self._settle(new, fresh=set(new.tolist()))

    def attach(self, parts: Sequence[Chunk], live: np.ndarray) -> None:
        """Append chunks whose files another store wrote (a shard's: see
        :mod:`searchcore.sharding.stories`) as new rows, ``live`` marking the rows
        that are stored articles, and settle the stories those touch, as :meth:`add`
        does for new articles. Nothing is written: the chunks already are."""
        if not parts:
            return
        start = self.rows
        new = np.arange(start, start + sum(p.size for p in parts), dtype=np.int64)
        self.parts.extend(parts)
        self.story = np.concatenate([self.story, np.where(live, new, -1)])
        self._starts = self._count = self._id_index = self._row_of = None
        seeds = new[np.asarray(live, dtype=bool)]
        self._settle(seeds, fresh=set(seeds.tolist()))

    def _settle(self, seeds: np.ndarray, fresh: set[int]) -> None:
        leaders.settle(self.story, seeds.tolist(), fresh, self.order_keys, self.neighbours)

    def neighbours(self, rows: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Per row of ``rows``, the live rows linked to it and their equal positions."""
        query = distinct(np.asarray(rows, dtype=np.int64))
        pairs, equal = self.verified(self._pairs_for(query))
        out: dict[int, list[tuple[int, int]]] = {r: [] for r in query.tolist()}
        for a, b, q in zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), equal.tolist()):
            if a in out:
                out[a].append((b, q))
            if b in out:
                out[b].append((a, q))
        return out

    def _pairs_for(self, qrows: np.ndarray) -> np.ndarray:
        """Candidate pairs ``(low, high)`` of live rows, one of them in ``qrows``: rows
        sharing a band key (buckets of at most :data:`MAX_BUCKET` live rows) or the
        whole signature."""
        if not len(qrows):
            return np.zeros((0, 2), dtype=np.int64)
        keys = minhash.band_keys(self.signatures(qrows))
        keys = np.concatenate([keys, minhash.digest(keys, self.count[qrows])[:, None]],
                              axis=1).T
        live = self.story >= 0
        found = []
        for band in range(minhash.BANDS + 1):
            digest = band == minhash.BANDS            # identical signatures
            qkeys = keys[band]
            a_parts, raw = [], np.zeros(len(qkeys), dtype=np.int64)
            for part, pstart in zip(self.parts, self.starts[:-1].tolist()):
                bkeys = part.bands[band]
                left = np.searchsorted(bkeys, qkeys, side="left")
                right = np.searchsorted(bkeys, qkeys, side="right")
                raw += right - left
                a_parts.append((left, right, part, pstart))
            expand = raw <= MAX_RAW_BUCKET
            qa, qb = [], []
            for left, right, part, pstart in a_parts:
                n = np.where(expand, right - left, 0)
                if not n.any():
                    continue
                q = np.repeat(np.arange(len(qkeys)), n)
                offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
                qa.append(q)
                qb.append(np.asarray(part.brows[band], dtype=np.int64)[left[q] + offsets]
                          + pstart)
            if qa:
                q = np.concatenate(qa)
                b = np.concatenate(qb)
                keep = live[b]
                q, b = q[keep], b[keep]
                size = np.bincount(q, minlength=len(qkeys))     # live rows in the bucket
                a = qrows[q]
                ok = (a != b) if digest else (a != b) & (size[q] <= MAX_BUCKET)
                found.append(np.stack([np.minimum(a, b)[ok], np.maximum(a, b)[ok]], axis=1))
            if digest and not expand.all():
                found.append(self._huge_identical(qkeys, qrows, ~expand, live))
            for part in self.parts:   # unmap the band: an add into 1M rows mapped 640 MB
                part.release("bands", "brows")
        if not found:
            return np.zeros((0, 2), dtype=np.int64)
        return distinct_pairs(np.concatenate(found))

    def _huge_identical(self, qkeys: np.ndarray, qrows: np.ndarray, which: np.ndarray,
                        live: np.ndarray) -> np.ndarray:
        """For rows whose identical-signature bucket is too big to expand: a pair with
        its earliest other live member in the canonical order (identical counts, so
        the smallest id hash), which the others follow or lead."""
        pairs = []
        for q in np.flatnonzero(which).tolist():
            members = []
            for part, pstart in zip(self.parts, self.starts[:-1].tolist()):
                keys = part.bands[minhash.BANDS]
                lo = int(np.searchsorted(keys, qkeys[q], side="left"))
                hi = int(np.searchsorted(keys, qkeys[q], side="right"))
                members.append(np.asarray(part.brows[minhash.BANDS][lo:hi], dtype=np.int64)
                               + pstart)
            rows = np.concatenate(members)
            rows = rows[live[rows] & (rows != qrows[q])]
            if len(rows):
                idh = self.id_hashes_of(rows)
                first = int(rows[np.lexsort((idh[:, 1], idh[:, 0]))[0]])
                pairs.append((min(first, int(qrows[q])), max(first, int(qrows[q]))))
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def verified(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``pairs`` that are copies of one story, and their equal signature
        positions (uint8).

        Signatures are read a block of pairs at a time, each row of a block once, in
        file order, chunk by chunk, each chunk's pages dropped once read
        (:meth:`Chunk.signature_rows`): the mapped pages stay within one chunk's
        file (12.8 MB for 50,000 rows), where touching every chunk's file per block
        kept up to all of them resident (256 MB at 1M articles, on top of the
        linking's arrays at the end of a build)."""
        keep, same = [], []
        count = self.count
        for start in range(0, len(pairs), VERIFY_BLOCK):
            block = pairs[start:start + VERIFY_BLOCK]
            rows, where = distinct_inverse(block)
            sig = self._signatures_sorted(rows)
            sig_a, sig_b = sig[where[:, 0]], sig[where[:, 1]]
            ok = np.asarray(minhash.same_story(sig_a, count[block[:, 0]],
                                               sig_b, count[block[:, 1]]), dtype=bool)
            keep.append(block[ok])
            same.append(np.sum(sig_a[ok] == sig_b[ok], axis=1).astype(np.uint8))
        if not keep:
            return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.uint8)
        return np.concatenate(keep), np.concatenate(same)

    def delete(self, article_ids: Iterable[str]) -> None:
        """Forget ``article_ids``; the followers of a deleted leader choose again."""
        rows = self.rows_of(sorted(set(article_ids)))
        self.delete_rows(rows[rows >= 0])

    def delete_rows(self, rows: np.ndarray) -> None:
        """Forget ``rows``; the followers of a deleted leader choose again."""
        if not len(rows):
            return
        led = rows[self.story[rows] == rows]
        self.story[rows] = -1
        self._id_index = None
        self._row_of = None
        if len(led):
            self._settle(np.flatnonzero(np.isin(self.story, led)), fresh=set())

    def save(self, toc: int | None = None) -> None:
        """Write the pending chunks and a new state for whoosh generation ``toc``
        (default: this state's); remove superseded states."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for k in self._pending:
            number = (max(self.chunks) + 1) if self.chunks else 1
            self.parts[k].write(self.folder, number)
            self.chunks.append(number)
        self._pending = []
        old = self.version
        self.version += 1
        if toc is not None:
            self.toc = toc
        write_state(self.folder, self.version, self.chunks,
                    [p.size for p in self.parts], self.story, self.toc)
        # The state just replaced stays one more round: a reader may have listed it.
        for version in range(max(0, old - 2), old):
            if 0 < version < self.version:
                for name in (f"stories-{version:06d}.json", f"stories-{version:06d}-story.npy"):
                    try:
                        os.unlink(self.folder / name)
                    except FileNotFoundError:
                        pass

    def discard(self) -> None:
        """Remove the state :meth:`save` just wrote (its commit did not happen)."""
        for name in (f"stories-{self.version:06d}.json", f"stories-{self.version:06d}-story.npy"):
            try:
                os.unlink(self.folder / name)
            except FileNotFoundError:
                pass


def verify_store(folder: Path, toc: int, live: int) -> list[str]:
    """Problems of the story state for whoosh generation ``toc`` in ``folder``, which
    holds ``live`` live documents (``index check``): a state that does not load, chunk
    files of another shape or type than their chunk's, stories that are not stories.

    Only the files' headers and the story array are read: a chunk file is read
    whole only by the add that links new articles against it, and damage found then
    is an error that names the file; the check finds it first.
    """
    where = f"stories in {Path(folder).name}"
    try:
        store = StoryStore.load(Path(folder), toc=toc)
    except (OSError, ValueError, IndexFormatError) as exc:
        return [f"{where}: {exc}"]
    if store.version == 0:
        return [f"{where}: no story state, for {live:,} live documents"] if live else []
    problems = []
    for number, part in zip(store.chunks, store.parts):
        base = chunk_base(store.folder, number)
        for name, (want, dtype) in _chunk_files(part.size).items():
            path = Path(f"{base}-{name}.npy")
            try:
                shape, found, _ = npy_header(path)
            except (OSError, ValueError) as exc:
                problems.append(f"{where}: {exc}")
                continue
            if shape != want or found != dtype:
                problems.append(f"{where}: {path.name} holds {found} {shape}, not "
                                f"{dtype} {want}")
        try:
            ids = orjson.loads(Path(f"{base}.json").read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            problems.append(f"{where}: {base.name}.json: {exc}")
            continue
        if not isinstance(ids, list) or len(ids) != part.size:
            problems.append(f"{where}: {base.name}.json does not list its {part.size:,} ids")
    story = store.story
    held = story >= 0
    if held.any() and (story.max() >= len(story) or (story[story[held]] != story[held]).any()):
        problems.append(f"{where}: some articles follow a leader that does not lead")
    if int(held.sum()) != live:
        problems.append(f"{where}: {int(held.sum()):,} live articles, the segments hold "
                        f"{live:,}")
    return problems


def _chunk_files(size: int) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shape and type of each array file of a chunk of ``size`` rows (what
    :meth:`Chunk.make` builds)."""
    keys = minhash.BANDS + 1                      # the band keys and the digest
    return {"sig": ((size, minhash.PERMUTATIONS), np.dtype(np.uint32)),
            "count": ((size,), np.dtype(np.int32)), "idh": ((size, 2), np.dtype(np.uint64)),
            "bands": ((keys, size), np.dtype(np.uint64)),
            "brows": ((keys, size), np.dtype(np.int32))}


def chunk_base(folder: Path, number: int) -> Path:
    """The common prefix of chunk ``number``'s files in ``folder``."""
    return Path(folder) / f"stories-c{number:06d}"


def write_state(folder: Path, version: int, chunks: Sequence[int], sizes: Sequence[int],
                story: np.ndarray, toc: int) -> None:
    """Write state ``version`` (for whoosh generation ``toc``): its story array, then
    (last, atomically) its JSON."""
    folder = Path(folder)
    write_npy(folder / f"stories-{version:06d}-story.npy", story)
    write_atomic(folder / f"stories-{version:06d}.json", orjson.dumps(
        {"store_version": STORE_VERSION, "params": _params(), "toc": int(toc),
         "chunks": [[int(c), int(s)] for c, s in zip(chunks, sizes)],
         "rows": len(story), "live": int(np.sum(story >= 0))}))


def choose_state(folder: Path, toc: int | None) -> tuple[int, dict[str, Any]] | None:
    """``(version, state)`` of the newest state for whoosh generation ``toc`` or before
    (None: the newest of all); the oldest there is if every one is newer."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return None
    versions = sorted((int(m.group(1)) for n in names if (m := _STATE.match(n))), reverse=True)
    oldest = None
    for version in versions:
        try:
            state = orjson.loads((Path(folder) / f"stories-{version:06d}.json").read_bytes())
        except FileNotFoundError:
            continue
        except orjson.JSONDecodeError:
            raise IndexFormatError(f"{str(Path(folder) / f'stories-{version:06d}.json')!r} is "
                                   f"damaged; rebuild the index") from None
        if toc is None or not isinstance(state.get("toc"), int) or state["toc"] <= toc:
            return version, state
        oldest = (version, state)
    return oldest


def _map_npy(path: Path) -> tuple[np.ndarray, mmap.mmap]:
    """The array of a ``.npy`` file, memory-mapped read-only, and its mapping (to drop
    its pages with ``madvise``: numpy's ``mmap_mode`` keeps the mapping private)."""
    try:
        shape, dtype, offset = npy_header(path)
    except ValueError as exc:
        raise IndexFormatError(f"{exc}; rebuild the index") from None
    count = int(np.prod(shape))
    if not count:
        return np.zeros(shape, dtype=dtype), None  # type: ignore[return-value]
    with open(path, "rb") as fh:
        mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mapping, dtype=dtype, count=count, offset=offset).reshape(shape), mapping


# -- with whoosh: the write transaction and the per-document rows ---------------------

def stage_add(ix: Any, articles: Sequence[tuple[str, str]]) -> StoryStore:
    """Before ``ix`` (a whoosh index) commits ``(article_id, body)`` adds: save the stories
    for the generation that commit makes. Call under the index write lock; then
    commit, then :func:`finish_write` (or :meth:`StoryStore.discard` if it failed)."""
    gen = ix.latest_generation()
    store = StoryStore.load(Path(ix.storage.folder), toc=gen)
    store.add(articles)
    store.save(toc=gen + 1)
    return store


def stage_delete(ix: Any, article_ids: Iterable[str], toc: int) -> StoryStore:
    """As :func:`stage_add`, for deletes committed as whoosh generation ``toc``."""
    store = StoryStore.load(Path(ix.storage.folder), toc=toc - 1)
    store.delete(list(article_ids))
    store.save(toc=toc)
    return store


def finish_write(ix: Any, store: StoryStore) -> None:
    """After the commit: write the ``storyrow`` column of segments that lack it."""
    from searchcore.execution.columns import columns_for, write_extra_column

    with ix.searcher() as searcher:
        rows, derived = document_rows(searcher, store, columns_for(searcher).extra(ROW_COLUMN))
        if derived:
            write_extra_column(ix, ROW_COLUMN, rows)


def document_rows(searcher: Any, store: StoryStore,
                  stored: np.ndarray) -> tuple[np.ndarray, bool]:
    """Per global document number of ``searcher``, its store row (-1: unknown), from the
    ``stored`` column, derived from the ``id`` terms of segments that lack it.
    Returns the rows and whether any had to be derived."""
    from searchcore.whoosh_boundary.segments import leaf_readers

    rows = np.array(stored, dtype=np.int64)
    derived = False
    for leaf, offset in leaf_readers(searcher):
        n = leaf.doc_count_all()
        part = rows[offset:offset + n]
        if n == 0 or (part >= 0).any() or not leaf.doc_count():
            continue                     # has its column (a live document has a row)
        derived = True
        docs, ids = [], []
        for text, info in leaf.iter_field("id"):
            article_id = text.decode("utf-8")
            if info.max_id() != info.min_id():    # a replaced copy is still in this segment
                for d in leaf.postings("id", text).all_ids():
                    docs.append(d)
                    ids.append(article_id)
            else:
                docs.append(info.min_id())
                ids.append(article_id)
        found = store.rows_of(ids)
        part[np.asarray(docs, dtype=np.int64)] = found
    return rows, derived


def document_story_codes(searcher: Any, store: StoryStore) -> np.ndarray:
    """Per global document number its story code (the row of its story's id), -1
    where unknown."""
    from searchcore.execution.columns import columns_for

    rows, _ = document_rows(searcher, store, columns_for(searcher).extra(ROW_COLUMN))
    known = (rows >= 0) & (rows < store.rows)
    return np.where(known, store.story[np.where(known, rows, 0)], -1)


def latest_version(folder: Path) -> int:
    """The newest state number in ``folder`` (0: none), to notice another writer's changes."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    return max((int(m.group(1)) for n in names if (m := _STATE.match(n))), default=0)
