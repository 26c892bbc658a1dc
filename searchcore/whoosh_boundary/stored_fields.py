"""Stored fields by global document number: one at a time, or many in a stream.

``Searcher.stored_fields`` goes through ``MultiReader`` (a bisect per call) and
``SegmentReader`` (which copies the dict to drop fields no longer in the schema), and
whoosh's column reader then seeks and reads its file per document (a buffered read
that a seek has just emptied): for an export of every match those layers were more
than half of the time. So:

* :func:`stored_fields_getter` asks each segment's W3 per-document reader (private
  ``_perdoc``) directly, for a few documents (a page of hits, a sample);
* :func:`stored_fields_many` streams the stored fields of many documents in a given
  order: per chunk of documents it reads each segment's stored-field bytes straight
  from the W3 ``_stored`` column (``pread``, one read for a run of documents that lie
  close together in the file, as in document order), then decompresses and unpickles
  each. Memory is one chunk, whatever the number of documents.

Both unpickle through :mod:`searchcore.whoosh_boundary.safe_pickle`, so the
restriction on stored-field unpickling applies here as well. Fields dropped from the
schema are not filtered out: our schema never drops one (a changed schema is a new
format). A reader of another kind (not W3, or a column not laid out as whoosh 2.7.4
writes it) is asked through its public ``stored_fields``.

The W3 layout read here (``whoosh.columns.VarBytesColumn``, inside
``PickleColumn(CompressedBytesColumn())``): the zlib'd pickles one after another from
the column's base position; then each document's length, big-endian, of the type
code written after them; then, for large columns, each document's offset and a final
``"X"``. whoosh itself has parsed that tail into ``_lengths`` and ``_offsets`` when
the column reader opens, and those arrays are what is used here.
"""

from __future__ import annotations

import io
import os
import zlib
from bisect import bisect_right
from typing import Any, Callable, Iterator

import numpy as np

from searchcore.whoosh_boundary.safe_pickle import loads

#: Documents decoded per step of :func:`stored_fields_many` (memory: one step).
CHUNK = 512
#: A run of documents is read with one ``pread`` when the bytes between them are at
#: most this many times the bytes they need (plus :data:`_SLACK`).
_DENSITY = 2
_SLACK = 64 * 1024


def stored_fields_getter(searcher: Any) -> Callable[[int], dict[str, Any]]:
    """A function from a global document number to that document's stored fields."""
    reader = searcher.reader()
    subreaders = getattr(reader, "readers", None)
    if subreaders is None:
        return _segment_getter(reader)
    getters = [_segment_getter(sub) for sub in subreaders]
    offsets = list(reader.doc_offsets)

    def get(docnum: int) -> dict[str, Any]:
        segment = bisect_right(offsets, docnum) - 1
        return getters[segment](docnum - offsets[segment])

    return get


def _segment_getter(reader: Any) -> Callable[[int], dict[str, Any]]:
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "stored_fields"):
        return reader.stored_fields
    return perdoc.stored_fields


def stored_fields_many(searcher: Any, docnums: np.ndarray,
                       chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """The stored fields of each of ``docnums`` (global), in that order, read a chunk at a time."""
    for items in stored_chunks(searcher, docnums, chunk):
        for item in items:
            yield decode_stored(item)


def stored_chunks(searcher: Any, docnums: np.ndarray,
                  chunk: int = CHUNK) -> Iterator[list[bytes | dict[str, Any]]]:
    """``docnums`` (global) a chunk at a time, each document as its undecoded stored bytes.

    A document of a segment that cannot be read that way comes as its decoded fields
    already; :func:`decode_stored` takes either. The bytes are plain ``bytes``, so a
    chunk can be handed to another process to decode.
    """
    reader = searcher.reader()
    subreaders = getattr(reader, "readers", None)
    if subreaders is None:
        subreaders, starts = [reader], np.zeros(1, dtype=np.int64)
    else:
        starts = np.asarray(reader.doc_offsets, dtype=np.int64)
    segments = [_SegmentStored.open(sub) for sub in subreaders]
    docnums = np.asarray(docnums, dtype=np.int64)
    for begin in range(0, len(docnums), chunk):
        docs = docnums[begin:begin + chunk]
        which = np.searchsorted(starts, docs, side="right") - 1
        out: list[Any] = [None] * len(docs)
        for seg in np.unique(which).tolist():
            positions = np.flatnonzero(which == seg)
            local = docs[positions] - starts[seg]
            for position, item in zip(positions.tolist(), segments[seg].items(local)):
                out[position] = item
        yield out


def decode_stored(item: bytes | dict[str, Any]) -> dict[str, Any]:
    """A document's stored fields from what :func:`stored_chunks` gave for it."""
    if isinstance(item, dict):
        return item
    return loads(zlib.decompress(item)) if item else {}


class _SegmentStored:
    """One segment's stored fields: straight from its ``_stored`` column when it can."""

    def __init__(self, reader: Any, fd: int | None, get: Callable[[int, int], bytes] | None,
                 base: int, offsets: np.ndarray | None, lengths: np.ndarray | None) -> None:
        self._reader = reader
        self._fd, self._get, self._base = fd, get, base
        self._offsets, self._lengths = offsets, lengths

    @classmethod
    def open(cls, reader: Any) -> "_SegmentStored":
        column = _stored_column(reader)
        if column is None:
            return cls(reader, None, None, 0, None, None)
        dbfile = column._dbfile
        offsets = np.asarray(column._offsets, dtype=np.int64)
        lengths = np.asarray(column._lengths, dtype=np.int64)
        # A real file (not a compound file's part, nor one in memory) is read with pread.
        raw = getattr(dbfile, "file", None)
        fd = raw.fileno() if isinstance(raw, (io.BufferedReader, io.FileIO)) else None
        return cls(reader, fd, dbfile.get, int(column._basepos), offsets, lengths)

    def items(self, local: np.ndarray) -> list[bytes | dict[str, Any]]:
        """These segment documents' stored bytes (or fields, read the public way), in order."""
        if self._offsets is None or self._lengths is None:
            get = _segment_getter(self._reader)
            return [get(d) for d in local.tolist()]
        starts = self._offsets[local] + self._base
        lengths = self._lengths[local]
        if not len(starts):
            return []
        low, high = int(starts.min()), int((starts + lengths).max())
        if high - low <= _DENSITY * int(lengths.sum()) + _SLACK:
            # One read for a run that lies close together (document order, say).
            block = self._pread(low, high - low)
            return [block[s:s + n] for s, n in zip((starts - low).tolist(), lengths.tolist())]
        return [self._pread(s, n) for s, n in zip(starts.tolist(), lengths.tolist())]

    def _pread(self, start: int, length: int) -> bytes:
        if not length:
            return b""
        if self._fd is not None:
            data = os.pread(self._fd, length, start)
            if len(data) == length:
                return data
        assert self._get is not None
        return bytes(self._get(start, length))


def _stored_column(reader: Any) -> Any:
    """The compressed-bytes reader under a W3 segment's stored-fields column, or None."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    from whoosh.codec import whoosh3

    try:
        pickled = perdoc._cached_reader("_stored", whoosh3.STORED_COLUMN)
    except (OSError, ValueError):
        return None
    child = getattr(pickled, "_child", None)
    needed = ("_dbfile", "_basepos", "_offsets", "_lengths")
    if child is None or not all(hasattr(child, n) for n in needed):
        return None
    if getattr(child, "_decompress", None) is not zlib.decompress:
        return None
    if len(child._offsets) != reader.doc_count_all() or len(child._lengths) != len(child._offsets):
        return None
    return child
