"""Per-segment arrays decoded once and kept on the segment's reader.

Scoring needs every document's field length, and the bulk scorer every deleted
document number. whoosh answers these one document at a time (a column lookup and a
byte decode per call); here each is decoded once per reader into a numpy array. Our
searcher and its readers live across searches, so the cost is paid once per segment
until the next commit. Both the BM25F matchers (:mod:`searchcore.scoring.bm25f`) and the
bulk scorer (:mod:`searchcore.scoring.bulk`) read lengths from here, so the two
paths score with the same numbers.

Reads whoosh 2.7.4's W3 length column directly (whoosh is pinned;
index/fastwriter.py writes the same format); a reader of another kind is asked
document by document through its public ``doc_field_length``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

#: whoosh stores a field length as one byte; these are the lengths the bytes stand for.
_DECODE_LENGTHS = np.array([0] + [byte_to_length(i) for i in range(1, 256)], dtype=np.float64)


def _cache(reader: Any) -> dict[str, Any]:
    cache = getattr(reader, "_searchcore_arrays", None)
    if cache is None:
        cache = {}
        reader._searchcore_arrays = cache
    return cache


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Every document's length in ``fieldname`` in this segment, as whoosh stores it."""
    cache = _cache(reader)
    key = "len:" + fieldname
    lengths = cache.get(key)
    if lengths is None:
        lengths = cache[key] = _decode_lengths(reader, fieldname)
    return lengths


def _decode_lengths(reader: Any, fieldname: str) -> np.ndarray:
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None:                        # not a W3 segment reader
        return np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(count)),
                           dtype=np.float64, count=count)
    column = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    codes = np.zeros(count, dtype=np.uint8)
    if column is not None and getattr(column, "_typecode", None) == "B":
        # One byte a document from _basepos; documents past _count have none (0).
        stored = min(column._count, count)
        codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    elif column is not None:
        codes[:] = np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)
    return _DECODE_LENGTHS[codes]


def deleted_docnums(reader: Any) -> np.ndarray:
    """The segment's deleted document numbers (empty when it has none); W3 readers only."""
    if not reader.has_deletions():
        return np.zeros(0, dtype=np.int64)
    cache = _cache(reader)
    deleted = cache.get("deleted")
    if deleted is None:
        deleted = cache["deleted"] = np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64)
    return deleted
