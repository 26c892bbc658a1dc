"""The collection statistics BM25F scores with, in one small object.

Scores depend on three numbers about the collection besides the document itself: how
many documents there are, how many contain a term (its document frequency), and the
total length of each field (for the average). :class:`CollectionStats` holds exactly
these, and the executor (:mod:`searchcore.execution.executor`) reads them from it
only. By default they are the local index's (:func:`local_stats`, from the side
postings: a binary search, not whoosh's hashed term table); a sharded search passes
one built from every shard's numbers so each shard scores as the whole collection
would (``CollectionStats(doc_count=..., field_lengths=..., frequencies=...)``).

The numbers are whoosh's: ``doc_count`` counts deleted documents too (whoosh's
``doc_count_all``), as do document frequencies, and the average field length is the
total over ``doc_count``. So the executor's scores equal whoosh's matchers'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from searchcore.execution.postings import segment_postings
from searchcore.execution.segment_arrays import reader_cache
from searchcore.whoosh_boundary.segments import leaf_readers

_CACHE_KEY = "collection_stats"
#: Frequencies remembered per reader (a query repeats its words' lookups); bounded.
_KNOWN_LIMIT = 65_536


@dataclass(frozen=True)
class CollectionStats:
    """``doc_count``, per-field total lengths and a document-frequency lookup."""

    doc_count: int
    #: Total length (in tokens, as whoosh stores it) of each scorable field.
    field_lengths: Mapping[str, float]
    #: ``frequencies(fieldname, term_bytes)``: how many documents contain the term.
    frequencies: Callable[[str, bytes], int] = field(compare=False)

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        return self.frequencies(fieldname, btext)

    def avg_field_length(self, fieldname: str) -> float:
        """Average length of ``fieldname`` (1.0 for an empty field, as the scorers use)."""
        return (self.field_lengths.get(fieldname, 0) / (self.doc_count or 1)) or 1.0


def local_stats(searcher: Any) -> CollectionStats:
    """The statistics of the index ``searcher`` reads (made once per reader, kept on it)."""
    cache = reader_cache(searcher.reader())
    stats = cache.get(_CACHE_KEY)
    if stats is None:
        leaves = [segment_postings(reader) for reader, _ in leaf_readers(searcher)]
        schema = searcher.schema
        lengths = {name: float(searcher.field_length(name)) for name in schema.scorable_names()}

        known: dict[tuple[str, bytes], int] = {}

        def frequencies(fieldname: str, btext: bytes) -> int:
            key = (fieldname, btext)
            total = known.get(key)
            if total is not None:
                return total
            if len(known) >= _KNOWN_LIMIT:
                known.clear()
            total = 0
            for sp in leaves:
                fp = sp.field(fieldname)
                if fp is not None:
                    i = fp.find(btext)
                    if i >= 0:
                        total += fp.df(i)
            known[key] = total
            return total

        stats = cache[_CACHE_KEY] = CollectionStats(searcher.doc_count_all(), lengths,
                                                    frequencies)
    return stats
