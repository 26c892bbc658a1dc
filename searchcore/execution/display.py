"""What a result line shows, per document, without whoosh's stored fields.

A page of hits needs each hit's id, title, url and authors (its source, categories
and date are columns already). whoosh keeps them inside the document's stored
record — one zlib'd pickle with the whole body — so ten hits cost ten decompressions
and ten safe unpicklings: a third of a one-word search on Reuters. Here they are a
small JSON record per document in two plain arrays beside the segment::

    MAIN_<segid>.sdsp_blob.npy      uint8: the records (orjson), one after another
    MAIN_<segid>.sdsp_offsets.npy   int64: document d is blob[offsets[d]:offsets[d+1]]
    MAIN_<segid>.sdsp_meta.json     version and document count (written last)

Written by the same writers as the columns (the bulk writer as it indexes; every
other segment by :func:`searchcore.execution.columns.write_missing`). A segment
without them is simply read from whoosh's stored fields, as before: nothing needs a
rebuild. Snippets still read the stored body.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import orjson

from searchcore.execution import postings
from searchcore.execution.columns import epoch_us
from searchcore.execution.segment_arrays import kept_on
from searchcore.execution.sidefiles import ReadFile, write_atomic, write_npy
from searchcore.whoosh_boundary import segments as boundary

DISPLAY_VERSION = 1
#: The stored fields a record keeps (``published`` as epoch microseconds or None).
FIELDS = ("id", "title", "url", "authors", "source", "category", "published")
_PREFIX = ".sdsp_"
_CACHE_KEY = "display"
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _path(folder: Path, segid: str, name: str) -> Path:
    return folder / f"{segid}{_PREFIX}{name}"


def record(stored: Mapping[str, Any]) -> bytes:
    """One document's display record from its stored values."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = stored.get(name)
        if value is None:
            continue
        if name == "published":
            if not isinstance(value, datetime):
                continue
            value = epoch_us(value)              # the published column's rule
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return orjson.dumps(out)


def record_datetime(us: int) -> datetime:
    """A record's ``published`` (epoch microseconds, as :func:`record` keeps it) as an
    aware UTC datetime: what a hit shows, made in one step (``timedelta``'s
    positional microseconds: the keyword form costs twice as much, ten times a page)."""
    return _EPOCH_UTC + timedelta(0, 0, us)


def fields_of(raw: bytes) -> dict[str, Any]:
    """The stored-field mapping a record stands for (``published`` a naive UTC datetime)."""
    fields: dict[str, Any] = orjson.loads(raw)
    published = fields.get("published")
    if published is not None:
        fields["published"] = _EPOCH + timedelta(microseconds=int(published))
    return fields


class DisplayBuilder:
    """Collects records document by document (in document-number order)."""

    def __init__(self) -> None:
        self._records: list[bytes] = []

    def add(self, stored: Mapping[str, Any]) -> None:
        self._records.append(record(stored))

    def __len__(self) -> int:
        return len(self._records)

    def write(self, folder: Path, segid: str) -> None:
        write_display(folder, segid, self._records)


def write_display(folder: Path, segid: str, records: list[bytes]) -> None:
    """Write a segment's records (the meta file last, marking them complete)."""
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in records], out=offsets[1:])
    write_npy(_path(folder, segid, "blob.npy"), np.frombuffer(b"".join(records), dtype=np.uint8))
    write_npy(_path(folder, segid, "offsets.npy"), offsets)
    write_atomic(_path(folder, segid, "meta.json"),
                 orjson.dumps({"version": DISPLAY_VERSION, "docs": len(records)}))


