"""Runs: the side postings of consecutive segments merged into one set of arrays.

Why: a parallel build writes a segment per worker and batch (Reuters-21578 with two
workers: 2; 1M articles: 40), and the executor pays for every segment of every word
of a query: a dictionary lookup, a read and a check per list, then a join; a phrase
also a positions read per segment. At 1M that per-segment work was most of a query
(a phrase: 44 position reads and 160 ``preadv`` calls). whoosh's segments stay the
index of record; a run is a copy of their side postings (and block bounds) as if
they were one segment, written once at the end of a build, which the executor
searches in their place. Scores are the same: a term's postings in a run are the
members' lists one after the other, with the members' document numbers shifted to
the run's, exactly what the executor joined per query before.

On disk, named after the run's first segment (so whoosh's file cleaning deletes the
run with that segment)::

    MAIN_<first>.srun.spst_<field>_<part>.npy    the arrays of :mod:`.postings`
    MAIN_<first>.srun.spst_meta.json             their meta file
    MAIN_<first>.srun.spbk_<field>_*.npy, meta   the block bounds of :mod:`.blocks`
    MAIN_<first>.srun_members.json               version, [[segment id, documents]...],
                                                 written last: no file, no run

A run is used only where a searcher's segments are exactly its members, in order,
with the same document counts (:func:`leaves`); after an add the new segments
follow it as segments of their own, and once whoosh merges a member away the run
is not used (and goes with its first segment). Deletions need nothing: postings
hold deleted documents, the executor drops them by the columns' ``live``. The files
are input like every side file: a run whose files do not open or fit together is
not used (its segments are searched); each list is checked as read, and a list that
fails is answered from the members' own arrays, merged in memory
(:meth:`RunPostings._convert`: the whole field, which at 1M costs seconds and a
gigabyte, once); ``index check`` compares the run with its members
(:func:`verify_runs`).

Written in chunks of terms (:data:`CHUNK_POSTINGS`), appended to the files: the
merged arrays are never whole in memory (1.6 GB at 1M articles).
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import orjson

from searchcore.execution import blocks as blockfiles
from searchcore.execution import postings as side
from searchcore.execution.segment_arrays import DECODE_LENGTHS, kept_on
from searchcore.execution.sidefiles import NpyAppender, write_atomic, write_npy
from searchcore.whoosh_boundary import segments as boundary

RUNS_VERSION = 1
#: Postings merged at once while writing a run (a few arrays of this many values;
#: at 1M articles 2M made the writer peak at 545 MB, this 367 MB, and 15 s either way).
CHUNK_POSTINGS = 1 << 19
#: Builds with fewer segments write no run.
MIN_SEGMENTS = 2
_STEM = ".srun"
_MEMBERS = ".srun_members.json"
_CACHE_KEY = "leaves"


def run_stem(first_segid: str) -> str:
    """The name stem of the run that starts at segment ``first_segid``."""
    return f"{first_segid}{_STEM}"


def _members_path(folder: Path, first_segid: str) -> Path:
    return folder / f"{first_segid}{_MEMBERS}"


# -- merging ----------------------------------------------------------------------------

@dataclass
class _Chunk:
    """The merged postings of terms ``[first, last)`` (run document numbers)."""

    first: int
    last: int
    docs: np.ndarray
    tf: np.ndarray
    counts: np.ndarray | None          # positions per posting
    pos: np.ndarray | None


class _Merge:
    """One field's lists of several segments as one dictionary and one set of lists."""

    def __init__(self, parts: Sequence[side.FieldPostings], offsets: Sequence[int]) -> None:
        self.parts = list(parts)
        self.offsets = [int(o) for o in offsets]
        self.terms, self.maps = _merged_dictionary(self.parts)
        counts = np.zeros(len(self.terms), dtype=np.int64)
        for fp, m in zip(self.parts, self.maps):
            counts[m] += np.diff(np.asarray(fp.docoff, dtype=np.int64))
        self.docoff = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.docoff[1:])
        self.positions = all(fp.pos is not None for fp in self.parts)

    def term_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(terms, termoff)`` of the merged dictionary."""
        lengths = np.fromiter((len(t) for t in self.terms), np.int64, len(self.terms))
        termoff = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=termoff[1:])
        return np.frombuffer(b"".join(self.terms), dtype=np.uint8), termoff

    def chunks(self, size: int = CHUNK_POSTINGS) -> Iterator[_Chunk]:
        """The merged lists, a run of terms at a time (at least one term a chunk)."""
        n = len(self.terms)
        first = 0
        while first < n:
            last = int(np.searchsorted(self.docoff, self.docoff[first] + size, "right")) - 1
            last = min(max(last, first + 1), n)
            yield self._chunk(first, last)
            first = last

    def _chunk(self, first: int, last: int) -> _Chunk:
        docs, tfs, owners, counts, flat = [], [], [], [], []
        for fp, m, offset in zip(self.parts, self.maps, self.offsets):
            a, b = (int(x) for x in np.searchsorted(m, (first, last)))
            if a == b:
                continue
            docoff = np.asarray(fp.docoff[a:b + 1], dtype=np.int64)
            lo, hi = int(docoff[0]), int(docoff[-1])
            docs.append(side._read(fp.docs, lo, hi).astype(np.int64) + offset)
            tfs.append(side._read_as(fp.tf, lo, hi, side._TF))
            owners.append(np.repeat(m[a:b], np.diff(docoff)))
            if self.positions:
                assert fp.posoff is not None and fp.pos is not None
                posoff = np.asarray(side._read(fp.posoff, lo, hi + 1), dtype=np.int64)
                counts.append(np.diff(posoff))
                flat.append(side._read(fp.pos, int(posoff[0]), int(posoff[-1])))
        if not docs:
            empty = np.zeros(0, dtype=np.int64)
            return _Chunk(first, last, empty, np.zeros(0, np.float32),
                          empty if self.positions else None,
                          np.zeros(0, np.int32) if self.positions else None)
        # Each member's part is in term order, the members in document order: a
        # stable sort by term puts every term's postings together, in document order.
        order = np.argsort(np.concatenate(owners), kind="stable")
        merged_docs = np.concatenate(docs)[order]
        merged_tf = np.concatenate(tfs)[order]
        if not self.positions:
            return _Chunk(first, last, merged_docs, merged_tf, None, None)
        all_counts = np.concatenate(counts)
        starts = np.zeros(len(all_counts), dtype=np.int64)
        np.cumsum(all_counts[:-1], out=starts[1:])
        new_counts = all_counts[order]
        new_starts = starts[order]
        ends = np.cumsum(new_counts)
        index = np.repeat(new_starts - (ends - new_counts), new_counts) + np.arange(int(ends[-1]) if len(ends) else 0)
        return _Chunk(first, last, merged_docs, merged_tf, new_counts,
                      np.concatenate(flat)[index])

    def whole(self) -> side.FieldPostings:
        """The merged field in memory (a run file that failed a check, and tests)."""
        terms, termoff = self.term_arrays()
        pieces = list(self.chunks(size=max(1, int(self.docoff[-1]))))
        docs = np.concatenate([c.docs for c in pieces]) if pieces else np.zeros(0, np.int64)
        tf = np.concatenate([c.tf for c in pieces]) if pieces else np.zeros(0, np.float32)
        posoff = pos = None
        if self.positions:
            counts = np.concatenate([c.counts for c in pieces]) if pieces else np.zeros(0, np.int64)
            posoff = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=posoff[1:])
            pos = (np.concatenate([c.pos for c in pieces]) if pieces
                   else np.zeros(0, np.int32)).astype(np.int32)
        return side.FieldPostings(terms=terms, termoff=termoff, docoff=self.docoff,
                                  docs=docs.astype(np.int32), tf=tf.astype(np.float32),
                                  posoff=posoff, pos=pos)


def _merged_dictionary(parts: Sequence[side.FieldPostings]) -> tuple[list[bytes], list[np.ndarray]]:
    """The union of the parts' dictionaries (byte order, as each part's) and, per part,
    the merged id of each of its terms. A merge of the sorted dictionaries, one term
    in memory at a time from each: a 1M index's ids as Python bytes, every segment's
    at once, were 250 MB of the build's peak."""
    def terms_of(k: int, fp: side.FieldPostings) -> Iterator[tuple[bytes, int]]:
        blob = np.asarray(fp.terms).tobytes()
        off = np.asarray(fp.termoff).tolist()
        for i in range(len(off) - 1):
            yield blob[off[i]:off[i + 1]], k

    maps = [array("q") for _ in parts]
    terms: list[bytes] = []
    last = None
    for term, k in heapq.merge(*(terms_of(k, fp) for k, fp in enumerate(parts))):
        if term != last:
            terms.append(term)
            last = term
        maps[k].append(len(terms) - 1)
    return terms, [np.frombuffer(m, dtype=np.int64) if len(m) else np.zeros(0, np.int64)
                   for m in maps]


