"""The term dictionary and posting lists of a segment as memory-mapped arrays.

Per segment and indexed field (all but ``published``, whose ranges run on the
``published`` column), beside whoosh's own files and removed with them::

    MAIN_<segid>.spst_<field>_terms.npy      uint8: every term's bytes, in byte order
    MAIN_<segid>.spst_<field>_termoff.npy    int64: term i is terms[termoff[i]:termoff[i+1]]
    MAIN_<segid>.spst_<field>_docoff.npy     int64: term i's postings are docoff[i]:docoff[i+1]
    MAIN_<segid>.spst_<field>_docs.npy       int32: document numbers (deleted ones included)
    MAIN_<segid>.spst_<field>_tf.npy         uint8, uint16 or float32: frequencies
    MAIN_<segid>.spst_<field>_posoff.npy     uint32 or int64: posting j's positions are
                                             posoff[j]:posoff[j+1]
    MAIN_<segid>.spst_<field>_pos.npy        uint16 or int32: word positions (fields with
                                             positions)
    MAIN_<segid>.spst_meta.json              version, documents, fields (written last)

Frequencies, offsets and positions are each stored in the narrowest of their types
that holds the file's values (:func:`storage_type`; version 2 of the format) and are
read back as float32, int64 and int32 (what the executor computes in), so a score
does not depend on how a file was stored. Why: a query's cost on a big index is its
lists' bytes read from disk when the page cache cannot hold the index. At 1M
articles the frequencies are whole counts (uint8: a byte a posting, not four), the
run's positions fewer than 2**32 and each below 65536; the run's body lists went
from 20.6 to 11.3 bytes a posting with positions (1.16 positions a posting), 8 to 5
without, and the index from 7.3 to 5.9 GB. Version 1 files (every part in its wide
type) are read as they are.

Lookups are a binary search over the term bytes; a prefix is a range of term ids.
The dictionary (terms, termoff, docoff) is memory-mapped; the posting lists (docs,
tf, posoff, pos: 97% of the bytes) are read a slice at a time
(:class:`~searchcore.execution.sidefiles.ReadFile`), unless the index is small
(:data:`MAP_BELOW`). Opening checks each file's shape
only (:func:`structure_ok`); each posting list is checked as it is read
(:class:`FieldPostings`), and one that fails is answered from whoosh's postings.
The arrays are made from whoosh's postings (:mod:`searchcore.whoosh_boundary.postings`),
so they equal them by construction, and ``index check`` compares them again.
Segments without them are converted in memory when first searched and written by the
next writer (:func:`searchcore.execution.columns.write_missing`).
"""

from __future__ import annotations

import os
from array import array
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import orjson

from searchcore.execution import blobs
from searchcore.execution.sidefiles import ReadFile, load, write_atomic, write_npy
from searchcore.execution.segment_arrays import kept_on
from searchcore.whoosh_boundary import postings as raw
from searchcore.whoosh_boundary import segments as boundary

POSTINGS_VERSION = 2
#: Versions read: 1 differs only in storing every part in its wide type.
READ_VERSIONS = frozenset({1, 2})
_PREFIX = ".spst_"
_META = "meta.json"
_CACHE_KEY = "postings"
#: Indexed fields left out: date ranges and sorting use the ``published`` column.
SKIP_FIELDS = frozenset({"published"})
_PARTS = ("terms", "termoff", "docoff", "docs", "tf", "posoff", "pos")
#: Read a slice at a time (:class:`~searchcore.execution.sidefiles.ReadFile`), not
#: mapped: the posting lists, 97% of the bytes. The term dictionary is mapped (a
#: lookup reads a few pages of it, the lookup prefixes all of its offsets once).
_READ_PARTS = frozenset({"docs", "tf", "posoff", "pos"})
#: ...except in a small index, whose posting lists are mapped all the same: a list
#: is then a slice and a copy, not an allocation and a system call (a fifth of a
#: three-word OR on Reuters). Small: the document-number files of every segment of
#: the generation hold at most this many bytes together (Reuters: 5 MB; the other
#: parts are a few times that), so what stays resident is bounded by the index, not
#: by a file (a 1M index of 21 segments has 13 MB files: mapped, 200 queries kept
#: 1.2 GB resident).
MAP_BELOW = 16 << 20

