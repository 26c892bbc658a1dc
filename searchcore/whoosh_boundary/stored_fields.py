"""Stored fields by global document number, one segment lookup and no copies.

``Searcher.stored_fields`` goes through ``MultiReader`` (a bisect per call) and
``SegmentReader`` (which copies the dict to drop fields no longer in the schema); an
export of every match calls it once per article, and those layers were about a third
of its time. Here each segment's W3 per-document reader (private ``_perdoc``) is
asked directly. Its ``stored_fields`` is still what unpickles, so any restriction put
on stored-field unpickling applies here as well. Fields dropped from the schema are
not filtered out: our schema never drops one (a changed schema is a new format).
A reader of another kind is asked through its public ``stored_fields``.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, Callable


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