def _field_parts(readers: Sequence[Any], name: str) -> list[side.FieldPostings] | None:
    """Each member's arrays of ``name``, every list checked (None: a member has none)."""
    parts = []
    for reader in readers:
        fp = side.segment_postings(reader).field(name)
        if fp is None:
            return None
        parts.append(fp.checked_whole())
    return parts


def _offsets(readers: Sequence[Any]) -> list[int]:
    offsets, total = [], 0
    for reader in readers:
        offsets.append(total)
        total += reader.doc_count_all()
    return offsets


def write_run(folder: Path, readers: Sequence[Any]) -> bool:
    """Write the run of ``readers`` (consecutive segments, in order) into ``folder``;
    False when there is nothing to merge (fewer than :data:`MIN_SEGMENTS`)."""
    if len(readers) < MIN_SEGMENTS:
        return False
    first = boundary.segment_name(readers[0])
    assert first is not None
    stem = run_stem(first)
    _members_path(folder, first).unlink(missing_ok=True)     # no run until it is whole
    offsets = _offsets(readers)
    total = offsets[-1] + readers[-1].doc_count_all()
    schema = readers[0].schema
    fields: dict[str, bool] = {}
    scored: list[str] = []
    merges = []
    for name in side.indexed_fields(schema):
        parts = _field_parts(readers, name)
        # Every field of every member, alike, or no run (members written by other code).
        if parts is None or len({fp.pos is None for fp in parts}) > 1:
            return False
        merges.append((name, parts))
    for name, parts in merges:
        merge = _Merge(parts, offsets)
        lengths = None
        if schema[name].scorable:
            codes = np.concatenate([boundary.length_codes(r, name) for r in readers])
            lengths = DECODE_LENGTHS[codes]
        _write_field(folder, stem, name, merge, lengths)
        fields[name] = merge.positions
        if lengths is not None:
            scored.append(name)
    side.write_meta(folder, stem, total, fields)
    blockfiles.write_meta(folder, stem, total, scored)
    members = [[boundary.segment_name(r), r.doc_count_all()] for r in readers]
    write_atomic(_members_path(folder, first),
                 orjson.dumps({"version": RUNS_VERSION, "members": members}))
    return True


