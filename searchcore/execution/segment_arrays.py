"""Per-segment arrays decoded once and kept on the segment's reader.

Scoring needs every document's field length, and the executor every deleted
document number. whoosh answers these one document at a time (a column lookup and a
byte decode per call); here each is decoded once per reader into a numpy array. Our
searcher and its readers live across searches, so the cost is paid once per segment
until the next commit. Both the BM25F matchers (:mod:`searchcore.scoring.bm25f`) and the
array executor (:mod:`searchcore.execution.executor`) read lengths from here, so the two
paths score with the same numbers.

The bytes come from whoosh through :mod:`searchcore.whoosh_boundary.segments`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from searchcore.whoosh_boundary import segments as boundary

#: whoosh stores a field length as one byte; these are the lengths the bytes stand for.
DECODE_LENGTHS = boundary.LENGTH_OF_BYTE


def reader_cache(reader: Any) -> dict[str, Any]:
    """A dict living on ``reader`` (so it dies with it): arrays decoded from it."""
    cache = getattr(reader, "_searchcore_arrays", None)
    if cache is None:
        cache = {}
        reader._searchcore_arrays = cache
    return cache


def kept_on(reader: Any, key: str, make: Callable[[Any], Any]) -> Any:
    """``make(reader)``, made once and kept in the reader's cache under ``key``."""
    cache = reader_cache(reader)
    found = cache.get(key)
    if found is None:
        found = cache[key] = make(reader)
    return found


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Every document's length in ``fieldname`` in this segment, as whoosh stores it."""
    cache = reader_cache(reader)
    key = "len:" + fieldname
    lengths = cache.get(key)
    if lengths is None:
        lengths = cache[key] = DECODE_LENGTHS[boundary.length_codes(reader, fieldname)]
    return lengths


def deleted_docnums(reader: Any) -> np.ndarray:
    """The segment's deleted document numbers (empty when it has none)."""
    if not reader.has_deletions():
        return np.zeros(0, dtype=np.int64)
    cache = reader_cache(reader)
    deleted = cache.get("deleted")
    if deleted is None:
        deleted = cache["deleted"] = boundary.deleted_docnums(reader)
    return deleted