#: The types each narrowed part may be stored in, narrowest first, and the type it
#: is read back as (the last, the widest).
STORAGE_TYPES: dict[str, tuple[np.dtype, ...]] = {
    "tf": (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)),
    "posoff": (np.dtype(np.uint32), np.dtype(np.int64)),
    "pos": (np.dtype(np.uint16), np.dtype(np.int32)),
}
_TF, _OFFSETS, _POSITIONS = (STORAGE_TYPES[p][-1] for p in ("tf", "posoff", "pos"))


def storage_type(part: str, values: np.ndarray) -> np.dtype:
    """The narrowest type of :data:`STORAGE_TYPES` that holds every one of ``values``
    exactly (``part`` one of its keys): frequencies are narrowed only when they are
    whole numbers (whoosh stores a boosted field's as fractions)."""
    types = STORAGE_TYPES[part]
    if not len(values):
        return types[0]
    lo, hi = values.min(), values.max()
    if lo < 0 or (part == "tf" and not np.array_equal(values, np.floor(values))):
        return types[-1]
    for t in types[:-1]:
        if hi <= np.iinfo(t).max:
            return t
    return types[-1]


def widest(part: str, dtypes: Any) -> np.dtype:
    """The storage type holding values stored as any of ``dtypes`` (a run's, from
    its members' files), a type of :data:`STORAGE_TYPES` ``[part]``."""
    types = STORAGE_TYPES[part]
    found = [types.index(np.dtype(d)) if np.dtype(d) in types else len(types) - 1
             for d in dtypes]
    return types[max(found, default=0)]


def _read_as(array: Any, start: int, end: int, dtype: np.dtype) -> np.ndarray:
    """:func:`_read` widened to ``dtype``, the type the part is computed in."""
    values = _read(array, start, end)
    return values if values.dtype == dtype else values.astype(dtype)