def _write_field(folder: Path, stem: str, name: str, merge: _Merge,
                 lengths: np.ndarray | None) -> None:
    def path(part: str) -> Path:
        return side._path(folder, stem, f"{name}_{part}.npy")

    terms, termoff = merge.term_arrays()
    write_npy(path("terms"), terms)
    write_npy(path("termoff"), termoff)
    write_npy(path("docoff"), merge.docoff)
    count = int(merge.docoff[-1])
    # Stored as narrow as the members' files (postings.storage_type chose theirs).
    out = [NpyAppender(path("docs"), np.int32, count),
           NpyAppender(path("tf"), side.widest("tf", (fp.tf.dtype for fp in merge.parts)), count)]
    if merge.positions:
        n_pos = sum(len(fp.pos) for fp in merge.parts if fp.pos is not None)
        out += [NpyAppender(path("posoff"),
                            side.storage_type("posoff", np.array([n_pos], np.int64)), count + 1),
                NpyAppender(path("pos"),
                            side.widest("pos", (fp.pos.dtype for fp in merge.parts
                                                if fp.pos is not None)), n_pos)]
        out[2].append(np.zeros(1, dtype=np.int64))
    block_out = None
    if lengths is not None:
        df = np.diff(merge.docoff)
        n_blocks = int(np.where(df >= blockfiles.MIN_DF, -(-df // blockfiles.BLOCK), 0).sum())
        block_off = np.zeros(len(df) + 1, dtype=np.int64)
        block_out = blockfiles.BlockAppender(folder, stem, name, n_blocks)
    try:
        pos_total = 0
        blocks_total = 0
        for chunk in merge.chunks():
            out[0].append(chunk.docs)
            out[1].append(chunk.tf)
            if merge.positions:
                assert chunk.counts is not None and chunk.pos is not None
                out[2].append(np.cumsum(chunk.counts) + pos_total)
                pos_total += int(chunk.counts.sum())
                out[3].append(chunk.pos)
            if block_out is not None:
                local = merge.docoff[chunk.first:chunk.last + 1] - merge.docoff[chunk.first]
                off, bounds = blockfiles.block_bounds(local, chunk.docs, chunk.tf, lengths)
                block_off[chunk.first + 1:chunk.last + 1] = off[1:] + blocks_total
                blocks_total += int(off[-1])
                block_out.append(bounds)
        for f in out:
            f.close()
        if block_out is not None:
            block_out.close(block_off)
    except BaseException:
        for f in out:
            f.abort()
        if block_out is not None:
            block_out.abort()
        raise


def write_build_run(ix: Any) -> bool:
    """The run of every segment of ``ix`` (what a build ends with; under its lock)."""
    return _write_run_of(ix, list(boundary.stored_segments(ix)))


def _write_run_of(ix: Any, entries: list[tuple[Path, str, Any]]) -> bool:
    """Write the run of ``entries`` (consecutive stored segments of ``ix``, in order)."""
    if len(entries) < MIN_SEGMENTS:
        return False
    readers = [boundary.open_segment_reader(ix, segment) for _, _, segment in entries]
    try:
        return write_run(entries[0][0], readers)
    finally:
        for reader in readers:
            reader.close()


def segment_ids(ix: Any) -> set[str]:
    """The ids of ``ix``'s segments now (what :func:`write_added_run` compares with)."""
    return {segid for _, segid, _ in boundary.stored_segments(ix)}


def write_added_run(ix: Any, before: set[str]) -> bool:
    """The run of the segments an add wrote: those of ``ix`` not in ``before`` (the
    ids it had, :func:`segment_ids`), when they are its last segments and at least
    :data:`MIN_SEGMENTS` (under the add's lock, after their side arrays are written).

    Why: a big ``Index.add`` writes a segment per build batch (50,000 articles), and
    every segment costs each query a lookup, a read and a check per list, as a
    build's segments did before runs. The run's members file is written last, so a
    searcher opened meanwhile searches the segments one by one, as before.
    """
    found = list(boundary.stored_segments(ix))
    new = [entry for entry in found if entry[1] not in before]
    if not new or new != found[len(found) - len(new):]:
        return False
    return _write_run_of(ix, new)


# -- reading ----------------------------------------------------------------------------

class RunPostings(side.SegmentPostings):
    """A run's fields, as :class:`~searchcore.execution.postings.SegmentPostings` gives a
    segment's: the same lookups, over the members' documents numbered as one."""

    def __init__(self, folder: Path, first: str, readers: Sequence[Any]) -> None:
        self._members = list(readers)
        self._terms_repaired: dict[tuple[str, int], side.FieldPostings] = {}
        self._open(readers[0], folder, run_stem(first), sum(r.doc_count_all() for r in readers))

    def _repair(self, name: str, i: int | None) -> tuple[side.FieldPostings, int]:
        """Term ``i``'s lists joined from the members' own postings, in place of the
        run's list that failed a check (``i`` None: the whole field merged, for the
        few readers of a whole field). One term, not the field: merging a 1M
        index's body in memory took seconds and a gigabyte."""
        if i is None:
            return self._whole_repair(name), -1
        key = (name, i)
        found = self._terms_repaired.get(key)
        if found is None:
            found = self._terms_repaired[key] = self._term_from_members(name, i)
        return found, 0

    def _term_from_members(self, name: str, i: int) -> side.FieldPostings:
        """Run term ``i`` of ``name`` as a one-term field made from each member's list of
        the same term bytes (each member's list checked as read, from whoosh's postings
        if it fails too), the members' document numbers shifted to the run's."""
        run_field = self._fields.get(name)
        assert run_field is not None            # a list of it was read before it failed
        btext = run_field.term(i)
        docs, tfs, counts, flat = [], [], [], []
        positions = run_field.pos is not None
        for reader, offset in zip(self._members, _offsets(self._members)):
            fp = side.segment_postings(reader).field(name)
            j = -1 if fp is None else fp.find(btext)
            if j < 0:
                continue
            assert fp is not None
            d, tf = fp.postings(j)
            docs.append(d.astype(np.int64) + offset)
            tfs.append(tf)
            if positions:
                p, c = fp.positions_among(j, np.arange(len(d)))
                flat.append(p)
                counts.append(c)
        n = sum(len(d) for d in docs)
        posoff = pos = None
        if positions:
            posoff = np.zeros(n + 1, dtype=np.int64)
            if counts:
                np.cumsum(np.concatenate(counts), out=posoff[1:])
            pos = np.concatenate(flat).astype(np.int32) if flat else np.zeros(0, np.int32)
        return side.FieldPostings(
            terms=np.frombuffer(btext, dtype=np.uint8), termoff=np.array([0, len(btext)]),
            docoff=np.array([0, n]),
            docs=(np.concatenate(docs) if docs else np.zeros(0)).astype(np.int32),
            tf=(np.concatenate(tfs) if tfs else np.zeros(0)).astype(np.float32),
            posoff=posoff, pos=pos)

    def _convert(self, name: str) -> side.FieldPostings:
        parts = _field_parts(self._members, name)
        if parts is None:
            from searchcore.execution.executor import Unsupported

            raise Unsupported(f"a member of the run has no {name} postings")
        return _Merge(parts, _offsets(self._members)).whole()


@dataclass(frozen=True)
class Leaf:
    """What the executor searches as one: a run of segments, or one segment."""

    postings: side.SegmentPostings
    offset: int
    blocks: blockfiles.SegmentBlocks
    readers: tuple[Any, ...]


def _members(folder: Path, first: str) -> list[tuple[str, int]] | None:
    try:
        meta = orjson.loads(_members_path(folder, first).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    members = meta.get("members") if isinstance(meta, dict) else None
    if meta.get("version") != RUNS_VERSION or not isinstance(members, list) \
            or len(members) < MIN_SEGMENTS:
        return None
    if not all(isinstance(m, list) and len(m) == 2 and isinstance(m[0], str)
               and isinstance(m[1], int) for m in members):
        return None
    return [(m[0], m[1]) for m in members]


def _run_members(pairs: Sequence[tuple[Any, int]], j: int
                 ) -> tuple[Path, str, tuple[Any, ...]] | None:
    """``(folder, first segment id, member readers)`` of the run whose members file
    names exactly the segments of ``pairs`` from ``j`` on, else None."""
    reader = pairs[j][0]
    folder, first = boundary.segment_folder(reader), boundary.segment_name(reader)
    if folder is None or first is None:
        return None
    members = _members(folder, first)
    if members is None or j + len(members) > len(pairs):
        return None
    readers = tuple(r for r, _ in pairs[j:j + len(members)])
    if any(boundary.segment_name(r) != name or r.doc_count_all() != docs
           for r, (name, docs) in zip(readers, members)):
        return None
    return folder, first, readers


def _unreadable(postings: RunPostings) -> str | None:
    """Why a run cannot be searched (its files' shapes only, as a segment's are
    checked on open), or None; the fields it could open are kept on ``postings``."""
    if not postings._on_disk:
        return "its postings' meta file is missing or stale"
    for name in side.indexed_fields(postings._reader.schema):
        fp = postings._read(name)
        if fp is None:
            return f"its postings of {name} are missing, unreadable or do not fit together"
        postings._fields[name] = fp
    return None


def _run_at(pairs: Sequence[tuple[Any, int]], j: int) -> Leaf | None:
    found = _run_members(pairs, j)
    if found is None:
        return None
    folder, first, readers = found
    postings = RunPostings(folder, first, readers)
    # A run whose files do not open is not searched (its segments are): a field merged
    # in memory is for a damaged list, not for a missing file (at 1M it is gigabytes).
    if _unreadable(postings) is not None:
        return None
    return Leaf(postings, pairs[j][1],
                blockfiles.SegmentBlocks.at(folder, run_stem(first), postings.doc_count), readers)


def _find_leaves(pairs: Sequence[tuple[Any, int]]) -> list[Leaf]:
    found = []
    j = 0
    while j < len(pairs):
        leaf = _run_at(pairs, j)
        if leaf is None:
            reader, offset = pairs[j]
            leaf = Leaf(side.segment_postings(reader), offset,
                        blockfiles.segment_blocks(reader), (reader,))
        found.append(leaf)
        j += len(leaf.readers)
    return found


def leaves(searcher: Any) -> list[Leaf]:
    """What to search ``searcher``'s segments as: its runs and its other segments, in
    document order (kept on the searcher's reader, which lives until the next commit)."""
    return kept_on(searcher.reader(), _CACHE_KEY,
                   lambda _: _find_leaves(boundary.leaf_readers(searcher)))


# -- checking ---------------------------------------------------------------------------

def verify_runs(reader: Any) -> list[str]:
    """Problems of the runs of ``reader`` (a whole index's; ``index check``): a run
    whose members file names its segments but whose files do not open; else each
    field's arrays compared with its members' merged again (the members' own are
    checked against whoosh's postings segment by segment), and the block bounds
    recomputed from them."""
    problems = []
    pairs = reader.leaf_readers()
    j = 0
    while j < len(pairs):
        found = _run_members(pairs, j)
        if found is None:
            j += 1
            continue
        folder, first, readers = found
        j += len(readers)
        label = f"run of {len(readers)} segments from {first}"
        fresh = RunPostings(folder, first, readers)       # nothing cached or repaired
        why = _unreadable(fresh)
        if why is not None:
            problems.append(f"{label}: {why} (it is not used; rebuild the index)")
            continue
        for name in side.indexed_fields(readers[0].schema):
            parts = _field_parts(readers, name)
            if parts is not None and not _same(fresh._fields[name],    # type: ignore[arg-type]
                                               _Merge(parts, _offsets(readers))):
                problems.append(f"{label}: its postings of {name} differ from its segments' "
                                "(rebuild the index, or delete its .srun files)")
        problems.extend(f"{label}: {p}" for p in _block_problems(readers, fresh))
    return problems


def _same(got: side.FieldPostings, merge: _Merge) -> bool:
    """Do a run's files hold ``merge``'s arrays? Compared a chunk of terms at a time,
    so a check's memory follows the chunk, not the field (1.4 GB of body at 1M)."""
    terms, termoff = merge.term_arrays()
    if not (np.array_equal(np.asarray(got.terms), terms)
            and np.array_equal(np.asarray(got.termoff), termoff)
            and np.array_equal(np.asarray(got.docoff), merge.docoff)
            and (got.pos is not None) == merge.positions):
        return False
    for chunk in merge.chunks():
        lo, hi = int(merge.docoff[chunk.first]), int(merge.docoff[chunk.last])
        if not (np.array_equal(side._read(got.docs, lo, hi), chunk.docs)
                and np.array_equal(side._read(got.tf, lo, hi), chunk.tf)):
            return False
        if merge.positions:
            assert got.posoff is not None and got.pos is not None and chunk.counts is not None
            posoff = np.asarray(side._read(got.posoff, lo, hi + 1), dtype=np.int64)
            if not (np.array_equal(np.diff(posoff), chunk.counts)
                    and 0 <= posoff[0] <= posoff[-1] <= len(got.pos)
                    and np.array_equal(side._read(got.pos, int(posoff[0]), int(posoff[-1])),
                                       chunk.pos)):
                return False
    return True


def _block_problems(readers: Sequence[Any], postings: RunPostings) -> list[str]:
    found = blockfiles.SegmentBlocks.at(postings._folder, postings._segid, postings.doc_count)
    if not found._names:
        return ["its block bounds are unreadable or stale (rebuild the index)"]

    def lengths_of(name: str) -> np.ndarray:
        return DECODE_LENGTHS[np.concatenate([boundary.length_codes(r, name)
                                              for r in readers])]

    return blockfiles.verify_blocks(found, readers[0].schema, postings._fields.get, lengths_of)
