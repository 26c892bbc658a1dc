"""Segments, readers and per-document data of whoosh 2.7.4, reached through one door.

whoosh's public API answers per-document questions one document at a time (a column
lookup and a byte decode per call) and does not say which segments an index has, where
a segment's files live, or which documents a segment has deleted. The side arrays
(``searchcore.execution``) need all of that in bulk, so this module reads it from
whoosh's private attributes. whoosh is pinned (pyproject.toml) and bulk_segment.py (the
bulk writer) writes the same W3 format; a reader of another kind falls back to the public, slow API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage, OverlayStorage
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length

#: whoosh stores a field length as one byte; these are the lengths the bytes stand for.
LENGTH_OF_BYTE = np.array([0] + [byte_to_length(i) for i in range(1, 256)], dtype=np.float64)


def index_segments(ix: Any) -> list[Any]:
    """The live segments of a whoosh ``FileIndex``, in document-number order."""
    return list(ix._segments())


def stored_segments(ix: Any) -> Iterator[tuple[Path, str, Any]]:
    """``(folder, segment id, segment)`` of every segment of an index kept in a folder
    (none for an in-memory one): where the side files of each segment go."""
    folder = storage_folder(ix.storage)
    if folder is None:
        return
    for segment in index_segments(ix):
        yield folder, segment.segment_id(), segment


def segment_count(ix: Any) -> int:
    return len(ix._segments())


def open_segment_reader(ix: Any, segment: Any) -> SegmentReader:
    """A reader over one segment of ``ix`` (close it when done)."""
    return SegmentReader(ix.storage, ix.schema, segment)


def leaf_readers(searcher: Any) -> list[tuple[Any, int]]:
    """``(segment reader, first global document number)`` for each leaf of ``searcher``."""
    return [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]


def segment_name(reader: Any) -> str | None:
    """The segment id whoosh names a segment's files with (``MAIN_x1y2...``), if any."""
    segment = getattr(reader, "segment", None)
    if segment is None:
        return None
    seg = segment()
    return None if seg is None else str(seg.segment_id())


def storage_folder(storage: Any) -> Path | None:
    """The folder of a file storage (through a compound segment's overlay), else None."""
    if isinstance(storage, OverlayStorage):
        storage = storage.b
    if isinstance(storage, FileStorage):
        return Path(storage.folder)
    return None


def segment_folder(reader: Any) -> Path | None:
    """Where a segment reader's files live on disk (None for in-memory storage)."""
    storage = getattr(reader, "storage", None)
    return None if storage is None else storage_folder(storage())


def length_codes(reader: Any, fieldname: str) -> np.ndarray:
    """Each document's quantised length byte in ``fieldname`` (0: none), as uint8.

    Reads the W3 length column in one slice; other readers are asked per document
    (and the length re-quantised, which is exact for whoosh's own lengths).
    """
    count = reader.doc_count_all()
    codes = np.zeros(count, dtype=np.uint8)
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None:                        # not a W3 segment reader
        from whoosh.util.numeric import length_to_byte

        for d in range(count):
            codes[d] = length_to_byte(reader.doc_field_length(d, fieldname, 0) or 0)
        return codes
    column = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if column is not None and getattr(column, "_typecode", None) == "B":
        # One byte a document from _basepos; documents past _count have none (0).
        stored = min(column._count, count)
        codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    elif column is not None:
        codes[:] = np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)
    return codes


def deleted_docnums(reader: Any) -> np.ndarray:
    """A segment's deleted document numbers, sorted (empty when it has none)."""
    if not reader.has_deletions():
        return np.zeros(0, dtype=np.int64)
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is not None:
        deleted = np.fromiter(perdoc.deleted_docs(), dtype=np.int64)
    else:
        deleted = np.fromiter((d for d in range(reader.doc_count_all()) if reader.is_deleted(d)),
                              dtype=np.int64)
    deleted.sort()
    return deleted


def all_stored_fields(reader: Any) -> Iterator[dict[str, Any]]:
    """Every document's stored fields in document-number order, deleted ones included.

    whoosh's public ``iter_docs`` skips deleted documents, but a column must have a
    row for every document number.
    """
    perdoc = getattr(reader, "_perdoc", None)
    get = perdoc.stored_fields if perdoc is not None else reader.stored_fields
    for docnum in range(reader.doc_count_all()):
        yield get(docnum)


def field_b(weighting: Any, fieldname: str) -> float:
    """BM25's ``b`` for ``fieldname`` in a whoosh ``BM25F`` model (``title_B=`` etc.)."""
    return float(weighting._field_B.get(fieldname, weighting.B))
