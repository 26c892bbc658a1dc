"""Per-block score bounds of the long posting lists, for top-k that skips blocks.

A word's score in a document grows with its frequency there and shrinks with the
document's length (BM25: ``tf / (tf + k1 * (1 - b + b * len / avg))``). So for a run
of postings, the largest frequency and the shortest length in it bound every score
the run can give, whatever ``k1``, ``b`` and the average length a search uses (the
collection's averages change as articles are added; these files need not). A
one-word search for the ten best then reads the blocks with the highest bounds
first and stops once the tenth best score so far beats every block left
(:func:`searchcore.execution.topk.best_word`): block-max pruning (Ding and Suel,
2011), its cost following ``k`` instead of the list's length.

Per segment and scored field, beside the side postings
(:mod:`searchcore.execution.postings`) and removed with them::

    MAIN_<segid>.spbk_<field>_off.npy      int64: term i's blocks are off[i]:off[i+1]
    MAIN_<segid>.spbk_<field>_bounds.npy   float64, ROW a block: the largest frequency,
                                           the shortest length (as whoosh decodes its
                                           length byte), the last document number, and
                                           the largest tf / (c + length) for each c of
                                           GRID (:func:`ceilings`)
    MAIN_<segid>.spbk_meta.json            version, documents, block size, fields (last)

Block ``j`` of term ``i`` holds its postings ``docoff[i] + j * BLOCK`` up to the next
block's (the last one fewer). Only terms with at least :data:`MIN_DF` postings in
the segment have blocks: a shorter list is read and scored whole, which costs less
than reading its bounds first. The files are optional: a segment without them (an
index written before them) is searched exhaustively, with the same results.
They are input like the other side files: a term whose blocks do not fit its list
(count, order, range) is scored whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import orjson

from searchcore.execution.segment_arrays import DECODE_LENGTHS, kept_on
from searchcore.execution.sidefiles import ReadFile, load, write_atomic, write_npy
from searchcore.whoosh_boundary import segments as boundary

BLOCKS_VERSION = 1
#: Postings a block covers (tantivy's and Lucene's block size).
BLOCK = 128
#: Terms with fewer postings in a segment get no blocks (read whole, they are cheap).
MIN_DF = 4096
#: The ``c`` at which each block's largest ``tf / (c + len)`` is kept (see
#: :func:`ceilings`): 0, then powers of two; a search's ``c = avg * (1 - b) / b``
#: (67 for the body at b 0.75 and 200 words on average, 1.1 for titles).
GRID = np.array([0.0] + [2.0 ** i for i in range(13)])
#: Values a block: the largest frequency, the shortest length, the last document,
#: then one per grid point.
ROW = 3 + len(GRID)
#: Postings whose bounds are computed at once (a few float64 arrays of them).
BOUNDS_CHUNK = 1 << 18
_PREFIX = ".spbk_"
_CACHE_KEY = "blocks"


def _path(folder: Path, segid: str, name: str) -> Path:
    return folder / f"{segid}{_PREFIX}{name}"


def block_bounds(docoff: np.ndarray, docs: np.ndarray, tf: np.ndarray,
                 lengths: np.ndarray, min_df: int | None = None,
                 block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(off, bounds)`` of one field: see the module docstring.

    ``lengths``: every document's decoded length in the field (float64). Computed
    for the postings of a run of blocks at a time (:data:`BOUNDS_CHUNK`): over a
    whole field at once, its float64 copies of every posting's frequency and length
    (40 bytes a posting) were the top of a build batch's memory, ~150 MB.
    """
    min_df = MIN_DF if min_df is None else min_df
    block = BLOCK if block is None else block
    docoff = np.asarray(docoff, dtype=np.int64)
    df = np.diff(docoff)
    counts = np.where(df >= min_df, -(-df // block), 0)
    off = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    total = int(off[-1])
    if not total:
        return off, np.zeros(0, dtype=np.float64)
    terms = np.repeat(np.arange(len(df)), counts)
    within = np.arange(total) - np.repeat(off[:-1], counts)
    starts = docoff[terms] + within * block
    ends = np.minimum(starts + block, docoff[terms + 1])
    del terms, within
    docs = np.asarray(docs)
    bounds = np.empty((total, ROW), dtype=np.float64)
    bounds[:, 2] = docs[ends - 1]
    first = 0
    while first < total:            # blocks first:last, postings lo:hi (ends ascend)
        last = max(first + 1, int(np.searchsorted(ends, starts[first] + BOUNDS_CHUNK, "right")))
        lo, hi = int(starts[first]), int(ends[last - 1])
        _chunk_bounds(bounds[first:last], starts[first:last] - lo, ends[first:last] - lo,
                      tf[lo:hi], lengths[np.asarray(docs[lo:hi], dtype=np.int64)])
        first = last
    return off, bounds.reshape(-1)


def _chunk_bounds(out: np.ndarray, starts: np.ndarray, ends: np.ndarray, tf: np.ndarray,
                  lens: np.ndarray) -> None:
    """Fill ``out`` (a row a block, but the last document) for blocks ``starts:ends``
    of the postings whose frequencies and lengths are ``tf`` and ``lens``."""
    # reduceat over [start, end) pairs, every other result a block's; one element
    # appended so that an end at the very end of the arrays is an index too.
    edges = np.empty(2 * len(starts), dtype=np.int64)
    edges[0::2], edges[1::2] = starts, ends
    tf_ext = np.append(np.asarray(tf, dtype=np.float64), 0.0)
    lens_ext = np.append(lens, 0.0)
    out[:, 0] = np.maximum.reduceat(tf_ext, edges)[0::2]
    out[:, 1] = np.minimum.reduceat(lens_ext, edges)[0::2]
    lens_ext[-1] = 1.0
    with np.errstate(divide="ignore"):      # a length 0 at c = 0: no bound there (inf)
        for g, c in enumerate(GRID):
            out[:, 3 + g] = np.maximum.reduceat(tf_ext / (c + lens_ext), edges)[0::2]


def ceilings(rows: np.ndarray, b: float, avg: float) -> np.ndarray:
    """Per block, a ceiling of BM25's length-normalised frequency
    ``tf / (1 - b + b * len / avg)`` over its postings.

    That is ``(avg / b) * tf / (c + len)`` with ``c = avg * (1 - b) / b``, and the
    block's largest ``tf / (c' + len)`` only shrinks as ``c'`` grows: the value
    stored for the grid point just below ``c`` bounds it (within a factor of the
    grid's step). Also always true: the largest frequency over the shortest
    length's norm. The smaller of the two is the ceiling.
    """
    loose = rows[:, 0] / (1.0 - b + b * rows[:, 1] / avg)
    if not 0.0 < b <= 1.0:
        return loose
    c = avg * (1.0 - b) / b
    g = int(np.searchsorted(GRID, c, "right")) - 1       # GRID[g] <= c
    return np.minimum(loose, (avg / b) * rows[:, 3 + g])


def write_field_blocks(folder: Path, segid: str, name: str, fp: Any,
                       length_codes: Any) -> None:
    """Write one field's blocks from its side postings ``fp`` and the segment's
    length bytes (whoosh's one-byte lengths, a byte a document)."""
    codes = np.frombuffer(bytes(length_codes), dtype=np.uint8) \
        if not isinstance(length_codes, np.ndarray) else length_codes
    off, bounds = block_bounds(fp.docoff, fp.docs, fp.tf, DECODE_LENGTHS[codes])
    write_npy(_path(folder, segid, f"{name}_off.npy"), off)
    write_npy(_path(folder, segid, f"{name}_bounds.npy"), bounds)


class BlockAppender:
    """One field's block files written a run of terms at a time (a run's merged
    postings, :mod:`searchcore.execution.runs`): the bounds appended as computed,
    the per-term offsets written whole at the end."""

    def __init__(self, folder: Path, segid: str, name: str, blocks: int) -> None:
        from searchcore.execution.sidefiles import NpyAppender

        self._off_path = _path(folder, segid, f"{name}_off.npy")
        self._bounds = NpyAppender(_path(folder, segid, f"{name}_bounds.npy"), np.float64,
                                   ROW * blocks)

    def append(self, bounds: np.ndarray) -> None:
        self._bounds.append(bounds)

    def close(self, off: np.ndarray) -> None:
        self._bounds.close()
        write_npy(self._off_path, off)

    def abort(self) -> None:
        self._bounds.abort()


def write_meta(folder: Path, segid: str, doc_count: int, fields: list[str]) -> None:
    """Mark a segment's blocks complete (written after every field's files)."""
    meta = {"version": BLOCKS_VERSION, "docs": doc_count, "block": BLOCK, "min_df": MIN_DF,
            "grid": GRID.tolist(), "fields": sorted(fields)}
    write_atomic(_path(folder, segid, "meta.json"), orjson.dumps(meta))


class FieldBlocks:
    """One field's block bounds in one segment (checked as each term's are read)."""

    def __init__(self, off: np.ndarray, bounds: ReadFile, doc_count: int, block: int,
                 min_df: int) -> None:
        self.off = off
        self.bounds = bounds
        self.doc_count = doc_count
        self.block = block
        self.min_df = min_df

    def of_term(self, i: int, df: int) -> np.ndarray | None:
        """Term ``i``'s blocks as rows ``(max tf, min length, last doc)``, or None when
        it has none (a short list) or they do not fit a list of ``df`` postings."""
        if df < self.min_df or not 0 <= i < len(self.off) - 1:
            return None
        start, end = int(self.off[i]), int(self.off[i + 1])
        n = end - start
        if n <= 0 or n != -(-df // self.block) or not 0 <= start <= end <= len(self.bounds) // ROW:
            return None
        rows = self.bounds.read(ROW * start, ROW * end).reshape(n, ROW)
        last = rows[:, 2]
        if not (last[0] >= 0 and last[-1] < self.doc_count and (n == 1 or bool((last[1:] > last[:-1]).all()))
                and bool((rows[:, 0] >= 0).all()) and bool((rows[:, 1] >= 0).all())
                and bool((rows[:, 3:] >= 0).all())):
            return None
        return rows


class SegmentBlocks:
    """A segment's block files, opened per field on first use (None: no blocks)."""

    def __init__(self, reader: Any) -> None:
        self._open(boundary.segment_folder(reader), boundary.segment_name(reader),
                   reader.doc_count_all())

    @classmethod
    def at(cls, folder: Path, segid: str, doc_count: int) -> "SegmentBlocks":
        """The block files named ``segid`` in ``folder`` (a run's,
        :mod:`searchcore.execution.runs`) for ``doc_count`` documents."""
        found = cls.__new__(cls)
        found._open(folder, segid, doc_count)
        return found

    def _open(self, folder: Path | None, segid: str | None, doc_count: int) -> None:
        self._fields: dict[str, FieldBlocks | None] = {}
        self._names: frozenset[str] = frozenset()
        self._folder = folder
        self._segid = segid
        self.doc_count = doc_count
        self.block = BLOCK
        #: Lists shorter than this have no blocks (the writer's :data:`MIN_DF`).
        self.min_df = MIN_DF
        if self._folder is None or self._segid is None:
            return
        try:
            meta = orjson.loads(_path(self._folder, self._segid, "meta.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if (isinstance(meta, dict) and meta.get("version") == BLOCKS_VERSION
                and meta.get("docs") == self.doc_count and isinstance(meta.get("block"), int)
                and meta["block"] > 0 and isinstance(meta.get("min_df"), int)
                and meta.get("grid") == GRID.tolist() and isinstance(meta.get("fields"), list)):
            self.block, self.min_df = meta["block"], max(1, meta["min_df"])
            self._names = frozenset(str(n) for n in meta["fields"])

    def field(self, name: str, terms: int) -> FieldBlocks | None:
        """The field's blocks (``terms``: its dictionary's size), or None."""
        if name in self._fields:
            return self._fields[name]
        found = None
        if name in self._names and self._folder is not None and self._segid is not None:
            try:
                off = load(_path(self._folder, self._segid, f"{name}_off.npy"))
                bounds = ReadFile(_path(self._folder, self._segid, f"{name}_bounds.npy"))
            except (OSError, ValueError):
                off = bounds = None
            if (off is not None and bounds is not None and off.ndim == 1
                    and off.dtype == np.int64 and len(off) == terms + 1 and off[0] == 0
                    and bounds.dtype == np.float64 and len(bounds) == ROW * int(off[-1])):
                found = FieldBlocks(off, bounds, self.doc_count, self.block, self.min_df)
        self._fields[name] = found
        return found


def segment_blocks(reader: Any) -> SegmentBlocks:
    """The block bounds of one segment reader (kept on the reader)."""
    return kept_on(reader, _CACHE_KEY, SegmentBlocks)


def verify_segment_blocks(reader: Any) -> list[str]:
    """Problems of a segment's block files (``index check``): each long list's bounds
    recomputed from its postings and compared exactly.

    Absent files are not a problem (the segment is then searched exhaustively); files
    that are stale, unreadable, or whose bounds differ are: a bound below a real score
    would make a top-k search skip a document it should return.
    """
    from searchcore.execution.postings import segment_postings

    folder, segid = boundary.segment_folder(reader), boundary.segment_name(reader)
    if folder is None or segid is None or not _path(folder, segid, "meta.json").exists():
        return []
    found = SegmentBlocks(reader)            # a fresh one: nothing cached
    if not found._names:
        return ["its block bounds are unreadable or stale (the next write rewrites them)"]
    side = segment_postings(reader)
    return verify_blocks(found, reader.schema, side.field,
                         lambda name: DECODE_LENGTHS[boundary.length_codes(reader, name)])


def verify_blocks(found: "SegmentBlocks", schema: Any, postings_of: Callable[[str], Any],
                  lengths_of: Callable[[str], np.ndarray]) -> list[str]:
    """Problems of the block files ``found`` against the postings they bound
    (``postings_of(field)``, and the documents' decoded ``lengths_of(field)``): a
    segment's (:func:`verify_segment_blocks`) or a run's
    (:func:`searchcore.execution.runs.verify_runs`)."""
    problems = []
    for name in sorted(found._names):
        if name not in schema or not schema[name].scorable:
            problems.append(f"its block bounds name {name!r}, not a scored field")
            continue
        fp = postings_of(name)
        if fp is None:
            continue
        fb = found.field(name, len(fp))
        if fb is None:
            problems.append(f"its block bounds of {name} are missing or do not fit together")
            continue
        df = np.diff(np.asarray(fp.docoff, dtype=np.int64))
        counts = np.where(df >= fb.min_df, -(-df // fb.block), 0)
        if not np.array_equal(np.diff(fb.off), counts):
            problems.append(f"its block bounds of {name} cover other lists than the postings")
            continue
        lengths = lengths_of(name)
        for i in np.flatnonzero(counts):
            docs, tf = fp.postings(int(i))
            _, want = block_bounds(np.array([0, len(docs)]), docs, tf, lengths,
                                   min_df=fb.min_df, block=fb.block)
            got = fb.bounds.read(ROW * int(fb.off[i]), ROW * int(fb.off[i + 1]))
            if not np.array_equal(got, want):
                problems.append(f"its block bounds of {name}:{fp.term(int(i))!r} differ "
                                "from its postings")
                break
    return problems