def has_display(folder: Path, segid: str, doc_count: int) -> bool:
    try:
        meta = orjson.loads(_path(folder, segid, "meta.json").read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return False
    return meta.get("version") == DISPLAY_VERSION and meta.get("docs") == doc_count


def write_segment_display(folder: Path, segid: str, reader: Any) -> None:
    """A segment's records from its stored fields (segments whoosh's writer made)."""
    write_display(folder, segid, [record(s) for s in boundary.all_stored_fields(reader)])


def _mapped_bytes(blob: ReadFile) -> memoryview | None:
    """The data of ``blob`` (a uint8 ``.npy``) mapped read-only, or None if it cannot be."""
    import mmap

    try:
        with open(blob.path, "rb") as fh:
            size = len(blob)
            if not size:
                return None
            whole = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    return memoryview(whole)[blob.data_offset:blob.data_offset + size]


class SegmentDisplay:
    """One segment's records; None-returning when it has none.

    The offsets (8 bytes a document) are read whole on the first page asked of the
    segment and kept; each record is read with one ``pread`` (not mapped: a page of
    hits reads ten scattered records, and a mapped one kept the whole folio around
    it, 64-128 KB of the blob, resident for as long as the index stays open), unless
    the index is small (its posting lists are mapped too,
    :meth:`searchcore.execution.postings.SegmentPostings.small_index`): then it is
    mapped, and what stays resident is bounded by the index.
    """

    def __init__(self, reader: Any) -> None:
        self.blob: ReadFile | None = None
        self.offsets: ReadFile | None = None
        self._offsets: np.ndarray | None = None
        #: A small index's records, mapped (``SegmentPostings.small_index``): a memoryview.
        self._mapped: memoryview | None = None
        folder, segid = boundary.segment_folder(reader), boundary.segment_name(reader)
        count = reader.doc_count_all()
        if folder is None or segid is None or not has_display(folder, segid, count):
            return
        try:
            blob, offsets = ReadFile(_path(folder, segid, "blob.npy")), \
                ReadFile(_path(folder, segid, "offsets.npy"))
        except (OSError, ValueError):
            return
        # Files are input: only arrays that fit together are used.
        if (blob.ndim == 1 and blob.dtype == np.uint8 and offsets.ndim == 1
                and offsets.dtype == np.int64 and len(offsets) == count + 1
                and (not count or (offsets[0] == 0 and offsets[-1] == len(blob)))):
            self.blob, self.offsets = blob, offsets
            # A small index (the posting files' rule, over the whole generation): a
            # record is a slice, not a system call (ten a page); what stays
            # resident is bounded by the index (a 1M index's segments hold 7 MB
            # blobs each: mapped, 200 queries kept 70 MB more resident).
            if postings.segment_postings(reader).small_index():
                self._mapped = _mapped_bytes(blob)

    def _starts(self) -> np.ndarray | None:
        if self._offsets is None and self.offsets is not None:
            self._offsets = np.asarray(self.offsets)
        return self._offsets

    def fields(self, docnum: int) -> dict[str, Any] | None:
        return self.page([docnum])[0]

    def prefetch(self, docnums: Sequence[int]) -> None:
        """Announce the records of ``docnums`` to the kernel before :meth:`page` reads
        them (:meth:`ReadFile.will_need`): a page's records, over every segment they
        are in, are then read from disk together, not one after another."""
        offsets = self._starts()
        if offsets is None or self.blob is None or self._mapped is not None:
            return
        for docnum in docnums:
            span = _record_span(offsets, len(self.blob), docnum)
            if span is not None:
                self.blob.will_need(*span)

    def page(self, docnums: Sequence[int], raw: bool = False) -> list[dict[str, Any] | None]:
        """The records of ``docnums`` (segment numbers), None for any it cannot give.
        ``raw``: as stored (``published`` in epoch microseconds, :func:`record`)."""
        offsets = self._starts()
        if offsets is None or self.blob is None:
            return [None] * len(docnums)
        out: list[dict[str, Any] | None] = []
        blob, mapped = self.blob, self._mapped
        for docnum in docnums:
            span = _record_span(offsets, len(blob), docnum)
            if span is None:
                out.append(None)
                continue
            start, end = span
            try:
                data = blob.read_bytes(start, end) if mapped is None else mapped[start:end]
                out.append(orjson.loads(data) if raw else fields_of(data))
            except (orjson.JSONDecodeError, TypeError, ValueError, OverflowError):
                out.append(None)
        return out


def _record_span(offsets: Any, blob_size: int, docnum: int) -> tuple[int, int] | None:
    """Where record ``docnum`` is in the blob, or None when the number or its offsets
    do not fit (a damaged file: the hit is then shown from whoosh's stored fields)."""
    if not 0 <= docnum < len(offsets) - 1:
        return None
    start, end = int(offsets[docnum]), int(offsets[docnum + 1])
    return (start, end) if 0 <= start <= end <= blob_size else None


def segment_display(reader: Any) -> SegmentDisplay:
    """The display records of one segment reader (kept on the reader)."""
    return kept_on(reader, _CACHE_KEY, SegmentDisplay)


def display_fields(searcher: Any, docnum: int) -> dict[str, Any]:
    """What a hit shows of global document ``docnum``: from the display records, or
    whoosh's stored fields where a segment has none."""
    return display_page(searcher, [docnum])[0]


def display_page(searcher: Any, docnums: Sequence[int], raw: bool = False
                 ) -> list[dict[str, Any]]:
    """:func:`display_fields` of each of ``docnums`` (global numbers), segment by
    segment: what a page of hits shows. ``raw``: a record's ``published`` as it is
    kept, epoch microseconds (an int; a segment without records gives whoosh's
    stored datetime): a hit makes its aware datetime from it directly."""
    leaves = boundary.leaf_readers(searcher)
    firsts = [offset for _, offset in leaves]
    out: list[dict[str, Any] | None] = [None] * len(docnums)
    wanted: dict[int, list[int]] = {}
    for i, docnum in enumerate(docnums):
        leaf = bisect_right(firsts, docnum) - 1
        if leaf >= 0:
            wanted.setdefault(leaf, []).append(i)
    pages = [(segment_display(leaves[leaf][0]), [docnums[i] - leaves[leaf][1] for i in positions],
              positions) for leaf, positions in wanted.items()]
    if len(docnums) > 1:
        for display, numbers, _ in pages:      # every record in flight before any is read
            display.prefetch(numbers)
    for display, numbers, positions in pages:
        found = display.page(numbers, raw)
        for i, fields in zip(positions, found):
            out[i] = fields
    return [fields if fields is not None else dict(searcher.stored_fields(docnums[i]))
            for i, fields in enumerate(out)]