@dataclass(frozen=True)
class FieldPostings:
    """One field's term dictionary and postings in one segment.

    Read from files (``doc_count`` set, ``repair`` given), the arrays are input like
    any other: :func:`structure_ok` checked their types, lengths and end offsets when
    they were opened, and each posting list is bounds-checked here when it is read
    (offsets inside the arrays, document numbers sorted and below ``doc_count``). A
    list that fails is never used: ``repair(i)`` gives postings that answer for
    term ``i`` instead and its id in them (a segment: the field converted from
    whoosh's postings, which answers instead (and from then on). Checking a slice
    as it is read keeps opening an index from faulting every postings page of its
    memory maps into memory (4 GB of them at 1M articles).
    """

    terms: np.ndarray
    termoff: np.ndarray
    docoff: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    posoff: np.ndarray | None
    pos: np.ndarray | None
    #: Documents of the segment (-1: trusted arrays, made here, nothing to check).
    doc_count: int = field(default=-1, compare=False)
    #: The field converted from whoosh's postings, for a slice that fails its checks.
    #: ``repair(i)``: postings answering for term ``i`` (None: the whole field) and
    #: the term's id in them, for a list that fails its checks.
    repair: Callable[[int | None], tuple["FieldPostings", int]] | None = \
        field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.termoff) - 1

    @cached_property
    def _heads(self) -> np.ndarray:
        """Each term's first 8 bytes as a sorted uint64 (:mod:`searchcore.execution.blobs`):
        one search over them narrows a lookup to a few terms."""
        return blobs.heads(self.terms, self.termoff)

    def find(self, btext: bytes, head: np.uint64 | None = None) -> int:
        """The term id of ``btext``, or -1 (one search over the heads, then the few
        terms sharing them: a bisect over the term bytes cost 7 us a lookup, four a
        word's query). ``head``: ``blobs.head(btext)``, if the caller has it."""
        return blobs.find(self._heads, self.terms, self.termoff, btext, head)

    def prefix_range(self, bprefix: bytes) -> tuple[int, int]:
        """Term ids ``[lo, hi)`` of the terms starting with ``bprefix``."""
        return blobs.prefix_range(self._heads, self.terms, self.termoff, bprefix)

    def term(self, i: int) -> bytes:
        return self.terms[self.termoff[i]:self.termoff[i + 1]].tobytes()

    # -- posting lists, each checked as it is read ----------------------------------
    @cached_property
    def _sizes(self) -> tuple[int, int]:
        """``(terms, postings)``: the bounds every read checks against."""
        return len(self.termoff) - 1, len(self.docs)

    def _span(self, i: int) -> tuple[int, int] | None:
        """Where term ``i``'s postings are, or None if its offsets do not fit."""
        terms, size = self._sizes
        if not 0 <= i < terms:
            raise IndexError(f"term id {i} out of range")
        start, end = self.docoff[i:i + 2].tolist()
        return (start, end) if 0 <= start <= end <= size else None

    def _repaired(self, i: int | None) -> tuple["FieldPostings", int]:
        """What answers for term ``i`` (None: every term) in place of these arrays,
        and the term's id there."""
        if self.repair is None:               # arrays made here: cannot be wrong
            raise AssertionError("trusted postings failed a check")
        return self.repair(i)

    def df(self, i: int) -> int:
        if self.doc_count < 0:
            return int(self.docoff[i + 1] - self.docoff[i])
        span = self._span(i)
        if span is None or span[1] - span[0] > self.doc_count:
            fp, j = self._repaired(i)
            return fp.df(j)
        return span[1] - span[0]

    def postings(self, i: int, tf_type: np.dtype = _TF) -> tuple[np.ndarray, np.ndarray]:
        """Term ``i``'s document numbers (int32, ascending) and frequencies (float32,
        or widened straight to ``tf_type`` when read from a file: the executor's
        float64, one conversion of a narrow file's values, not two)."""
        if self.doc_count < 0:
            start, end = self.docoff[i], self.docoff[i + 1]
            return self.docs[start:end], self.tf[start:end]
        docs = self._checked_docs(i)
        if docs is None:
            fp, j = self._repaired(i)
            return fp.postings(j, tf_type)
        start = self.docoff[i]              # _checked_docs checked the offsets
        return docs, _read_as(self.tf, int(start), int(start) + len(docs), tf_type)

    def doc_numbers(self, i: int) -> np.ndarray:
        """:meth:`postings` without the frequencies (a phrase's candidates need none)."""
        if self.doc_count < 0:
            return self.docs[self.docoff[i]:self.docoff[i + 1]]
        docs = self._checked_docs(i)
        if docs is None:
            fp, j = self._repaired(i)
            return fp.doc_numbers(j)
        return docs

    def _checked_docs(self, i: int) -> np.ndarray | None:
        """Term ``i``'s document numbers, or None when its offsets or numbers fail."""
        span = self._span(i)
        if span is None:
            return None
        start, end = span
        docs = _read(self.docs, start, end)
        if end - start and not (docs[0] >= 0 and docs[-1] < self.doc_count
                                and (end - start == 1 or strictly_ascending(docs))):
            return None
        return docs

    def unchecked(self, i: int, frequencies: bool = True, tf_type: np.dtype | None = _TF
                  ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Term ``i``'s document numbers and frequencies (None without ``frequencies``)
        as :meth:`postings` gives them, but with only the offsets checked (None when
        they do not fit): for a caller that checks the numbers of several segments'
        lists at once, joined (:meth:`searchcore.execution.executor.Executor.postings`),
        and reads the lists through :meth:`postings` when that check fails.
        ``tf_type`` None: the frequencies as stored (the caller widens them as it joins)."""
        if self.doc_count < 0:
            start, end = self.docoff[i], self.docoff[i + 1]
            return self.docs[start:end], self.tf[start:end] if frequencies else None
        span = self._span(i)
        if span is None:
            return None
        start, end = span
        if not frequencies:
            return _read(self.docs, start, end), None
        return (_read(self.docs, start, end), _read(self.tf, start, end) if tf_type is None
                else _read_as(self.tf, start, end, tf_type))

    def postings_run(self, i: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Postings ``[lo, hi)`` of term ``i``'s list (positions in it: blocks of
        :mod:`searchcore.execution.blocks`), or None when they do not fit (the
        caller then reads the list whole, which answers from whoosh if need be)."""
        span = self._span(i) if self.doc_count >= 0 else \
            (int(self.docoff[i]), int(self.docoff[i + 1]))
        if span is None or not 0 <= lo < hi <= span[1] - span[0]:
            return None
        start, end = span[0] + lo, span[0] + hi
        docs = _read(self.docs, start, end)
        if self.doc_count >= 0 and not (docs[0] >= 0 and docs[-1] < self.doc_count and (
                end - start == 1 or strictly_ascending(docs))):
            return None
        return docs, _read_as(self.tf, start, end, _TF)

    def will_need(self, i: int, frequencies: bool = True) -> None:
        """Announce term ``i``'s document numbers (and frequencies) to the kernel before
        they are read (:meth:`~searchcore.execution.sidefiles.ReadFile.will_need`), so
        that a query's lists come from a cold disk together; nothing for mapped files."""
        if type(self.docs) is not ReadFile:
            return
        span = self._span(i)
        if span is not None:
            self.docs.will_need(*span)
            if frequencies and type(self.tf) is ReadFile:
                self.tf.will_need(*span)

    def positions_among(self, i: int, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of postings ``wanted`` (ascending indexes into term ``i``'s
        list), flat in that order, and how many each has.

        Only the wanted postings' offsets are looked at (and checked: within the
        positions, each run after the one before), and of the positions only the
        range they span is read: a phrase's candidates are a few documents of a
        long list, whose whole offsets were a subtraction and a check per query."""
        if self.posoff is None or self.pos is None:
            raise ValueError("this field has no positions")
        if not len(wanted):
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        if self.doc_count < 0:
            start, end = int(self.docoff[i]), int(self.docoff[i + 1])
        else:
            span = self._span(i)
            if span is None or not 0 <= int(wanted[0]) <= int(wanted[-1]) < span[1] - span[0]:
                fp, j = self._repaired(i)
                return fp.positions_among(j, wanted)
            start, end = span
        at = wanted + start
        if type(self.posoff) is ReadFile:   # its offsets from the first wanted to the last
            first = int(at[0])
            block = self.posoff.read(first, int(at[-1]) + 2)
            lo, hi = block[at - first], block[at - first + 1]
        else:
            lo, hi = self.posoff[at], self.posoff[at + 1]
        if lo.dtype != _OFFSETS:                 # stored narrower (unsigned)
            lo, hi = lo.astype(_OFFSETS), hi.astype(_OFFSETS)
        counts = hi - lo
        if self.doc_count >= 0 and not (lo[0] >= 0 and hi[-1] <= len(self.pos) and bool(
                _all_true(counts >= 0)) and bool(_all_true(lo[1:] >= hi[:-1]))):
            fp, j = self._repaired(i)
            return fp.positions_among(j, wanted)
        base = int(lo[0])
        flat = _read(self.pos, base, int(hi[-1]))
        index = np.repeat(lo - base - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        found = flat[index]
        return (found if found.dtype == _POSITIONS else found.astype(_POSITIONS)), counts

    def checked_whole(self) -> "FieldPostings":
        """These arrays when every posting list fits (all document numbers in range,
        offsets ascending), else the repaired field: for the few readers of a whole
        field at once (the ``id`` field's keys, ``field:*`` over a non-scored field)."""
        if self.doc_count < 0 or consistent(self, self.doc_count):
            return self
        return self._repaired(None)[0]


_all_true = np.logical_and.reduce


def strictly_ascending(docs: np.ndarray) -> bool:
    """Strictly ascending (at least two values): the check every list read passes
    (the ufunc's reduce called directly: ``.all()`` goes through a Python wrapper)."""
    return bool(_all_true(docs[1:] > docs[:-1]))


def _read(array: Any, start: int, end: int) -> np.ndarray:
    """``array[start:end]`` (checked bounds) of a mapped array or a :class:`ReadFile`."""
    return array.read(start, end) if type(array) is ReadFile else array[start:end]


def structure_ok(fp: FieldPostings) -> bool:
    """Do the arrays fit together as a whole: types, lengths, first and last offsets,
    and the term dictionary (its offsets ascending: every lookup reads all of them)?

    Cheap at open: it reads no posting list (those are checked as they are read,
    :class:`FieldPostings`), so the memory maps stay untouched until a query needs
    a page of them.
    """
    def ints(a: np.ndarray | None, kinds: tuple[Any, ...]) -> bool:
        return a is not None and a.ndim == 1 and a.dtype in kinds

    i64, i32 = (np.dtype(np.int64),), (np.dtype(np.int32),)
    if not (ints(fp.terms, (np.dtype(np.uint8),)) and ints(fp.termoff, i64)
            and ints(fp.docoff, i64) and ints(fp.docs, i32)
            and ints(fp.tf, STORAGE_TYPES["tf"])):
        return False
    n = len(fp.termoff) - 1
    if n < 0 or len(fp.docoff) != n + 1 or fp.termoff[0] != 0 or fp.docoff[0] != 0:
        return False
    if fp.termoff[-1] != len(fp.terms) or fp.docoff[-1] != len(fp.docs) \
            or len(fp.docs) != len(fp.tf):
        return False
    if np.any(np.diff(fp.termoff) < 0):
        return False
    if (fp.posoff is None) != (fp.pos is None):
        return False
    if fp.posoff is not None and fp.pos is not None:
        if not (ints(fp.posoff, STORAGE_TYPES["posoff"]) and ints(fp.pos, STORAGE_TYPES["pos"])) \
                or len(fp.posoff) != len(fp.docs) + 1:
            return False
        if fp.posoff[0] != 0 or fp.posoff[-1] != len(fp.pos):
            return False
    return True


def consistent(fp: FieldPostings, doc_count: int) -> bool:
    """Every check at once: :func:`structure_ok` and every posting list's offsets and
    document numbers (reads all of the arrays; :meth:`FieldPostings.checked_whole`)."""
    if not structure_ok(fp):
        return False
    if np.any(np.diff(fp.docoff) < 0):
        return False
    docs = np.asarray(fp.docs)
    if len(docs) and (int(docs.min()) < 0 or int(docs.max()) >= doc_count):
        return False
    if fp.posoff is not None:
        posoff = np.asarray(fp.posoff)      # compared, not subtracted: it may be unsigned
        if np.any(posoff[1:] < posoff[:-1]):
            return False
    return True


def build_field(reader: Any, fieldname: str) -> FieldPostings:
    """One field's arrays, converted from whoosh's postings."""
    with_positions = reader.schema[fieldname].format.supports("positions")
    terms = bytearray()
    termoff = [0]
    docoff = [0]
    docs: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    counts: list[int] = []
    flat: list[int] = []
    for btext, ids, weights, positions, _ in raw.field_postings(reader, fieldname, with_positions):
        terms += btext
        termoff.append(len(terms))
        docoff.append(docoff[-1] + len(ids))
        docs.append(ids)
        tfs.append(weights)
        for plist in positions:
            counts.append(len(plist))
            flat.extend(plist)
    posoff = pos = None
    if with_positions:
        posoff = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=posoff[1:])
        pos = np.array(flat, dtype=np.int32)
    return FieldPostings(
        terms=np.frombuffer(bytes(terms), dtype=np.uint8),
        termoff=np.array(termoff, dtype=np.int64), docoff=np.array(docoff, dtype=np.int64),
        docs=(np.concatenate(docs) if docs else np.zeros(0)).astype(np.int32),
        tf=(np.concatenate(tfs) if tfs else np.zeros(0)).astype(np.float32),
        posoff=posoff, pos=pos)


def indexed_fields(schema: Any) -> list[str]:
    return [name for name in schema.names() if schema[name].indexed and name not in SKIP_FIELDS]


def _path(folder: Path, segid: str, name: str) -> Path:
    return folder / f"{segid}{_PREFIX}{name}"


def write_field(folder: Path, segid: str, name: str, fp: FieldPostings) -> None:
    """Write one field's arrays, each narrowed part in its storage type."""
    for part in _PARTS:
        array = getattr(fp, part)
        if array is not None:
            if part in STORAGE_TYPES:
                array = np.asarray(array)
                array = array.astype(storage_type(part, array), copy=False)
            write_npy(_path(folder, segid, f"{name}_{part}.npy"), array)


def write_meta(folder: Path, segid: str, doc_count: int, fields: dict[str, bool]) -> None:
    """Mark a segment's postings complete (``fields``: name -> has positions)."""
    meta = {"version": POSTINGS_VERSION, "docs": doc_count,
            "fields": [{"name": n, "positions": p} for n, p in sorted(fields.items())]}
    write_atomic(_path(folder, segid, _META), orjson.dumps(meta))


def write_segment_postings(folder: Path, segid: str, reader: Any) -> None:
    """Convert and write every indexed field of one segment (the meta file last), and
    the block bounds of its long lists (:mod:`searchcore.execution.blocks`)."""
    from searchcore.execution import blocks

    fields = {}
    for name in indexed_fields(reader.schema):
        fp = build_field(reader, name)
        write_field(folder, segid, name, fp)
        if reader.schema[name].scorable:
            blocks.write_field_blocks(folder, segid, name, fp,
                                      boundary.length_codes(reader, name))
        fields[name] = fp.pos is not None
    write_meta(folder, segid, reader.doc_count_all(), fields)
    blocks.write_meta(folder, segid, reader.doc_count_all(),
                      [n for n in fields if reader.schema[n].scorable])


def from_inverted(items: list[tuple[bytes, list[Any]]], decode: Any | None) -> FieldPostings:
    """A field's arrays from the bulk writer's sorted ``(term, [doc, weight, value, ...])``.

    ``decode(value) -> positions`` for fields with positions, else None. The same
    arrays :func:`build_field` reads back from whoosh's files (tests compare them).
    """
    from itertools import chain

    lengths = np.fromiter((len(k) for k, _ in items), dtype=np.int64, count=len(items))
    termoff = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(lengths, out=termoff[1:])
    counts = np.fromiter((len(flat) // 3 for _, flat in items), dtype=np.int64, count=len(items))
    docoff = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(counts, out=docoff[1:])
    total = int(docoff[-1])
    docs = np.fromiter(chain.from_iterable(flat[0::3] for _, flat in items), dtype=np.int32,
                       count=total)
    tf = np.fromiter(chain.from_iterable(flat[1::3] for _, flat in items), dtype=np.float32,
                     count=total)
    posoff = pos = None
    if decode is not None:
        # Straight into flat arrays (4 bytes a position): a list per posting held
        # every position of a batch as Python objects, ~0.4 GB for 50,000 articles.
        # The offsets are written as the positions are appended (no separate count
        # array: 8 bytes a posting, 64 MB of a 50,000-article batch's peak).
        flat_pos = array("i")
        posoff = np.zeros(total + 1, dtype=np.int64)
        k = 1
        for _, flat in items:
            for v in flat[2::3]:
                flat_pos.extend(decode(v))
                posoff[k] = len(flat_pos)
                k += 1
        pos = (np.frombuffer(flat_pos, dtype=np.int32) if len(flat_pos)  # shares the buffer
               else np.zeros(0, dtype=np.int32))
    return FieldPostings(terms=np.frombuffer(b"".join(k for k, _ in items), dtype=np.uint8),
                         termoff=termoff, docoff=docoff, docs=docs, tf=tf, posoff=posoff, pos=pos)


def has_segment_postings(folder: Path, segid: str, doc_count: int) -> bool:
    try:
        meta = orjson.loads(_path(folder, segid, _META).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return False
    return meta.get("version") in READ_VERSIONS and meta.get("docs") == doc_count


class SegmentPostings:
    """A segment's fields, loaded (memory-mapped, or converted) on first use."""

    def __init__(self, reader: Any) -> None:
        self._open(reader, boundary.segment_folder(reader), boundary.segment_name(reader),
                   reader.doc_count_all())

    def _open(self, reader: Any, folder: Path | None, segid: str | None,
              doc_count: int) -> None:
        """Set up over the files named ``segid`` in ``folder`` for ``doc_count``
        documents, ``reader`` giving the schema (and converting, for a segment): also
        what a run of segments opens with (:class:`searchcore.execution.runs.RunPostings`)."""
        self._reader = reader
        self._fields: dict[str, FieldPostings | None] = {}
        self._converted: dict[str, FieldPostings] = {}
        self._folder = folder
        self._segid = segid
        self._on_disk = (folder is not None and segid is not None
                         and has_segment_postings(folder, segid, doc_count))
        self.doc_count = doc_count
        self._small: bool | None = None

    def field(self, name: str) -> FieldPostings | None:
        """The field's arrays, or None when the segment has no such indexed field."""
        if name in self._fields:
            return self._fields[name]
        fp: FieldPostings | None = None
        schema = self._reader.schema
        if name in schema and schema[name].indexed and name not in SKIP_FIELDS:
            if self._on_disk:
                fp = self._read(name)
            if fp is None:
                fp = self._convert(name)
        self._fields[name] = fp
        return fp

    def _read(self, name: str) -> FieldPostings | None:
        assert self._folder is not None and self._segid is not None
        parts: dict[str, np.ndarray | None] = {}
        try:
            for part in _PARTS:
                path = _path(self._folder, self._segid, f"{name}_{part}.npy")
                if not path.exists():
                    parts[part] = None
                elif part in _READ_PARTS and not self.small_index():
                    parts[part] = ReadFile(path)  # type: ignore[assignment]
                else:
                    parts[part] = load(path)
        except (OSError, ValueError):
            return None
        if any(parts[p] is None for p in _PARTS[:5]):
            return None
        fp = FieldPostings(**parts, doc_count=self.doc_count,  # type: ignore[arg-type]
                           repair=partial(self._repair, name))
        return fp if structure_ok(fp) else None

    def small_index(self) -> bool:
        """Do all the generation's posting document files together hold at most
        :data:`MAP_BELOW` bytes (then this segment's lists are mapped, and its display
        records, :mod:`searchcore.execution.display`)? Looked at once."""
        if self._small is None:
            total = 0
            try:
                with os.scandir(self._folder) as entries:
                    for entry in entries:
                        if _PREFIX in entry.name and entry.name.endswith("_docs.npy"):
                            total += entry.stat().st_size
                            if total > MAP_BELOW:
                                break
            except OSError:
                total = MAP_BELOW + 1
            self._small = total <= MAP_BELOW
        return self._small

    def _repair(self, name: str, i: int | None) -> tuple[FieldPostings, int]:
        """The field converted from whoosh's postings, in place of files that failed a
        check (its term ids are the files'); kept, so later lookups use it at once."""
        return self._whole_repair(name), -1 if i is None else i

    def _whole_repair(self, name: str) -> FieldPostings:
        fp = self._converted.get(name)
        if fp is None:
            fp = self._converted[name] = self._fields[name] = self._convert(name)
        return fp

    def _convert(self, name: str) -> FieldPostings:
        try:
            return build_field(self._reader, name)
        except raw.NotW3 as exc:
            from searchcore.execution.executor import Unsupported

            raise Unsupported(f"segment not in whoosh's W3 layout ({exc})") from None


def segment_postings(reader: Any) -> SegmentPostings:
    """The side postings of one segment reader (kept on the reader)."""
    return kept_on(reader, _CACHE_KEY, SegmentPostings)


#: Problems one field reports before ``index check`` moves on (a damaged file would
#: otherwise give one line per term).
MAX_FIELD_PROBLEMS = 5


#: ``observe(fieldname, term)``: each term of whoosh's postings as the check reads it,
#: and ``observe(fieldname, None)`` once a field has been read to its end (so
#: ``index check`` reads whoosh's postings once for both of its comparisons).
TermObserver = Callable[[str, "raw.TermPostings | None"], None]


def verify_segment_postings(reader: Any, observe: TermObserver | None = None) -> list[str]:
    """Problems of a segment's side postings against whoosh's (``index check``):
    every term, posting, frequency and position compared, one term at a time (so
    the check's memory follows the longest list, not the segment).

    Absent files are not a problem (they are converted on open); files that do not
    open, do not fit together, or disagree with whoosh's postings are. With
    ``observe``, a field's whoosh postings are read to the end even after a problem.
    """
    folder, segid = boundary.segment_folder(reader), boundary.segment_name(reader)
    if folder is None or segid is None or not _path(folder, segid, _META).exists():
        return []
    doc_count = reader.doc_count_all()
    if not has_segment_postings(folder, segid, doc_count):
        return ["its side postings are stale (written for another segment; "
                "the next write rewrites them)"]
    side = SegmentPostings(reader)        # a fresh one: nothing repaired or cached
    problems: list[str] = []
    for name in indexed_fields(reader.schema):
        fp = side._read(name)
        if fp is None:
            problems.append(f"its side postings of {name} are missing, unreadable or do "
                            "not fit together")
            continue
        problems.extend(f"its side postings of {name} {p}"
                        for p in _field_problems(reader, name, fp, observe))
    return problems


def _field_problems(reader: Any, name: str, fp: FieldPostings,
                    observe: TermObserver | None = None) -> list[str]:
    with_positions = fp.pos is not None
    if with_positions != reader.schema[name].format.supports("positions"):
        return ["have positions where the schema has none, or none where it has"]
    problems: list[str] = []
    n = len(fp)
    i = -1
    done = False                 # compared as far as it makes sense; whoosh's may go on
    for i, term in enumerate(raw.field_postings(reader, name, with_positions)):
        if observe is not None:
            observe(name, term)
        if not done:
            done = _term_problems(fp, i, n, term, with_positions, problems)
        if done and observe is None:
            return problems
    if observe is not None:
        observe(name, None)
    if not done and i + 1 < n:
        problems.append(f"hold {n - i - 1} terms whoosh does not have")
    return problems


def _term_problems(fp: FieldPostings, i: int, n: int, term: "raw.TermPostings",
                   with_positions: bool, problems: list[str]) -> bool:
    """Compare whoosh's ``i``-th term with the side arrays' (appending to ``problems``);
    True when the comparison of this field should stop."""
    btext, ids, weights, positions, _ = term
    if len(problems) >= MAX_FIELD_PROBLEMS:
        problems.append("(and maybe more)")
        return True
    if i >= n:
        problems.append(f"lack terms from {btext!r} on")
        return True
    if fp.term(i) != btext:
        problems.append(f"hold {fp.term(i)!r} where whoosh has {btext!r}")
        return True
    start, end = int(fp.docoff[i]), int(fp.docoff[i + 1])
    if not 0 <= start <= end <= len(fp.docs):
        problems.append(f"have offsets out of range for {btext!r}")
        return False
    docs, tf = _read(fp.docs, start, end), _read_as(fp.tf, start, end, _TF)
    if not (np.array_equal(docs, ids) and np.array_equal(tf, np.asarray(weights, np.float32))):
        problems.append(f"differ from whoosh's for {btext!r} (documents or frequencies)")
        return False
    if with_positions:
        assert fp.posoff is not None and fp.pos is not None
        offs = _read_as(fp.posoff, start, end + 1, _OFFSETS)
        if len(offs) != end - start + 1 or offs[0] < 0 or offs[-1] > len(fp.pos) \
                or np.any(np.diff(offs) < 0):
            problems.append(f"have position offsets out of range for {btext!r}")
            return False
        flat = _read(fp.pos, int(offs[0]), int(offs[-1]))
        want = [p for plist in positions for p in plist]
        if not (np.array_equal(np.diff(offs), [len(p) for p in positions])
                and np.array_equal(flat, np.asarray(want, dtype=np.int32))):
            problems.append(f"differ from whoosh's positions for {btext!r}")
    return False
