"""The bulk writer: whoosh's segment files (about 4x faster) plus searchcore's arrays.

:class:`FastWriter` is :class:`~searchcore.whoosh_boundary.bulk_segment.BulkSegmentWriter`
(which writes whoosh's W3 bytes itself: why, and how, is told there) with what
searchcore keeps beside each segment, written as the segment is: the side postings
and block bounds of each field (:mod:`searchcore.execution.postings`,
:mod:`searchcore.execution.blocks`), the per-document columns and display fields
(:mod:`searchcore.execution.columns`, :mod:`searchcore.execution.display`) and the
analysed words (:mod:`searchcore.execution.words`). Every build, and every big
``Index.add`` batch, writes through it, so these files are in step with whoosh's.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

# The bulk writer stems every word it meets: import NLTK's stemmer with this module,
# not lazily in the middle of a batch (an import there leaves cyclic garbage behind,
# see tests/test_build_memory.py). Searching never imports this module.
from nltk.stem.snowball import SnowballStemmer  # noqa: F401

from searchcore.analysis import term_cache
from searchcore.execution import blocks as side_blocks
from searchcore.execution import postings as side_postings
from searchcore.execution.columns import SegmentColumnsBuilder, write_segment_columns
from searchcore.execution.display import FIELDS as DISPLAY_FIELDS, DisplayBuilder
from searchcore.execution.words import write_words
from searchcore.whoosh_boundary import storage as _storage
from searchcore.whoosh_boundary.bulk_segment import (BLOCK_LIMIT, COMPRESS_MIN,
                                                     BulkSegmentWriter, decode_positions,
                                                     encode_positions)

__all__ = ["BLOCK_LIMIT", "COMPRESS_MIN", "FastWriter", "decode_positions",
           "encode_positions", "write_documents"]

# Every writer's temporary folder exists from the second batch on; whoosh's create()
# then leaves a cycle holding the writer and its callers' frames (see that module).
_storage.install()

#: The column values each document contributes (from its stored values).
COLUMN_FIELDS = ("published", "source", "category", "language")


class FastWriter(BulkSegmentWriter):
    """A bulk segment writer that also writes the segment's side arrays.

    Use it like whoosh's writer (``add_document`` then ``commit(merge=False)``), or,
    in a worker process, ``FastWriter(ix, _lk=False)`` + :meth:`finish_segment` and
    let the parent commit the table of contents.
    """

    def __init__(self, ix: Any, *, compress_min: int = COMPRESS_MIN, **kwargs: Any) -> None:
        super().__init__(ix, compress_min=compress_min, **kwargs)
        # The per-document columns (searchcore.execution.columns), from stored values,
        # and what a hit shows (searchcore.execution.display).
        self._columns = SegmentColumnsBuilder()
        self._display = DisplayBuilder()
        # field -> has positions, for the fields whose side postings are written
        self._side_fields: dict[str, bool] = {}
        self._block_fields: list[str] = []

    def document_added(self, fields: Mapping[str, Any]) -> None:
        self._columns.add({name: fields.get("_stored_" + name, fields.get(name))
                           for name in COLUMN_FIELDS})
        self._display.add({name: fields.get("_stored_" + name, fields.get(name))
                           for name in DISPLAY_FIELDS})

    def field_written(self, folder: Any, segid: str, fieldname: str,
                      items: list[tuple[bytes, list[Any]]], lens: bytearray) -> None:
        if folder is None or fieldname in side_postings.SKIP_FIELDS:
            return
        field = self.schema[fieldname]
        positional = field.format.supports("positions")
        fp = side_postings.from_inverted(items, decode_positions if positional else None)
        # The Python postings (most of a batch's memory) are not needed for the
        # arrays' files: freed here, not held under them.
        items.clear()
        side_postings.write_field(folder, segid, fieldname, fp)
        if field.scorable:
            side_blocks.write_field_blocks(folder, segid, fieldname, fp, lens)
            self._block_fields.append(fieldname)
        del fp
        self._side_fields[fieldname] = positional

    def segment_written(self, folder: Any, segid: str, ndocs: int,
                        lenbytes: Mapping[str, bytes]) -> None:
        if folder is None:
            return
        schema = self.schema
        write_segment_columns(folder, segid, self._columns.finish(dict(lenbytes), ndocs))
        self._display.write(folder, segid)
        # Fields with no postings in this segment get empty arrays.
        side_fields = self._side_fields
        for name in side_postings.indexed_fields(schema):
            if name not in side_fields:
                positional = schema[name].format.supports("positions")
                side_postings.write_field(folder, segid, name,
                                          side_postings.from_inverted(
                                              [], decode_positions if positional else None))
                side_fields[name] = positional
        side_postings.write_meta(folder, segid, ndocs, side_fields)
        side_blocks.write_meta(folder, segid, ndocs, self._block_fields)
        # The words analysed so far, with their terms: queries of them need no NLTK.
        stemming = [schema[name].analyzer for name in sorted(self.fast_fields)
                    if schema[name].analyzer.stem]
        if stemming:
            a = stemming[0]
            write_words(folder, segid, (a.language, a.stem, a.stop),
                        term_cache(a.language, a.stem, a.stop))


def write_documents(writer: FastWriter, documents: Iterable[Mapping[str, Any]]) -> int:
    """Add ``documents`` (``add_document`` keyword dicts) to ``writer``; return the count."""
    count = 0
    add = writer.add_document
    for doc in documents:
        add(**doc)
        count += 1
    return count
